package dev.handoff.queue;

import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;

import dev.handoff.api.Lifecycle;
import dev.handoff.api.LifecycleState;
import dev.handoff.api.spi.Router;

/**
 * The router of brokers where a consumer attaches by subscribing. {@link #attach} subscribes the consumer ({@code resumeAccepting()}) and
 * completes on the broker's consume-ok; {@link #detach} cancels its subscription and completes on the broker's
 * cancel-ok, after every job it held but had not started was requeued. The broker confirms both, so the
 * propagation delay is zero. A consumer that has FAILED (it lost its job source, a broker restart say, and its
 * subscription with it) or STOPPED (closed) is detached at once: it has no subscription left to cancel, and the
 * broker gives back what it held. Stateless and thread-safe; works only with {@link HandoffConsumer}s.
 */
public final class SubscriptionRouter implements Router {

    /** Creates the router. */
    public SubscriptionRouter() {
        // stateless
    }

    /**
     * @throws IllegalArgumentException (in the stage) when {@code instance} is not a {@link HandoffConsumer}
     */
    @Override
    public CompletionStage<Void> attach(Lifecycle instance) {
        if (!(instance instanceof HandoffConsumer)) {
            return notAConsumer(instance);
        }
        return instance.resumeAccepting();
    }

    /**
     * @return completes on the broker's cancel-ok, or at once when the consumer has failed or stopped;
     *     exceptionally (an {@link IllegalArgumentException}) when {@code instance} is not a {@link HandoffConsumer}
     */
    @Override
    public CompletionStage<Void> detach(Lifecycle instance) {
        if (!(instance instanceof HandoffConsumer)) {
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

    private static CompletionStage<Void> notAConsumer(Lifecycle instance) {
        return CompletableFuture.failedFuture(new IllegalArgumentException(
                "SubscriptionRouter routes HandoffConsumers only, but got " + instance));
    }
}
