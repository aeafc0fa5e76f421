package dev.handoff.kafka;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.Test;

import dev.handoff.core.HandoffMetrics;

import io.micrometer.core.instrument.Tags;
import io.micrometer.core.instrument.search.RequiredSearch;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;

/**
 * {@link KafkaHandoffConsumerMetrics} on a real in-process KRaft broker, started once for this class: the meters read
 * the consumer's {@link KafkaHandoffConsumer.Stats}, under a queue consumer's names where they mean the same.
 */
class KafkaHandoffConsumerMetricsTest extends BrokerPerClass {

    private static final Duration WAIT = Duration.ofSeconds(30);
    private final SimpleMeterRegistry registry = new SimpleMeterRegistry();

    @Test
    void recordsAreCountedByOutcomeUnderTheQueueNamesAndCommitsByKind() throws Exception {
        // given a metered consumer of two partitions that commits only at handovers and when it leaves, where two
        // records always fail (then go to the dead-letter topic) and one fails once
        String topic = newTopic("outcomes", 2);
        kafka.createTopic(topic + ".dead-letter", 2);
        Map<String, Object> settings = Records.consumerSettings(kafka.bootstrapServers(), "metrics-" + topic);
        Records ledger = new Records();
        KafkaHandoffConsumer consumer = track(KafkaHandoffConsumer.builder("metered", settings, topic)
                .concurrency(2).maxAttempts(2).commitInterval(Duration.ofHours(1))
                .handler(job -> {
                    ledger.work(job, 0);
                    if (job.id().equals("p0-3") || job.id().equals("p1-7")
                            || (job.id().equals("p0-5") && job.attempt() == 1)) {
                        throw new IllegalStateException("boom " + job.id());
                    }
                }).build());
        KafkaHandoffConsumerMetrics metrics = new KafkaHandoffConsumerMetrics(consumer, Tags.of("app", "billing"));
        metrics.bindTo(registry);

        // when it processes 40 records, then a second member takes one partition, then it drains
        consumer.start();
        Records.publish(producer, topic, 2, 0, 20);
        await().atMost(WAIT).until(() -> consumer.stats().acked() == 38 && consumer.stats().deadLettered() == 2);
        await().atMost(WAIT).until(() -> gauge(HandoffMetrics.IN_FLIGHT, "metered", "tracker", "jobs") == 0);
        assertThat(gauge(HandoffMetrics.KAFKA_PARTITIONS, "metered", "state", "assigned")).isEqualTo(2);
        assertThat(gauge(HandoffMetrics.KAFKA_PARTITIONS, "metered", "state", "paused")).isZero();
        KafkaHandoffConsumer other = track(KafkaHandoffConsumer.builder("other", settings, topic)
                .handler(job -> ledger.work(job, 0)).build());
        other.start();
        await().atMost(WAIT).until(() -> consumer.assignment().size() == 1 && other.assignment().size() == 1);
        consumer.stopAccepting().toCompletableFuture().get(10, TimeUnit.SECONDS);
        consumer.drain().toCompletableFuture().get(30, TimeUnit.SECONDS);

        // then each meter equals its counter, and the counts are those of the records and of the group's moves
        KafkaHandoffConsumer.Stats stats = consumer.stats();
        assertMetersEqual(consumer, stats);
        assertThat(jobs("metered")).containsExactlyInAnyOrderEntriesOf(Map.of("acked", 38L, "given_back", 0L,
                "retried", 3L, "dead_lettered", 2L, "discarded", 0L, "forced", 0L));
        assertThat(stats.handoverCommits()).as("the partition handed to the other member").isEqualTo(1);
        assertThat(stats.finalCommits()).as("the partition kept until the drain").isEqualTo(1);
        assertThat(stats.redelivered()).isZero();
        assertThat(counter(HandoffMetrics.KAFKA_REBALANCES, "metered")).isGreaterThanOrEqualTo(2);
        assertThat(registry.find(HandoffMetrics.QUEUE_JOBS).tag("outcome", "ack_failed").meters())
                .as("commits, not records, fail in Kafka: counted in " + HandoffMetrics.KAFKA_COMMIT_FAILURES)
                .isEmpty();
        assertThat(registry.get(HandoffMetrics.LIFECYCLE_STATE).tag("instance", "metered").tag("state", "drained")
                .tag("app", "billing").gauge().value()).isEqualTo(1.0);
        assertThat(gauge(HandoffMetrics.KAFKA_PARTITIONS, "metered", "state", "assigned")).isZero();

        metrics.close();

        assertThat(registry.getMeters()).isEmpty();
    }

