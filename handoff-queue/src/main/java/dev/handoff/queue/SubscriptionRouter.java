package dev.handoff.queue;

import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;

import dev.handoff.api.Lifecycle;
import dev.handoff.api.LifecycleState;
import dev.handoff.api.spi.Router;
import dev.handoff.queue.spi.BrokerConsumer;

/**
 * The router of brokers where a consumer attaches by subscribing: it routes any {@link BrokerConsumer}.
 * {@link #attach} is {@code resumeAccepting()}: it completes when the broker confirmed the subscription (for a
 * {@link HandoffConsumer}, the broker's consume-ok; for a Kafka consumer, when the group has assigned partitions to
 * the new member, after every partition moved to it was committed by its previous owner). {@link #detach} is
 * {@code stopAccepting()}: it closes the intake (for a {@link HandoffConsumer}, it completes on the broker's
 * cancel-ok, after every job it held but had not started was requeued; a Kafka consumer starts no record after it,
 * pauses its partitions and drops the records not started, and the drain that follows commits and leaves the
 * group). The broker confirms both, so the propagation delay is zero. A consumer that has FAILED (it lost its
 * broker, a restart say, and its subscription with it) or STOPPED (closed) is detached at once: it has no
 * subscription left to cancel, and the broker gives back what it held. Stateless and thread-safe.
 */
public final class SubscriptionRouter implements Router {

    /** Creates the router. */
    public SubscriptionRouter() {
        // stateless
    }

    /**
     * @throws IllegalArgumentException (in the stage) when {@code instance} is not a {@link BrokerConsumer}
     */
    @Override
    public CompletionStage<Void> attach(Lifecycle instance) {
        if (!(instance instanceof BrokerConsumer)) {
            return notAConsumer(instance);
        }
        return instance.resumeAccepting();
    }

    /**
     * @return completes when the consumer has closed its intake, or at once when it has failed or stopped;
     *     exceptionally (an {@link IllegalArgumentException}) when {@code instance} is not a {@link BrokerConsumer}
     */
    @Override
    public CompletionStage<Void> detach(Lifecycle instance) {
        if (!(instance instanceof BrokerConsumer)) {
            return notAConsumer(instance);
        }
        LifecycleState state = instance.state();
        if (state == LifecycleState.FAILED || state == LifecycleState.STOPPED) {
            // stopAccepting() would be an illegal transition; the orchestrator's supervision detaches every failed
            // member before destroying it, and must not see an error for a consumer that simply lost its broker
            return CompletableFuture.completedFuture(null);
        }
        return instance.stopAccepting();
    }

    /** {@inheritDoc} At once: the broker delivers to the consumer directly; what it delivered is the consumer's drain. */
    @Override
    public CompletionStage<Void> settled(Lifecycle instance) {
        return CompletableFuture.completedFuture(null);
    }

    private static CompletionStage<Void> notAConsumer(Lifecycle instance) {
        return CompletableFuture.failedFuture(new IllegalArgumentException(
                "SubscriptionRouter routes BrokerConsumers only (such as HandoffConsumer), but got " + instance));
    }
}
