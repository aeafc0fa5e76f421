package dev.handoff.kafka;

import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;

import dev.handoff.api.Lifecycle;
import dev.handoff.api.LifecycleState;
import dev.handoff.api.spi.Router;

/**
 * The router of a Kafka consumer group: a {@link KafkaHandoffConsumer} attaches by joining the group and detaches by
 * giving its partitions up. {@link #attach} is {@code resumeAccepting()}: it completes when the group has assigned
 * partitions to the new member (after every partition moved to it was committed by its previous owner).
 * {@link #detach} is {@code stopAccepting()}: the old member starts no record after it, pauses its partitions and drops
 * the records not started; the drain that follows finishes the records running, commits and leaves the group. The group confirms
 * both, so the propagation delay is zero. A consumer that has FAILED or STOPPED is detached at once: the group moves
 * its partitions when it closes or its session expires. Stateless and thread-safe; routes
 * {@link KafkaHandoffConsumer}s only.
 */
public final class KafkaGroupRouter implements Router {

    /** Creates the router. */
    public KafkaGroupRouter() {
        // stateless
    }

    /**
     * @throws IllegalArgumentException (in the stage) when {@code instance} is not a {@link KafkaHandoffConsumer}
     */
    @Override
    public CompletionStage<Void> attach(Lifecycle instance) {
        if (!(instance instanceof KafkaHandoffConsumer)) {
            return notAConsumer(instance);
        }
        return instance.resumeAccepting();
    }

    /**
     * @return completes when the consumer has closed its intake (at once), or when it has failed or stopped;
     *     exceptionally (an {@link IllegalArgumentException}) when {@code instance} is not a
     *     {@link KafkaHandoffConsumer}
     */
    @Override
    public CompletionStage<Void> detach(Lifecycle instance) {
        if (!(instance instanceof KafkaHandoffConsumer)) {
            return notAConsumer(instance);
        }
        LifecycleState state = instance.state();
        if (state == LifecycleState.FAILED || state == LifecycleState.STOPPED) {
            return CompletableFuture.completedFuture(null);
        }
        return instance.stopAccepting();
    }

    private static CompletionStage<Void> notAConsumer(Lifecycle instance) {
        return CompletableFuture.failedFuture(new IllegalArgumentException(
                "KafkaGroupRouter routes KafkaHandoffConsumers only, but got " + instance));
    }
}
