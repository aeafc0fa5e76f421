package dev.handoff.queue;

import java.util.Objects;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.Executor;
import java.util.function.Function;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import dev.handoff.api.Lifecycle;
import dev.handoff.api.spi.Launcher;
import dev.handoff.queue.spi.BrokerConsumer;

/**
 * Step 1 for broker consumers: builds a {@link BrokerConsumer} (a {@link HandoffConsumer}, a Kafka consumer) for the
 * instance id and connects it in the background. The returned consumer becomes ready when connected; it is not
 * subscribed (no job reaches it) until a {@link SubscriptionRouter} attaches it. Thread-safe.
 */
public final class ConsumerLauncher implements Launcher {
    private static final Logger LOG = LoggerFactory.getLogger(ConsumerLauncher.class);

    private final Function<String, ? extends BrokerConsumer> factory;
    private final Executor executor;

    /**
     * Connects each consumer on a thread of its own.
     *
     * @param factory builds a consumer whose id is the given instance id, e.g.
     *                {@code id -> HandoffConsumer.builder(id).source(queue::connect).handler(h).build()}
     * @throws NullPointerException when {@code factory} is null
     */
    public ConsumerLauncher(Function<String, ? extends BrokerConsumer> factory) {
        this(factory, task -> {
            Thread thread = new Thread(task, "handoff-consumer-connect");
            thread.setDaemon(true);
            thread.start();
        });
    }

    /**
     * @param factory  builds a consumer whose id is the given instance id, e.g.
     *                 {@code id -> HandoffConsumer.builder(id).source(queue::connect).handler(h).build()}
     * @param executor runs the blocking connect
     * @throws NullPointerException when an argument is null
     */
    public ConsumerLauncher(Function<String, ? extends BrokerConsumer> factory, Executor executor) {
        this.factory = Objects.requireNonNull(factory, "factory must not be null");
        this.executor = Objects.requireNonNull(executor, "executor must not be null");
    }

    /**
     * @return completes with the instance at once (it connects in the background: await its readiness);
     *     exceptionally when the factory failed or returned a consumer with another id
     */
    @Override
    public CompletionStage<Lifecycle> launch(String instanceId) {
        BrokerConsumer consumer;
        try {
            consumer = Objects.requireNonNull(factory.apply(instanceId), "the consumer factory returned null");
        } catch (RuntimeException e) {
            return CompletableFuture.failedFuture(e);
        }
        if (!consumer.id().equals(instanceId)) {
            consumer.close();
            return CompletableFuture.failedFuture(new IllegalStateException("the consumer factory must build a "
                    + "consumer with id '" + instanceId + "', but built '" + consumer.id() + "'"));
        }
        executor.execute(() -> {
            try {
                consumer.connect();
            } catch (RuntimeException e) {
                // the consumer is FAILED: whenReady() completes exceptionally with the cause
                LOG.error("consumer {} could not connect: {}", instanceId, e.toString());
            }
        });
        return CompletableFuture.completedFuture(consumer);
    }
}
