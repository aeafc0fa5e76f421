package dev.handoff.queue.spi;

import java.util.Objects;
import java.util.concurrent.atomic.AtomicReference;

/**
 * A base for {@link Delivery} implementations that enforces the settle-once rule, so that a broker never sees a
 * second acknowledgement for one delivery (for AMQP, a channel error). Subclasses implement the three
 * {@code do*} methods. Thread-safe.
 */
public abstract class AbstractDelivery implements Delivery {

    /** How a delivery was settled. */
    public enum Settlement {
        /** Processed and removed. */
        ACKED,
        /** Given back to the queue. */
        REQUEUED,
        /** Moved to the dead-letter destination. */
        REJECTED
    }

    private final String jobId;
    private final byte[] body;
    private final boolean redelivered;
    private final AtomicReference<Settlement> settlement = new AtomicReference<>();

    /**
     * @param jobId       the job id; must not be null
     * @param body        the payload; must not be null (not copied)
     * @param redelivered whether the job was delivered before
     * @throws NullPointerException when {@code jobId} or {@code body} is null
     */
    protected AbstractDelivery(String jobId, byte[] body, boolean redelivered) {
        this.jobId = Objects.requireNonNull(jobId, "jobId must not be null");
        this.body = Objects.requireNonNull(body, "body must not be null");
        this.redelivered = redelivered;
    }

    @Override
    public final String jobId() {
        return jobId;
    }

    @Override
    public final byte[] body() {
        return body;
    }

    @Override
    public final boolean redelivered() {
        return redelivered;
    }

    /** @return how the delivery was settled, or null while unsettled */
    public final Settlement settlement() {
        return settlement.get();
    }

    @Override
    public final void ack() {
        claim(Settlement.ACKED);
        doAck();
    }

    @Override
    public final void requeue() {
        claim(Settlement.REQUEUED);
        doRequeue();
    }

    @Override
    public final void retry(int failedAttempts) {
        if (failedAttempts < 1) {
            throw new IllegalArgumentException("failedAttempts must be >= 1, but was " + failedAttempts);
        }
        claim(Settlement.REQUEUED);
        doRetry(failedAttempts);
    }

    @Override
    public final void reject() {
        claim(Settlement.REJECTED);
        doReject();
    }

    private void claim(Settlement wanted) {
        if (!settlement.compareAndSet(null, wanted)) {
            throw new IllegalStateException("job " + jobId + " cannot be " + wanted + ": it was already "
                    + settlement.get());
        }
    }

    /**
     * Acknowledges at the broker; called at most once, and only if no other settle ran.
     *
     * @throws JobSourceException when the subscription is gone
     */
    protected abstract void doAck();

    /**
     * Requeues at the broker; called at most once, and only if no other settle ran.
     *
     * @throws JobSourceException when the subscription is gone
     */
    protected abstract void doRequeue();

    /**
     * Gives the job back after a failure, recording the failed attempts where later deliveries read them
     * ({@link #failedAttempts()}); called at most once, and only if no other settle ran. The default requeues.
     *
     * @param failedAttempts the failed attempts so far; {@code >= 1}
     * @throws JobSourceException when the subscription is gone
     */
    protected void doRetry(int failedAttempts) {
        doRequeue();
    }

    /**
     * Dead-letters at the broker; called at most once, and only if no other settle ran.
     *
     * @throws JobSourceException when the subscription is gone
     */
    protected abstract void doReject();

    @Override
    public String toString() {
        return getClass().getSimpleName() + "[" + jobId + (redelivered ? ", redelivered" : "")
                + (settlement.get() == null ? "" : ", " + settlement.get()) + "]";
    }
}
