package dev.handoff.queue;

/**
 * What a {@link HandoffConsumer} does with a job whose handler failed {@code maxAttempts} times. Either way an
 * ERROR line names the job, the attempts and the last failure: a job is never dropped silently.
 */
public enum FailurePolicy {
    /**
     * Reject the job to the source's dead-letter destination (RabbitMQ: the queue's dead-letter exchange; in
     * memory: {@link InMemoryJobQueue#deadLetters()}). A consumer refuses to start on a source that reports none
     * ({@link dev.handoff.queue.spi.JobSource#deadLetterTarget()}), since the broker would drop the job.
     */
    DEAD_LETTER,
    /** Acknowledge the job (remove it) after logging it at ERROR with its failure. */
    LOG_AND_DISCARD
}
