package dev.handoff.queue.spi;

import dev.handoff.api.Lifecycle;

/**
 * An instance that consumes from a broker by subscribing: what {@link dev.handoff.queue.ConsumerLauncher} launches
 * and {@link dev.handoff.queue.SubscriptionRouter} routes. {@link dev.handoff.queue.HandoffConsumer} is one (a queue
 * subscription), a broker adapter's consumer another (a Kafka group member, say).
 *
 * <p>The contract: {@link #connect()} opens the connection and makes the instance READY without taking any work;
 * {@link #resumeAccepting()} subscribes and completes when the broker confirmed that work will reach this instance
 * (while it accepts already, it changes nothing: a restarted orchestrator attaches every consumer it keeps);
 * {@link #stopAccepting()} closes the intake (the instance starts no new work after its stage completed, and what
 * it held but had not started goes back to the broker); {@link #close()} stops it, the broker gives back what was
 * not finished. Implementations are thread-safe.
 */
public interface BrokerConsumer extends Lifecycle, AutoCloseable {

    /**
     * Opens the connection to the broker; the lifecycle becomes READY. Blocking; idempotent.
     *
     * @throws RuntimeException      (the adapter's own type) when the broker cannot be reached; the lifecycle is
     *                               then FAILED
     * @throws IllegalStateException when the consumer was closed
     */
    void connect();

    /** Stops the consumer at once (call {@link #drain()} first for a graceful stop). Idempotent. */
    @Override
    void close();
}
