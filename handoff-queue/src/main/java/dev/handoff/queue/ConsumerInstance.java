package dev.handoff.queue;

import java.util.Objects;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.Executor;

import dev.handoff.api.spi.InstanceHandle;

/**
 * The orchestrator's grip on a {@link HandoffConsumer}: an in-process consumer instance. Readiness is the
 * consumer's connection ({@link HandoffConsumer#connect()}, run by the {@link ConsumerLauncher}); attachment is
 * its subscription, made by a {@link SubscriptionRouter}. Blocking consumer calls (re-subscribe, close) run on
 * the given executor, so that no method blocks the orchestrator's thread. Thread-safe.
 */
public final class ConsumerInstance implements InstanceHandle {
    private final HandoffConsumer consumer;
    private final Executor executor;

    /**
     * @param consumer the consumer
     * @param executor runs the blocking calls (broker round trips)
     * @throws NullPointerException when an argument is null
     */
    public ConsumerInstance(HandoffConsumer consumer, Executor executor) {
        this.consumer = Objects.requireNonNull(consumer, "consumer must not be null");
        this.executor = Objects.requireNonNull(executor, "executor must not be null");
    }

    /** @return the consumer */
    public HandoffConsumer consumer() {
        return consumer;
    }

    @Override
    public String id() {
        return consumer.id();
    }

    /** @return completes when the consumer is connected (READY); exceptionally when it could not connect */
    @Override
    public CompletionStage<Void> awaitReady() {
        return consumer.lifecycle().whenReady();
    }

    @Override
    public CompletionStage<Void> failure() {
        return consumer.failure();
    }

    /** @return completes after the subscription's cancel-ok and the requeue of every job not started */
    @Override
    public CompletionStage<Void> stopAccepting() {
        return consumer.stopAccepting();
    }

    @Override
    public CompletionStage<Void> resumeAccepting() {
        return CompletableFuture.runAsync(consumer::resumeAccepting, executor);
    }

    @Override
    public CompletionStage<Void> drain() {
        return consumer.drain();
    }

    @Override
    public long inFlight() {
        return consumer.inFlight();
    }

    /** @return completes with the number of jobs requeued while their handler ran (possible duplicates) */
    @Override
    public CompletionStage<Long> forceStop() {
        return CompletableFuture.completedFuture(consumer.forceStop());
    }

    @Override
    public CompletionStage<Void> destroy() {
        return CompletableFuture.runAsync(consumer::close, executor);
    }

    /** Subscribes: the router's attach. */
    CompletionStage<Void> subscribe() {
        return CompletableFuture.runAsync(consumer::subscribe, executor);
    }

    @Override
    public String toString() {
        return "ConsumerInstance[" + consumer + "]";
    }
}
