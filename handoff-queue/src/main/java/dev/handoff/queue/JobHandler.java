package dev.handoff.queue;

/**
 * The application's work for one job. Called by a {@link HandoffConsumer} worker thread; the job is acknowledged
 * only after this returns normally. Throwing means the job failed: it is requeued up to the consumer's
 * {@code maxAttempts}, then handled by its {@link FailurePolicy}.
 *
 * <p>A handler should respond to interruption (the drain deadline interrupts handlers still running; their jobs
 * are requeued and may run again) and be idempotent where it can: a job abandoned at the deadline, or whose
 * acknowledgement was lost with the connection, is delivered again. Implementations must be thread-safe: up to
 * {@code concurrency} jobs run at once.
 */
@FunctionalInterface
public interface JobHandler {
    /**
     * @param job the job to process
     * @throws Exception when the job failed
     */
    void handle(Job job) throws Exception;
}
