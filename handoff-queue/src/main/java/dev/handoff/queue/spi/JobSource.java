package dev.handoff.queue.spi;

/**
 * A connection to one queue of a broker, from which a consumer instance subscribes. One source per consumer
 * instance: closing it (or losing it) gives back every delivery of its subscriptions, as the loss of an AMQP
 * connection does. Implementations are thread-safe; see the package documentation for the semantics every
 * source must give.
 */
public interface JobSource extends AutoCloseable {

    /** @return a short description for logs and messages, e.g. {@code "rabbitmq 127.0.0.1:5672/jobs"} */
    String description();

    /** @return whether the connection is open */
    boolean isOpen();

    /**
     * Starts consuming. Deliveries begin to flow to {@code listener} once this returns (or before, on the source's
     * dispatch thread).
     *
     * @param prefetch the most unsettled deliveries held at once; {@code >= 1}
     * @param listener receives the deliveries; must not be null
     * @return the open subscription
     * @throws IllegalArgumentException when {@code prefetch < 1}
     * @throws NullPointerException     when {@code listener} is null
     * @throws JobSourceException       when the source is closed or the broker refused the subscription
     */
    Subscription subscribe(int prefetch, DeliveryListener listener);

    /**
     * Where {@link Delivery#reject()} sends a job. A consumer whose failure policy dead-letters refuses to start
     * on a source that answers {@link DeadLetterTarget.Kind#ABSENT}. The default is
     * {@link DeadLetterTarget.Kind#UNKNOWN}.
     *
     * @return the source's dead-letter destination, as far as it can tell; never null
     */
    default DeadLetterTarget deadLetterTarget() {
        return DeadLetterTarget.unknown(description() + " does not say whether it has a dead-letter destination");
    }

    /** Closes the connection: every subscription is closed, its unsettled deliveries given back. Idempotent. */
    @Override
    void close();
}
