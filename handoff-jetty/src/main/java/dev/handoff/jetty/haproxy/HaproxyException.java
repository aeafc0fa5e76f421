package dev.handoff.jetty.haproxy;

import dev.handoff.api.HandoffException;

/**
 * HAProxy refused a Runtime API command, answered something unexpected, or could not be reached in time. The
 * message quotes the command and HAProxy's answer.
 */
public class HaproxyException extends HandoffException {
    private static final long serialVersionUID = 1L;

    /** @param message what went wrong, quoting the command and HAProxy's answer */
    public HaproxyException(String message) {
        super(message);
    }

    /**
     * @param message what went wrong, quoting the command
     * @param cause   the underlying I/O failure
     */
    public HaproxyException(String message, Throwable cause) {
        super(message, cause);
    }
}
