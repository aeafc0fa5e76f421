package dev.handoff.api;

import java.time.Duration;

/** A step of a swap did not finish by its deadline. */
public class StepTimeoutException extends HandoffException {
    private static final long serialVersionUID = 1L;

    private final SwapStep step;
    private final String instanceId;
    private final Duration timeout;

    /**
     * @param step       the step that timed out
     * @param instanceId the instance it acted on
     * @param timeout    the deadline it missed
     */
    public StepTimeoutException(SwapStep step, String instanceId, Duration timeout) {
        super(step + " of instance " + instanceId + " did not complete within " + timeout);
        this.step = step;
        this.instanceId = instanceId;
        this.timeout = timeout;
    }

    /** @return the step that timed out */
    public SwapStep step() {
        return step;
    }

    /** @return the instance the step acted on */
    public String instanceId() {
        return instanceId;
    }

    /** @return the deadline missed */
    public Duration timeout() {
        return timeout;
    }
}
