package dev.handoff.kafka;

import dev.handoff.core.HandoffMetrics;
import dev.handoff.core.LifecycleMetrics;
import dev.handoff.queue.internal.JobMeters;

import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.Meter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Tag;
import io.micrometer.core.instrument.Tags;

import java.util.Map;
import java.util.Objects;
import java.util.function.Consumer;
import java.util.function.ToLongFunction;

/**
 * Binds the meters of one {@link KafkaHandoffConsumer} to a Micrometer registry, under the same names as a queue
 * consumer's ({@code HandoffConsumerMetrics}) where they mean the same, so that one dashboard serves both brokers,
 * and under {@code handoff.kafka.*} for what only Kafka has. Every meter reads the consumer's own counters
 * ({@link KafkaHandoffConsumer#stats()}) when it is scraped: nothing is looked up or allocated per record.
 *
 * <table>
 *   <caption>Meters of a Kafka consumer</caption>
 *   <tr><th>name</th><th>type (unit)</th><th>tags</th><th>what it counts</th></tr>
 *   <tr><td>{@value HandoffMetrics#IN_FLIGHT}, {@value HandoffMetrics#RELEASE_ERRORS},
 *       {@value HandoffMetrics#LIFECYCLE_STATE}</td><td colspan="3">the lifecycle's, as for every instance
 *       ({@link LifecycleMetrics}); the tracker is {@code jobs}: records fetched and not yet finished</td></tr>
 *   <tr><td>{@value HandoffMetrics#QUEUE_JOBS}</td><td>function counter ({@value HandoffMetrics#UNIT_JOBS})</td>
 *       <td>{@code instance}, {@code outcome}</td><td>records settled, by outcome: {@code acked}
 *       ({@link KafkaHandoffConsumer.Stats#acked()}), {@code given_back} ({@code givenBack}: fetched, not started,
 *       fetched again by their next owner), {@code retried}, {@code dead_lettered}, {@code discarded}
 *       ({@link dev.handoff.queue.FailurePolicy#LOG_AND_DISCARD}), {@code forced} ({@code abandoned}: the handler
 *       was interrupted at a drain deadline, a handover timeout or a close; the record runs again at its next
 *       owner). A queue consumer's {@code ack_failed} has no Kafka counterpart (records are not acknowledged one by
 *       one; see {@value HandoffMetrics#KAFKA_COMMIT_FAILURES})</td></tr>
 *   <tr><td>{@value HandoffMetrics#KAFKA_REDELIVERED}</td>
 *       <td>function counter ({@value HandoffMetrics#UNIT_JOBS})</td>
 *       <td>{@code instance}</td><td>records started that an earlier owner had started without committing them
 *       ({@link dev.handoff.queue.Job#redelivered()})</td></tr>
 *   <tr><td>{@value HandoffMetrics#KAFKA_COMMITS}</td>
 *       <td>function counter ({@value HandoffMetrics#UNIT_COMMITS})</td>
 *       <td>{@code instance}, {@value HandoffMetrics#TAG_KIND}</td><td>offset commits that succeeded:
 *       {@value HandoffMetrics#KIND_PERIODIC} (asynchronous, every commit interval),
 *       {@value HandoffMetrics#KIND_HANDOVER} (synchronous, in a revocation, before the group hands the partitions
 *       on), {@value HandoffMetrics#KIND_FINAL} (synchronous, leaving the group)</td></tr>
 *   <tr><td>{@value HandoffMetrics#KAFKA_COMMIT_FAILURES}</td>
 *       <td>function counter ({@value HandoffMetrics#UNIT_FAILURES})</td>
 *       <td>{@code instance}</td><td>offset commits that failed: records finished since the last commit may run
 *       again, unless a later commit covers them</td></tr>
 *   <tr><td>{@value HandoffMetrics#KAFKA_REBALANCES}</td>
 *       <td>function counter ({@value HandoffMetrics#UNIT_REBALANCES})</td>
 *       <td>{@code instance}</td><td>assignments this member received ({@link KafkaHandoffConsumer#rebalances()})
 *       </td></tr>
 *   <tr><td>{@value HandoffMetrics#KAFKA_PARTITIONS}</td><td>gauge ({@value HandoffMetrics#UNIT_PARTITIONS})</td>
 *       <td>{@code instance}, {@code state}</td><td>partitions {@value HandoffMetrics#STATE_ASSIGNED} to this
 *       member, and those it keeps {@value HandoffMetrics#STATE_PAUSED} (back-pressure, stop-accepting, a
 *       partition blocked by a forced stop)</td></tr>
 * </table>
 *
 * <pre>{@code
 * KafkaHandoffConsumerMetrics metrics = new KafkaHandoffConsumerMetrics(consumer);
 * metrics.bindTo(registry);
 * ...
 * metrics.close();   // when the consumer is destroyed
 * }</pre>
 *
 * <p>The meters hold the consumer weakly, as Micrometer's do, and {@link #close()} removes every meter this binder
 * registered. The Kafka client's own metrics (fetch rates, lag) are not bound here. Thread-safe.
 */
