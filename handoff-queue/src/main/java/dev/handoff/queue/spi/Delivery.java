package dev.handoff.queue.spi;

/**
 * One job delivered by a {@link Subscription} and not yet settled. It must be settled exactly once, by
 * {@link #ack()}, {@link #requeue()} or {@link #reject()}; until then the source counts it against the
 * subscription's prefetch.
 *
 * <p>Thread-safe: a delivery may be settled from any thread. A second settle throws
 * {@link IllegalStateException}; a settle after the subscription was closed or its connection lost throws
 * {@link JobSourceException} (the source has already given the job back, so nothing is lost).
 */
public interface Delivery {

    /** @return the job's id (unique per job, stable across redeliveries); never null */
    String jobId();

    /** @return the job's payload; the caller must not modify the array */
    byte[] body();

    /** @return whether this job was delivered before (requeued, or given back by a closed subscription) */
    boolean redelivered();

    /**
     * @return how many times the job failed in earlier deliveries, as the source recorded it with
     *     {@link #retry(int)} (it survives redeliveries and consumers); 0 when it has no record. The default is 0.
     */
    default int failedAttempts() {
        return 0;
    }

    /**
     * The job's handler failed and the job will run again: give it back to the queue with the number of failed
     * attempts, which later deliveries report in {@link #failedAttempts()}. A source that cannot record it
     * requeues (the default).
     *
     * @param failedAttempts the failed attempts so far, this one included; {@code >= 1}
     * @throws IllegalStateException when the delivery was already settled
     * @throws JobSourceException    when the subscription is gone; the source has given the job back
     */
    default void retry(int failedAttempts) {
        requeue();
    }

    /**
     * The job was processed: remove it from the queue.
     *
     * @throws IllegalStateException when the delivery was already settled
     * @throws JobSourceException    when the subscription is gone; the source has given the job back
     */
    void ack();

    /**
     * Gives the job back to the queue, to be delivered again (to any subscriber) with {@code redelivered = true}.
     *
     * @throws IllegalStateException when the delivery was already settled
     * @throws JobSourceException    when the subscription is gone; the source has given the job back
     */
    void requeue();

    /**
     * Moves the job to the source's dead-letter destination (never delivered again from this queue).
     *
     * @throws IllegalStateException when the delivery was already settled
     * @throws JobSourceException    when the subscription is gone; the source has given the job back
     */
    void reject();
}