    @Test
    void aForcedStopCountsTheRecordsGivenBackAndForcedAndTheNextOwnerCountsTheRecordRedelivered()
            throws Exception {
        // given a metered consumer of one partition whose first record never ends by itself, the others fetched
        String topic = newTopic("forced", 1);
        Map<String, Object> settings = Records.consumerSettings(kafka.bootstrapServers(), "metrics-" + topic);
        CountDownLatch held = new CountDownLatch(1);
        KafkaHandoffConsumer old = track(KafkaHandoffConsumer.builder("old", settings, topic).concurrency(1)
                .handler(job -> {
                    if (job.id().equals("p0-0")) {
                        held.countDown();
                        new CountDownLatch(1).await(60, TimeUnit.SECONDS);
                    }
                }).build());
        new KafkaHandoffConsumerMetrics(old).bindTo(registry);
        Records.publish(producer, topic, 1, 0, 10);
        old.start();
        assertThat(held.await(30, TimeUnit.SECONDS)).isTrue();
        await().atMost(WAIT).until(() -> gauge(HandoffMetrics.IN_FLIGHT, "old", "tracker", "jobs") == 10);

        // when it stops accepting, misses its drain deadline and is forced, then another member takes the partition
        old.stopAccepting().toCompletableFuture().get(10, TimeUnit.SECONDS);
        await().atMost(WAIT).until(() -> old.stats().givenBack() == 9);
        CompletableFuture<Void> drained = old.drain().toCompletableFuture();
        assertThat(old.forceStop().toCompletableFuture().get(10, TimeUnit.SECONDS)).isEqualTo(1);
        drained.get(30, TimeUnit.SECONDS);
        old.destroy().toCompletableFuture().get(30, TimeUnit.SECONDS);
        KafkaHandoffConsumer next = track(KafkaHandoffConsumer.builder("next", settings, topic)
                .handler(job -> { }).build());
        new KafkaHandoffConsumerMetrics(next).bindTo(registry);
        next.start();
        await().atMost(WAIT).until(() -> next.stats().acked() == 10);

        // then the old member counts nine records given back and one forced, the next one that record redelivered
        assertMetersEqual(old, old.stats());
        assertMetersEqual(next, next.stats());
        assertThat(jobs("old")).containsExactlyInAnyOrderEntriesOf(Map.of("acked", 0L, "given_back", 9L,
                "retried", 0L, "dead_lettered", 0L, "discarded", 0L, "forced", 1L));
        assertThat(old.stats().periodicCommits() + old.stats().finalCommits())
                .as("the record left started, in a commit's metadata (periodic, or final if none came first)")
                .isPositive();
        assertThat(old.stats().handoverCommits()).as("leaving the group revokes the partition: already committed")
                .isZero();
        assertThat(counter(HandoffMetrics.KAFKA_REDELIVERED, "next")).isEqualTo(1);
        assertThat(jobs("next")).containsEntry("acked", 10L).containsEntry("forced", 0L);
    }

    @Test
    void aNullConsumerIsRefusedNamingIt() {
        assertThatThrownBy(() -> new KafkaHandoffConsumerMetrics(null)).isInstanceOf(NullPointerException.class)
                .hasMessage("consumer must not be null");
    }

    /** Every Kafka consumer meter equals the counter it reads. */
    private void assertMetersEqual(KafkaHandoffConsumer consumer, KafkaHandoffConsumer.Stats stats) {
        String id = consumer.id();
        Map<String, Long> outcomes = new LinkedHashMap<>();
        outcomes.put("acked", stats.acked());
        outcomes.put("given_back", stats.givenBack());
        outcomes.put("retried", stats.retried());
        outcomes.put("dead_lettered", stats.deadLettered());
        outcomes.put("discarded", stats.discarded());
        outcomes.put("forced", stats.abandoned());
        assertThat(jobs(id)).as("handoff.queue.jobs of " + id).isEqualTo(outcomes);
        assertThat(counter(HandoffMetrics.KAFKA_REDELIVERED, id)).isEqualTo(stats.redelivered());
        assertThat(counter(HandoffMetrics.KAFKA_COMMIT_FAILURES, id)).isEqualTo(stats.commitFailures());
        assertThat(counter(HandoffMetrics.KAFKA_REBALANCES, id)).isEqualTo(consumer.rebalances());
        Map<String, Long> commits = Map.of("periodic", stats.periodicCommits(), "handover", stats.handoverCommits(),
                "final", stats.finalCommits());
        commits.forEach((kind, count) -> assertThat((long) search(HandoffMetrics.KAFKA_COMMITS, id)
                .tag("kind", kind).functionCounter().count()).as("commits of kind " + kind).isEqualTo(count));
    }

    /** @return the instance's {@code handoff.queue.jobs} counts by outcome */
    private Map<String, Long> jobs(String instance) {
        Map<String, Long> counts = new LinkedHashMap<>();
        search(HandoffMetrics.QUEUE_JOBS, instance).functionCounters().forEach(counter ->
                counts.put(counter.getId().getTag("outcome"), (long) counter.count()));
        return counts;
    }

    private long counter(String name, String instance) {
        return (long) search(name, instance).functionCounter().count();
    }

    private double gauge(String name, String instance, String tag, String value) {
        return search(name, instance).tag(tag, value).gauge().value();
    }

    private RequiredSearch search(String name, String instance) {
        return registry.get(name).tag(HandoffMetrics.TAG_INSTANCE, instance);
    }
}