public final class KafkaHandoffConsumerMetrics extends LifecycleMetrics {

    /** The outcomes a queue consumer also has, under its tag values. */
    private static final Map<String, ToLongFunction<KafkaHandoffConsumer.Stats>> OUTCOMES = Map.of(
            "acked", KafkaHandoffConsumer.Stats::acked,
            "given_back", KafkaHandoffConsumer.Stats::givenBack,
            "retried", KafkaHandoffConsumer.Stats::retried,
            "dead_lettered", KafkaHandoffConsumer.Stats::deadLettered,
            "discarded", KafkaHandoffConsumer.Stats::discarded,
            "forced", KafkaHandoffConsumer.Stats::abandoned);

    private static final Map<String, ToLongFunction<KafkaHandoffConsumer.Stats>> COMMIT_KINDS = Map.of(
            HandoffMetrics.KIND_PERIODIC, KafkaHandoffConsumer.Stats::periodicCommits,
            HandoffMetrics.KIND_HANDOVER, KafkaHandoffConsumer.Stats::handoverCommits,
            HandoffMetrics.KIND_FINAL, KafkaHandoffConsumer.Stats::finalCommits);

    private final KafkaHandoffConsumer consumer;

    /**
     * @param consumer the consumer whose meters to bind
     * @throws NullPointerException when {@code consumer} is null
     */
    public KafkaHandoffConsumerMetrics(KafkaHandoffConsumer consumer) {
        this(consumer, Tags.empty());
    }

    /**
     * @param consumer  the consumer whose meters to bind
     * @param extraTags added to every meter, e.g. the application's version
     * @throws NullPointerException when an argument is null
     */
    public KafkaHandoffConsumerMetrics(KafkaHandoffConsumer consumer, Iterable<Tag> extraTags) {
        super(Objects.requireNonNull(consumer, "consumer must not be null"), extraTags);
        this.consumer = consumer;
    }

    /** The records by outcome, then the meters only a Kafka consumer has. */
    @Override
    protected void bindMore(MeterRegistry registry, Tags tags, Consumer<Meter> keep) {
        JobMeters.bindOutcomes(registry, tags, keep, consumer, KafkaHandoffConsumer::stats, OUTCOMES);
        keep.accept(FunctionCounter.builder(HandoffMetrics.KAFKA_REDELIVERED, consumer,
                        bound -> bound.stats().redelivered())
                .tags(tags)
                .baseUnit(HandoffMetrics.UNIT_JOBS)
                .description("Records started that an earlier owner had started without committing them")
                .register(registry));
        COMMIT_KINDS.forEach((kind, count) -> keep.accept(
                FunctionCounter.builder(HandoffMetrics.KAFKA_COMMITS, consumer,
                                bound -> count.applyAsLong(bound.stats()))
                        .tags(tags)
                        .tag(HandoffMetrics.TAG_KIND, kind)
                        .baseUnit(HandoffMetrics.UNIT_COMMITS)
                        .description("Offset commits that succeeded, by why they were made")
                        .register(registry)));
        keep.accept(FunctionCounter.builder(HandoffMetrics.KAFKA_COMMIT_FAILURES, consumer,
                        bound -> bound.stats().commitFailures())
                .tags(tags)
                .baseUnit(HandoffMetrics.UNIT_FAILURES)
                .description("Offset commits that failed: records finished since the last commit may run again")
                .register(registry));
        keep.accept(FunctionCounter.builder(HandoffMetrics.KAFKA_REBALANCES, consumer, KafkaHandoffConsumer::rebalances)
                .tags(tags)
                .baseUnit(HandoffMetrics.UNIT_REBALANCES)
                .description("Assignments the member received from its group")
                .register(registry));
        keep.accept(Gauge.builder(HandoffMetrics.KAFKA_PARTITIONS, consumer, KafkaHandoffConsumer::assignedCount)
                .tags(tags)
                .tag(HandoffMetrics.TAG_STATE, HandoffMetrics.STATE_ASSIGNED)
                .baseUnit(HandoffMetrics.UNIT_PARTITIONS)
                .description("Partitions assigned to the member")
                .register(registry));
        keep.accept(Gauge.builder(HandoffMetrics.KAFKA_PARTITIONS, consumer, bound -> bound.pausedPartitions().size())
                .tags(tags)
                .tag(HandoffMetrics.TAG_STATE, HandoffMetrics.STATE_PAUSED)
                .baseUnit(HandoffMetrics.UNIT_PARTITIONS)
                .description("Partitions the member keeps paused (back-pressure, stop-accepting, forced stop)")
                .register(registry));
    }
}
