package dev.handoff.kafka;

import java.util.Objects;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.Executor;
import java.util.function.Function;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import dev.handoff.api.Lifecycle;
import dev.handoff.api.spi.Launcher;

/**
 * Step 1 for Kafka consumers: builds a {@link KafkaHandoffConsumer} for the instance id and connects it in the
 * background. The consumer becomes ready when connected; it is not a member of the group (no partition reaches it)
 * until a {@link KafkaGroupRouter} attaches it. Thread-safe.
 */
public final class KafkaConsumerLauncher implements Launcher {
    private static final Logger LOG = LoggerFactory.getLogger(KafkaConsumerLauncher.class);

    private final Function<String, KafkaHandoffConsumer> factory;
    private final Executor executor;

    /**
     * Connects each consumer on a thread of its own.
     *
     * @param factory builds a consumer whose id is the given instance id
     * @throws NullPointerException when {@code factory} is null
     */
    public KafkaConsumerLauncher(Function<String, KafkaHandoffConsumer> factory) {
        this(factory, task -> {
            Thread thread = new Thread(task, "handoff-kafka-connect");
            thread.setDaemon(true);
            thread.start();
        });
    }

    /**
     * @param factory  builds a consumer whose id is the given instance id
     * @param executor runs the blocking connect
     * @throws NullPointerException when an argument is null
     */
    public KafkaConsumerLauncher(Function<String, KafkaHandoffConsumer> factory, Executor executor) {
        this.factory = Objects.requireNonNull(factory, "factory must not be null");
        this.executor = Objects.requireNonNull(executor, "executor must not be null");
    }

    /**
     * @return completes with the instance at once (it connects in the background: await its readiness);
     *     exceptionally when the factory failed or built a consumer with another id
     */
    @Override
    public CompletionStage<Lifecycle> launch(String instanceId) {
        KafkaHandoffConsumer consumer;
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
                LOG.error("consumer {} could not connect: {}", instanceId, e.toString());
            }
        });
        return CompletableFuture.completedFuture(consumer);
    }
}
