package dev.handoff.queue.spi;

import java.util.concurrent.CompletionStage;

/**
 * A consumer of one queue with a prefetch (credit): the source hands at most {@code prefetch} unsettled
 * deliveries to the listener at a time. Thread-safe.
 */
public interface Subscription {

    /**
     * Stops the flow of deliveries (AMQP {@code basic.cancel}). Deliveries already handed over stay with the
     * holder, who must settle them. Idempotent: repeated calls return the same stage.
     *
     * @return completes when the source confirmed the cancel (AMQP {@code basic.cancel-ok}), after the last
     *     delivery sent before it was handed to the listener; exceptionally when the connection is lost first.
     *     It never times out by itself: the caller bounds the wait.
     */
    CompletionStage<Void> cancel();

    /** @return whether deliveries may still arrive: not cancelled, not closed, not terminated */
    boolean isActive();

    /**
     * Ends the subscription: every unsettled delivery goes back to the queue, marked redelivered (AMQP: closing
     * the channel), and a later settle of one of them throws {@link JobSourceException}. Idempotent; never throws.
     */
    void close();
}
