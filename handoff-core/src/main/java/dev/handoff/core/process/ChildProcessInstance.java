package dev.handoff.core.process;

import dev.handoff.api.Lifecycle;

import java.util.concurrent.CompletionStage;

/**
 * An instance running as a child JVM started by a {@link ChildProcessLauncher}, driven over the private control
 * channel its {@link ChildAgent} opened. Besides the {@link Lifecycle} steps it gives access to the process.
 *
 * <p>A child that exits when nobody asked it to (a crash, a kill, a {@code System.exit}) is detected at once:
 * {@link #whenReady()} (when not yet ready) and {@link #failure()} complete exceptionally with a
 * {@link ChildProcessExitedException} carrying the exit code, and every command still waiting for an answer
 * fails with it. {@link #destroy()} asks the agent to {@code EXIT}, sends SIGTERM ({@code Process.destroy()})
 * after a bounded wait, then SIGKILL ({@code destroyForcibly()}); after a destroy, the exit is not a failure.
 *
 * <p>The methods never wait on the child: commands are queued and written by a thread of the child's own. A child
 * that stops reading its control channel (a line not written within the launcher's write timeout) or floods it
 * (see the {@code dev.handoff.core.process} package) is disconnected: {@link #failure()} completes exceptionally with
 * an {@code InstanceFailedException} saying which, {@link #state()} is {@code FAILED}, and every command still
 * waiting for an answer fails with it; {@link #destroy()} then goes straight to SIGTERM.
 *
 * <p>Thread-safe.
 */
public interface ChildProcessInstance extends Lifecycle {

    /** @return the child's process handle, e.g. for its pid or to send it a signal */
    ProcessHandle processHandle();

    /** @return completes with the child's exit code when it has exited, for any reason */
    CompletionStage<Integer> onExit();

    /**
     * Asks the agent for its state and in-flight count.
     *
     * @return completes with the answer; exceptionally when the child rejects the request or exits first
     */
    CompletionStage<ChildStatus> status();
}
