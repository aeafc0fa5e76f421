package dev.handoff.core.process;

import dev.handoff.api.InstanceFailedException;

/**
 * A child process exited when nobody asked it to: it crashed, was killed, or ended on its own. Carries the exit
 * code so that a caller can tell a crash ({@code 1}, or {@code 128 + signal}) from a clean exit ({@code 0}).
 */
public class ChildProcessExitedException extends InstanceFailedException {
    private static final long serialVersionUID = 1L;

    /** The process id of the child. */
    private final long pid;
    /** The child's exit code. */
    private final int exitCode;

    /**
     * @param instanceId the instance
     * @param pid        the process id of the child
     * @param exitCode   its exit code
     * @param when       what the instance was doing, e.g. {@code "before it was ready"}
     */
    public ChildProcessExitedException(String instanceId, long pid, int exitCode, String when) {
        super(instanceId, "process " + pid + " exited with code " + exitCode + " " + when, null);
        this.pid = pid;
        this.exitCode = exitCode;
    }

    /** @return the process id of the child */
    public long pid() {
        return pid;
    }

    /** @return the child's exit code */
    public int exitCode() {
        return exitCode;
    }
}
