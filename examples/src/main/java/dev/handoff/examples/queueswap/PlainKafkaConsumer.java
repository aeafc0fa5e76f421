package dev.handoff.examples.queueswap;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import org.apache.kafka.clients.consumer.CloseOptions;
import org.apache.kafka.clients.consumer.ConsumerRebalanceListener;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.ConsumerRecords;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.common.KafkaException;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;

import dev.handoff.queue.Job;
import dev.handoff.queue.JobHandler;

/**
 * The Kafka baselines: a consumer with no handoff, written the way a parallel consumer usually is: one poll thread,
 * each partition's records chained on a shared pool (in order within a partition, partitions in parallel), a
 * partition paused while more than {@code maxQueued} of its records wait. No in-flight tracking, no drain, no
 * handover protocol. {@link Style#NAIVE}: the eager assignor and auto-commit; {@link #closeNow} closes the client at
 * once (auto-commit commits the fetch position, past the records still queued). {@link Style#COOPERATIVE}: the
 * cooperative-sticky assignor; it commits what was processed every 200 ms and on revoke, where it drops the revoked
 * partitions' queued records without waiting for the records running (no draining); it retires by {@code close()}.
 * {@link Style#PLAIN}: as cooperative, for a group that is never swapped (the throughput baseline). Thread-safe.
 */
final class PlainKafkaConsumer {

    /** How the baseline commits and retires. */
    enum Style { NAIVE, COOPERATIVE, PLAIN }

    private final Style style;
    private final KafkaConsumer<byte[], byte[]> consumer;
    private final JobHandler handler;
    private final int maxQueued;
    private final ExecutorService pool;
    private final Thread poller;
    private final CompletableFuture<Void> joined = new CompletableFuture<>();
    private final CompletableFuture<Void> ended = new CompletableFuture<>();
    private final Map<TopicPartition, Long> processed = new ConcurrentHashMap<>();
    private final Map<TopicPartition, Lane> lanes = new ConcurrentHashMap<>();
    private volatile boolean closing;

    /** One partition's chain of records on the pool. */
    private static final class Lane {
        final AtomicInteger queued = new AtomicInteger();
        volatile boolean dropped;
        CompletableFuture<Void> tail = CompletableFuture.completedFuture(null);
    }

    PlainKafkaConsumer(Style style, String id, String bootstrap, String group, String topic, JobHandler handler,
                       int concurrency, int maxQueued) {
        this.style = style;
        this.handler = handler;
        this.maxQueued = maxQueued;
        Map<String, Object> settings = new HashMap<>();
        settings.put("bootstrap.servers", bootstrap);
        settings.put("group.id", group);
        settings.put("client.id", id);
        settings.put("auto.offset.reset", "earliest");
        settings.put("max.poll.records", "100");
        if (style == Style.NAIVE) {
            settings.put("enable.auto.commit", "true");
            settings.put("partition.assignment.strategy", "org.apache.kafka.clients.consumer.RangeAssignor");
        } else {
            settings.put("enable.auto.commit", "false");
            settings.put("partition.assignment.strategy",
                    "org.apache.kafka.clients.consumer.CooperativeStickyAssignor");
        }
        this.consumer = new KafkaConsumer<>(settings, new ByteArrayDeserializer(), new ByteArrayDeserializer());
        this.pool = Executors.newFixedThreadPool(concurrency, runnable -> {
            Thread thread = new Thread(runnable, "plain-kafka-" + id);
            thread.setDaemon(true);
            return thread;
        });
        this.poller = new Thread(() -> loop(topic), "plain-kafka-" + id + "-poll");
        poller.setDaemon(true);
        poller.start();
    }

    /** @return completes at the first assignment (the consumer has joined the group) */
    CompletableFuture<Void> joined() {
        return joined;
    }

    private void loop(String topic) {
        try {
            consumer.subscribe(List.of(topic), new ConsumerRebalanceListener() {
                @Override
                public void onPartitionsRevoked(Collection<TopicPartition> partitions) {
                    for (TopicPartition partition : partitions) {
                        Lane lane = lanes.remove(partition);
                        if (lane != null) {
                            lane.dropped = true;
                        }
                    }
                    if (style != Style.NAIVE) {
                        commitProcessed(partitions);
                    }
                }

                @Override
                public void onPartitionsAssigned(Collection<TopicPartition> partitions) {
                    joined.complete(null);
                }
            });
            long lastCommit = System.nanoTime();
            while (!closing) {
                pauseFullLanes();
                ConsumerRecords<byte[], byte[]> records = consumer.poll(Duration.ofMillis(50));
                for (TopicPartition partition : records.partitions()) {
                    Lane lane = lanes.computeIfAbsent(partition, p -> new Lane());
                    for (ConsumerRecord<byte[], byte[]> record : records.records(partition)) {
                        lane.queued.incrementAndGet();
                        lane.tail = lane.tail.thenRunAsync(() -> run(partition, lane, record), pool);
                    }
                }
                if (style != Style.NAIVE && System.nanoTime() - lastCommit > TimeUnit.MILLISECONDS.toNanos(200)) {
                    lastCommit = System.nanoTime();
                    commitProcessed(consumer.assignment());
                }
            }
        } catch (Exception e) {
            ended.completeExceptionally(e);
        } finally {
            try {
                consumer.close(CloseOptions.timeout(Duration.ofSeconds(10)));
            } catch (KafkaException e) {
                // the baseline does what a plain consumer does: nothing more
            }
            pool.shutdownNow();
            ended.complete(null);
        }
    }

    private void pauseFullLanes() {
        List<TopicPartition> pause = new ArrayList<>();
        List<TopicPartition> resume = new ArrayList<>();
        for (Map.Entry<TopicPartition, Lane> entry : lanes.entrySet()) {
            int queued = entry.getValue().queued.get();
            if (queued > maxQueued) {
                pause.add(entry.getKey());
            } else if (queued <= maxQueued / 2) {
                resume.add(entry.getKey());
            }
        }
        resume.retainAll(consumer.assignment());
        pause.retainAll(consumer.assignment());
        consumer.pause(pause);
        consumer.resume(resume);
    }

    private void run(TopicPartition partition, Lane lane, ConsumerRecord<byte[], byte[]> record) {
        lane.queued.decrementAndGet();
        if (lane.dropped || (closing && style == Style.NAIVE)) {
            return;
        }
        try {
            handler.handle(new Job(new String(record.key(), StandardCharsets.UTF_8), record.value(), false, 1));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return;
        } catch (Exception e) {
            // the baselines have no failing jobs
        }
        processed.merge(partition, record.offset() + 1, Math::max);
    }
    private void commitProcessed(Collection<TopicPartition> partitions) {
        Map<TopicPartition, OffsetAndMetadata> offsets = new HashMap<>();
        for (TopicPartition partition : partitions) {
            Long next = processed.get(partition);
            if (next != null) {
                offsets.put(partition, new OffsetAndMetadata(next));
            }
        }
        if (offsets.isEmpty()) {
            return;
        }
        try {
            consumer.commitSync(offsets);
        } catch (KafkaException e) {
            // a plain consumer logs this and goes on: the records run again at the next owner
        }
    }

    /**
     * Retires the consumer: stops polling and closes the client in the poll thread (naive: the records queued are
     * dropped, auto-commit commits the fetch position; cooperative: the revocation's commit, or none when the close
     * lands in a rebalance; the records running are not waited for).
     *
     * @param timeout bound on the close
     */
    void closeNow(Duration timeout) throws Exception {
        closing = true;
        ended.get(timeout.toMillis(), TimeUnit.MILLISECONDS);
    }
}
