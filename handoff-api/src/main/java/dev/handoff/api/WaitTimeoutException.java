package dev.handoff.api;

import java.time.Duration;

/**
 * A caller's bounded wait for a swap or a start (the orchestrator's blocking forms) ended before the swap did. The
 * swap is not cancelled: it goes on and ends by its own deadlines ({@code COMMITTED}, {@code ROLLED_BACK} or
 * {@code FORCED}), holding the group as usual, and its result reaches the listeners.
 */
public class WaitTimeoutException extends HandoffException {
    private static final long serialVersionUID = 1L;

    private final String swapId;
    private final Duration timeout;

    /**
     * @param swapId  the swap (or start) waited for
     * @param timeout how long the caller waited
     */
    public WaitTimeoutException(String swapId, Duration timeout) {
        super(swapId + " did not end within " + timeout + "; it is not cancelled: it goes on and ends by its own"
                + " deadlines");
        this.swapId = swapId;
        this.timeout = timeout;
    }

    /** @return the id of the swap (or start) waited for */
    public String swapId() {
        return swapId;
    }

    /** @return how long the caller waited */
    public Duration timeout() {
        return timeout;
    }
}
