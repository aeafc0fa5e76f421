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
