package dev.handoff.api;

/** An instance failed: it could not start, crashed, or reported FAILED. */
public class InstanceFailedException extends HandoffException {
    private static final long serialVersionUID = 1L;

    private final String instanceId;

    /**
     * @param instanceId the instance
     * @param message    what happened
     * @param cause      the underlying failure, may be null
     */
    public InstanceFailedException(String instanceId, String message, Throwable cause) {
        super("instance " + instanceId + ": " + message, cause);
        this.instanceId = instanceId;
    }

    /** @return the failed instance's id */
    public String instanceId() {
        return instanceId;
    }
}
