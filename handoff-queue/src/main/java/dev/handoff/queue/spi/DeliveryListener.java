package dev.handoff.queue.spi;

/**
 * Receives the deliveries of one {@link Subscription}. The source calls it from its own dispatch thread, one call
 * at a time per subscription (never concurrently), so an implementation must return quickly: hand the delivery
 * to a worker, never process it on the calling thread.
 */
public interface DeliveryListener {

    /** @param delivery a job to process and settle exactly once */
    void onDelivery(Delivery delivery);

    /**
     * The subscription ended without the client asking: the connection was lost, or the broker cancelled the
     * consumer (the queue was deleted). Unsettled deliveries are given back by the source (or the broker).
     * Not called after {@link Subscription#close()} nor for a client {@link Subscription#cancel()}.
     *
     * @param cause why; never null
     */
    default void onTerminated(Throwable cause) {
    }
}
