package dev.handoff.api;

/** The base of every exception handoff throws or completes a stage with. */
public class HandoffException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    /** @param message what went wrong, naming the instance, step or field */
    public HandoffException(String message) {
        super(message);
    }

    /**
     * @param message what went wrong
     * @param cause   the underlying failure
     */
    public HandoffException(String message, Throwable cause) {
        super(message, cause);
    }
}
