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
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;

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
 * The Kafka baselines: a consumer with no handoff, as most applications write one. Its poll loop hands each
 * partition's records of a poll to a thread pool (one task per partition, in order), waits for them, commits and
 * polls again. {@link Style#NAIVE}: the eager assignor and auto-commit; {@link #closeNow()} closes the client at
 * once, in the middle of a batch (auto-commit commits the fetch position). {@link Style#COOPERATIVE}: the
 * cooperative-sticky assignor, commits on revoke (the baseline), and retires by {@code close()} with no
 * draining. {@link Style#PLAIN}: cooperative-sticky, commits after each batch, for a group that is never swapped.
 * Thread-safe.
 */
final class PlainKafkaConsumer {

    /** How the baseline commits and retires. */
    enum Style { NAIVE, COOPERATIVE, PLAIN }

    private final Style style;
    private final KafkaConsumer<byte[], byte[]> consumer;
    private final JobHandler handler;
    private final ExecutorService pool;
    private final Thread poller;
    private final CompletableFuture<Void> joined = new CompletableFuture<>();
    private final CompletableFuture<Void> ended = new CompletableFuture<>();
    private final Map<TopicPartition, Long> processed = new ConcurrentHashMap<>();
    private volatile boolean closing;

    PlainKafkaConsumer(Style style, String id, String bootstrap, String group, String topic, JobHandler handler,
                       int concurrency, int maxPollRecords) {
        this.style = style;
        this.handler = handler;
        Map<String, Object> settings = new HashMap<>();
        settings.put("bootstrap.servers", bootstrap);
        settings.put("group.id", group);
        settings.put("client.id", id);
        settings.put("auto.offset.reset", "earliest");
        settings.put("max.poll.records", String.valueOf(maxPollRecords));
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
                    if (style != Style.NAIVE) {
                        commitProcessed(partitions);
                    }
                }

                @Override
                public void onPartitionsAssigned(Collection<TopicPartition> partitions) {
                    joined.complete(null);
                }
            });
            while (!closing) {
                ConsumerRecords<byte[], byte[]> records = consumer.poll(Duration.ofMillis(50));
                List<Future<?>> batch = new ArrayList<>();
                for (TopicPartition partition : records.partitions()) {
                    List<ConsumerRecord<byte[], byte[]>> list = records.records(partition);
                    batch.add(pool.submit(() -> run(partition, list)));
                }
                for (Future<?> task : batch) {
                    if (closing) {
                        break; // naive: closed in the middle of the batch
                    }
                    task.get();
                }
                if (!closing && style == Style.PLAIN) {
                    commitProcessed(consumer.assignment());
                }
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } catch (Exception e) {
            ended.completeExceptionally(e);
        } finally {
            pool.shutdownNow();
            try {
                consumer.close(CloseOptions.timeout(Duration.ofSeconds(10)));
            } catch (KafkaException e) {
                // the baseline does what a plain consumer does: nothing more
            }
            ended.complete(null);
        }
    }

    private void run(TopicPartition partition, List<ConsumerRecord<byte[], byte[]>> records) {
        for (ConsumerRecord<byte[], byte[]> record : records) {
            if (closing && style == Style.NAIVE) {
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
            processed.put(partition, record.offset() + 1);
        }
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
     * Retires the consumer: stops polling and closes the client (its own close, in the poll thread: naive in the
     * middle of a batch; cooperative after its batch, with the revocation's commit, or none when the close lands in a
     * rebalance).
     *
     * @param timeout bound on the close
     */
    void closeNow(Duration timeout) throws Exception {
        closing = true;
        ended.get(timeout.toMillis(), TimeUnit.MILLISECONDS);
    }
}
