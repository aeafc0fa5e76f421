package dev.handoff.examples.queueswap;

import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.BooleanSupplier;

import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArraySerializer;

import dev.handoff.api.LifecycleState;
import dev.handoff.core.Orchestrator;
import dev.handoff.examples.common.JobLedger;
import dev.handoff.kafka.KafkaHandoffConsumer;
import dev.handoff.queue.ConsumerLauncher;
import dev.handoff.queue.JobHandler;
import dev.handoff.queue.SubscriptionRouter;
import dev.handoff.test.kafka.KafkaNode;

/**
 * {@code queue-swap --broker=kafka}: a KRaft broker in this JVM (Kafka's own test kit), one topic per mode with
 * {@code --partitions} partitions, a consumer group of two members, one member replaced per swap. Every job id is
 * checked against a ledger, and a {@link StallMeter} measures the longest time a partition had records waiting while
 * no consumer processed it.
 */
final class KafkaQueueSwap {

    /** Members of each group. */
    private static final int MEMBERS = 2;

    private KafkaQueueSwap() {
    }

    /** A group of one mode, whose members are replaced one per swap. */
    private interface Group {
        /** Replaces one member; returns the jobs taken from running handlers. */
        long swap(List<Long> drainMillis) throws Exception;

        /** Retires the members. */
        void retire() throws Exception;
    }

    static int run(QueueSwapOptions options, PrintStream out, PrintStream err) {
        err.println("queue-swap: starting a Kafka broker (KRaft, Kafka's test kit) in this JVM ...");
        int status;
        Map<Mode, RunResult> results = new EnumMap<>(Mode.class);
        try (KafkaNode kafka = KafkaNode.start()) {
            // the baselines lose records by design: only the handoff consumer must not
            status = QueueSwap.runModes(options, out, err, mode -> runMode(mode, options, kafka, err),
                    result -> result.mode() == Mode.HANDOFF
                            && (result.lost() != 0 || result.unmarkedDuplicates() != 0),
                    result -> results.put(result.mode(), result));
        } catch (RuntimeException e) {
            err.println("ERROR broker=kafka: " + e.getMessage());
            return 1;
        }
        RunResult handoff = results.get(Mode.HANDOFF);
        RunResult plain = results.get(Mode.PLAIN);
        if (handoff != null && plain != null && plain.jobsPerSecond() > 0) {
            out.println(String.format(Locale.ROOT, "THROUGHPUT broker=kafka handoff_jobs_per_s=%.0f"
                            + " plain_jobs_per_s=%.0f ratio=%.2f", handoff.jobsPerSecond(), plain.jobsPerSecond(),
                    handoff.jobsPerSecond() / plain.jobsPerSecond()));
        }
        return status;
    }

    static RunResult runMode(Mode mode, QueueSwapOptions options, KafkaNode kafka, PrintStream err)
            throws Exception {
        int partitions = options.partitions();
        String topic = "queue-swap-" + mode.label() + "-" + System.nanoTime();
        kafka.createTopic(topic, partitions);
        JobLedger ledger = new JobLedger();
        Duration timeout = Duration.ofSeconds(options.timeoutSeconds());
        long deadline = System.nanoTime() + timeout.toNanos();
        ExecutorService executor = QueueSwap.modeThreads(mode);
        try (StallMeter meter = new StallMeter(partitions);
             KafkaProducer<byte[], byte[]> producer = new KafkaProducer<>(Map.of("bootstrap.servers",
                     kafka.bootstrapServers(), "linger.ms", "5", "acks", "all"), new ByteArraySerializer(),
                     new ByteArraySerializer())) {
            AtomicBoolean retiring = new AtomicBoolean();
            Map<String, KafkaHandoffConsumer> handoffs = new ConcurrentHashMap<>();
            JobHandlerFactory handlers = id -> {
                BooleanSupplier overrun = options.forceDrain() && mode == Mode.HANDOFF
                        ? () -> !retiring.get() && handoffs.get(id).state() == LifecycleState.DRAINING
                        : () -> false;
                return job -> {
                    if (ledger.record(job.id(), job.redelivered())) {
                        int number = Integer.parseInt(job.id().substring("job-".length()));
                        meter.processed(number % partitions, number / partitions);
                    }
                    QueueSwap.work(options, overrun);
                };
            };
            Group group = mode == Mode.HANDOFF
                    ? handoff(options, kafka, topic, handlers, handoffs, retiring, executor, err)
                    : plain(mode, options, kafka, topic, handlers, err);
            long started = System.nanoTime();
            CompletableFuture<Void> publishing = CompletableFuture.runAsync(() -> {
                for (int i = 0; i < options.messages(); i++) {
                    String id = String.format(Locale.ROOT, "job-%08d", i);
                    byte[] bytes = id.getBytes(StandardCharsets.UTF_8);
                    int partition = i % partitions;
                    meter.published(partition);
                    producer.send(new ProducerRecord<>(topic, partition, bytes, bytes));
                }
                producer.flush();
            }, executor);
            List<Long> drains = new ArrayList<>();
            long forced = 0;
            int swapsDone = 0;
            int swaps = mode == Mode.PLAIN ? 0 : options.swaps();
            for (int swap = 1; swap <= swaps; swap++) {
                long threshold = (long) options.messages() * swap / (swaps + 1);
                if (!awaitThreshold(ledger, threshold, deadline)) {
                    err.println("WARN mode=" + mode.label() + ": " + threshold + " jobs not processed within "
                            + timeout + "; no more swaps");
                    break;
                }
                forced += group.swap(drains);
                swapsDone++;
            }
            publishing.get(QueueSwap.left(deadline).toMillis(), TimeUnit.MILLISECONDS);
            long elapsed = awaitDone(mode, ledger, options.messages(), kafka, topic, partitions, started, deadline,
                    err);
            if (mode == Mode.HANDOFF) {
                // let the redeliveries of the last swaps run, so that every duplicate is counted
                awaitCommitted(kafka, topic, partitions, options.messages(), deadline);
            }
            retiring.set(true);
            group.retire();
            long maxDrain = drains.stream().mapToLong(Long::longValue).max().orElse(0);
            double meanDrain = drains.stream().mapToLong(Long::longValue).average().orElse(0);
            return new RunResult(mode, "kafka", swapsDone, options.messages(), ledger.distinct(),
                    ledger.duplicates(), mode == Mode.HANDOFF ? ledger.unmarkedDuplicates() : 0, forced, maxDrain,
                    meanDrain, elapsed, meter.maxStallMillis());
        } finally {
            executor.shutdownNow();
        }
    }

