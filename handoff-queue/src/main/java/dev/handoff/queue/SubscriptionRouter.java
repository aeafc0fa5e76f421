package dev.handoff.queue;

import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;

import dev.handoff.api.Lifecycle;
import dev.handoff.api.spi.Router;

/**
 * The router of brokers where a consumer attaches by subscribing. {@link #attach} subscribes the consumer ({@code resumeAccepting()}) and
 * completes on the broker's consume-ok; {@link #detach} cancels its subscription and completes on the broker's
 * cancel-ok, after every job it held but had not started was requeued. The broker confirms both, so the
 * propagation delay is zero. Stateless and thread-safe; works only with {@link HandoffConsumer}s.
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
     * @throws IllegalArgumentException (in the stage) when {@code instance} is not a {@link HandoffConsumer}
     */
    @Override
    public CompletionStage<Void> detach(Lifecycle instance) {
        if (!(instance instanceof HandoffConsumer)) {
            return notAConsumer(instance);
        }
        return instance.stopAccepting();
    }

    private static CompletionStage<Void> notAConsumer(Lifecycle instance) {
        return CompletableFuture.failedFuture(new IllegalArgumentException(
                "SubscriptionRouter routes HandoffConsumers only, but got " + instance));
    }
}
