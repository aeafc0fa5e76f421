package dev.handoff.queue;

import dev.handoff.core.HandoffMetrics;
import dev.handoff.core.LifecycleMetrics;
import dev.handoff.queue.internal.JobMeters;

import io.micrometer.core.instrument.Meter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Tag;
import io.micrometer.core.instrument.Tags;

import java.util.Map;
import java.util.Objects;
import java.util.function.Consumer;
import java.util.function.ToLongFunction;

/**
 * Binds the meters of one {@link HandoffConsumer} to a Micrometer registry: those of its lifecycle
 * ({@link LifecycleMetrics}: {@value HandoffMetrics#IN_FLIGHT} with {@code tracker=jobs}, the state) and
 * {@value HandoffMetrics#QUEUE_JOBS}, the jobs it settled, one function counter per {@code outcome}
 * ({@code acked}, {@code given_back}, {@code retried}, {@code dead_lettered}, {@code discarded}, {@code forced},
 * {@code ack_failed}; see {@link HandoffConsumer.Stats}). Names, tags and units are in {@link HandoffMetrics}.
 *
 * <pre>{@code
 * HandoffConsumerMetrics metrics = new HandoffConsumerMetrics(consumer);
 * metrics.bindTo(registry);
 * ...
 * metrics.close();   // when the consumer is destroyed
 * }</pre>
 *
 * <p>The meters hold the consumer weakly, as Micrometer's do, and {@link #close()} removes every meter this binder
 * registered. Thread-safe.
 */
public final class HandoffConsumerMetrics extends LifecycleMetrics {

    private static final Map<String, ToLongFunction<HandoffConsumer.Stats>> OUTCOMES = Map.of(
            "acked", HandoffConsumer.Stats::acked,
            "given_back", HandoffConsumer.Stats::givenBack,
            "retried", HandoffConsumer.Stats::retried,
            "dead_lettered", HandoffConsumer.Stats::deadLettered,
            "discarded", HandoffConsumer.Stats::discarded,
            "forced", HandoffConsumer.Stats::forced,
            "ack_failed", HandoffConsumer.Stats::ackFailed);

    private final HandoffConsumer consumer;

    /**
     * @param consumer the consumer whose meters to bind
     * @throws NullPointerException when {@code consumer} is null
     */
    public HandoffConsumerMetrics(HandoffConsumer consumer) {
        this(consumer, Tags.empty());
    }

    /**
     * @param consumer  the consumer whose meters to bind
     * @param extraTags added to every meter, e.g. the application's version
     * @throws NullPointerException when an argument is null
     */
    public HandoffConsumerMetrics(HandoffConsumer consumer, Iterable<Tag> extraTags) {
        super(Objects.requireNonNull(consumer, "consumer must not be null"), extraTags);
        this.consumer = consumer;
    }

    /** One {@value HandoffMetrics#QUEUE_JOBS} counter per outcome. */
    @Override
    protected void bindMore(MeterRegistry registry, Tags tags, Consumer<Meter> keep) {
        JobMeters.bindOutcomes(registry, tags, keep, consumer, HandoffConsumer::stats, OUTCOMES);
    }
}
