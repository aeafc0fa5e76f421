package dev.handoff.queue.spi;

import dev.handoff.api.HandoffException;

/**
 * A job source failed: it could not connect or subscribe, or a delivery could not be settled because its
 * subscription or connection is gone (the source has then given the delivery back to the queue itself).
 */
public class JobSourceException extends HandoffException {
    private static final long serialVersionUID = 1L;

    /** @param message what failed, naming the source, queue or job */
    public JobSourceException(String message) {
        super(message);
    }

    /**
     * @param message what failed, naming the source, queue or job
     * @param cause   the underlying failure
     */
    public JobSourceException(String message, Throwable cause) {
        super(message, cause);
    }
}