    /**
     * Waits until {@code threshold} jobs ran, or nothing ran for 2 s (a baseline that lost jobs may never reach it).
     *
     * @return false when the deadline passed first
     */
    private static boolean awaitThreshold(JobLedger ledger, long threshold, long deadline)
            throws InterruptedException {
        long seen = -1;
        long lastProgress = System.nanoTime();
        while (System.nanoTime() < deadline) {
            if (ledger.awaitDistinct(threshold, Duration.ofMillis(100))) {
                return true;
            }
            long now = System.nanoTime();
            if (ledger.distinct() != seen) {
                seen = ledger.distinct();
                lastProgress = now;
            } else if (now - lastProgress > TimeUnit.SECONDS.toNanos(2)) {
                return true;
            }
        }
        return false;
    }

    /**
     * Waits until every job ran; or, for the naive baseline, which loses jobs, until the group committed the end of
     * every partition and nothing ran for 2 s; or until nothing ran for 20 s (a baseline that stalls for good).
     *
     * @return from {@code started} to the last job that ran first, in ms
     */
    private static long awaitDone(Mode mode, JobLedger ledger, int messages, KafkaNode kafka, String topic,
                                  int partitions, long started, long deadline, PrintStream err) throws Exception {
        long seen = -1;
        long lastProgress = System.nanoTime();
        while (System.nanoTime() < deadline) {
            if (ledger.awaitDistinct(messages, Duration.ofMillis(200))) {
                return TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - started);
            }
            long now = System.nanoTime();
            if (ledger.distinct() != seen) {
                seen = ledger.distinct();
                lastProgress = now;
            }
            long idle = now - lastProgress;
            if ((mode == Mode.NAIVE && idle > TimeUnit.SECONDS.toNanos(2)
                    && committedToTheEnd(kafka, topic, partitions, messages))
                    || idle > TimeUnit.SECONDS.toNanos(20)) {
                err.println("WARN mode=" + mode.label() + ": " + (messages - seen) + " job(s) never ran: the group"
                        + " moved past them");
                return TimeUnit.NANOSECONDS.toMillis(lastProgress - started);
            }
        }
        err.println("WARN mode=" + mode.label() + ": not every job processed before the time-out");
        return TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - started);
    }

    private static boolean committedToTheEnd(KafkaNode kafka, String topic, int partitions, int messages)
            throws Exception {
        Map<TopicPartition, OffsetAndMetadata> committed = kafka.admin().listConsumerGroupOffsets(topic)
                .partitionsToOffsetAndMetadata().get(10, TimeUnit.SECONDS);
        for (int partition = 0; partition < partitions; partition++) {
            long end = messages / partitions + (partition < messages % partitions ? 1 : 0);
            OffsetAndMetadata offset = committed.get(new TopicPartition(topic, partition));
            if (end > 0 && (offset == null || offset.offset() < end)) {
                return false;
            }
        }
        return true;
    }

    /** Builds the handler of one consumer. */
    @FunctionalInterface
    private interface JobHandlerFactory {
        JobHandler handlerFor(String consumerId);
    }

    /** Waits (bounded) until the group has committed every record: nothing is left to run again. */
    private static void awaitCommitted(KafkaNode kafka, String topic, int partitions, int messages, long deadline)
            throws Exception {
        long bound = Math.min(deadline, System.nanoTime() + TimeUnit.SECONDS.toNanos(30));
        while (System.nanoTime() < bound && !committedToTheEnd(kafka, topic, partitions, messages)) {
            TimeUnit.MILLISECONDS.sleep(50);
        }
    }

    private static Map<String, Object> handoffSettings(QueueSwapOptions options, KafkaNode kafka, String group) {
        Map<String, Object> settings = new HashMap<>();
        settings.put("bootstrap.servers", kafka.bootstrapServers());
        settings.put("group.id", group);
        settings.put("auto.offset.reset", "earliest");
        settings.put("max.poll.records", "100");
        if (options.groupProtocol().equals("consumer")) {
            settings.put("group.protocol", "consumer");
        } else {
            // members learn of a rebalance at their next heartbeat: 3 s by default
            settings.put("heartbeat.interval.ms", "100");
            settings.put("session.timeout.ms", "6000");
        }
        return settings;
    }

    private static Group handoff(QueueSwapOptions options, KafkaNode kafka, String topic, JobHandlerFactory handlers,
                                 Map<String, KafkaHandoffConsumer> consumers, AtomicBoolean retiring,
                                 ExecutorService executor, PrintStream err) throws Exception {
        Map<String, Object> settings = handoffSettings(options, kafka, topic);
        ConsumerLauncher launcher = new ConsumerLauncher(id -> {
            KafkaHandoffConsumer consumer = KafkaHandoffConsumer.builder(id, settings, topic)
                    .handler(handlers.handlerFor(id))
                    .concurrency(options.concurrency())
                    .maxQueuedPerPartition(options.prefetch())
                    .build();
            consumers.put(id, consumer);
            return consumer;
        }, executor);
        List<Orchestrator> orchestrators = new ArrayList<>();
        Duration stepBound = Duration.ofSeconds(options.timeoutSeconds());
        for (int member = 0; member < MEMBERS; member++) {
            Orchestrator orchestrator = Orchestrator.builder("kafka-" + (char) ('a' + member), launcher,
                            new SubscriptionRouter())
                    .drainTimeout(options.forceDrain() ? Duration.ofMillis(1)
                            : Duration.ofMillis(options.drainMillis()))
                    .forceTimeout(Duration.ofSeconds(10))
                    .build();
            orchestrators.add(orchestrator);
            orchestrator.start(1).toCompletableFuture().get(stepBound.toSeconds(), TimeUnit.SECONDS);
        }
        return new Group() {
            private int next;

            @Override
            public long swap(List<Long> drainMillis) throws Exception {
                return QueueSwap.swapOne(orchestrators.get(next++ % MEMBERS), stepBound, drainMillis, err,
                        result -> { });
            }

            @Override
            public void retire() throws Exception {
                retiring.set(true);
                try {
                    for (Orchestrator orchestrator : orchestrators) {
                        QueueSwap.retireAll(orchestrator, options);
                    }
                } finally {
                    orchestrators.forEach(Orchestrator::close);
                    consumers.values().forEach(KafkaHandoffConsumer::close);
                }
            }
        };
    }

    private static Group plain(Mode mode, QueueSwapOptions options, KafkaNode kafka, String topic,
                               JobHandlerFactory handlers, PrintStream err) throws Exception {
        PlainKafkaConsumer.Style style = switch (mode) {
            case NAIVE -> PlainKafkaConsumer.Style.NAIVE;
            case COOPERATIVE -> PlainKafkaConsumer.Style.COOPERATIVE;
            case PLAIN -> PlainKafkaConsumer.Style.PLAIN;
            default -> throw new IllegalArgumentException("no Kafka baseline for mode " + mode.label());
        };
        Duration bound = Duration.ofSeconds(60);
        List<PlainKafkaConsumer> members = new ArrayList<>();
        int[] ids = {0};
        java.util.function.Supplier<PlainKafkaConsumer> newMember = () -> {
            String id = mode.label() + "-" + (++ids[0]);
            return new PlainKafkaConsumer(style, id, kafka.bootstrapServers(), topic, topic, handlers.handlerFor(id),
                    options.concurrency(), options.prefetch());
        };
        for (int member = 0; member < MEMBERS; member++) {
            PlainKafkaConsumer consumer = newMember.get();
            members.add(consumer);
        }
        for (PlainKafkaConsumer member : members) {
            member.joined().get(bound.toMillis(), TimeUnit.MILLISECONDS);
        }
        return new Group() {
            private int next;

            @Override
            public long swap(List<Long> drainMillis) throws Exception {
                int slot = next++ % MEMBERS;
                PlainKafkaConsumer replacement = newMember.get();
                replacement.joined().get(bound.toMillis(), TimeUnit.MILLISECONDS);
                long from = System.nanoTime();
                members.get(slot).closeNow(bound);
                drainMillis.add(TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - from));
                members.set(slot, replacement);
                err.println("SWAP " + mode.label() + " member " + slot + " replaced, closed in "
                        + drainMillis.get(drainMillis.size() - 1) + "ms");
                return 0;
            }

            @Override
            public void retire() throws Exception {
                for (PlainKafkaConsumer member : members) {
                    member.closeNow(bound);
                }
            }
        };
    }
}
