package dev.handoff.kafka;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.ByteArraySerializer;

import dev.handoff.queue.Job;
import dev.handoff.queue.JobHandler;

/**
 * Test support: publishes records {@code p<partition>-<seq>} (key = value = that id) to chosen partitions, and keeps
 * a ledger of every run, in order per partition, that also notices two records of one partition running at once.
 */
final class Records {

    private final Map<Integer, List<Integer>> runs = new ConcurrentHashMap<>();
    private final Map<Integer, AtomicInteger> running = new ConcurrentHashMap<>();
    private final Map<String, AtomicInteger> counts = new ConcurrentHashMap<>();
    private final List<String> overlaps = new CopyOnWriteArrayList<>();
    private final List<String> redelivered = new CopyOnWriteArrayList<>();

    static Map<String, Object> consumerSettings(String bootstrap, String group) {
        Map<String, Object> settings = new HashMap<>();
        settings.put("bootstrap.servers", bootstrap);
        settings.put("group.id", group);
        settings.put("auto.offset.reset", "earliest");
        settings.put("heartbeat.interval.ms", "100");
        settings.put("session.timeout.ms", "3000");
        settings.put("max.poll.records", "50");
        return settings;
    }

    static Map<String, Object> consumerProtocolSettings(String bootstrap, String group) {
        Map<String, Object> settings = consumerSettings(bootstrap, group);
        settings.remove("heartbeat.interval.ms");
        settings.remove("session.timeout.ms");
        settings.put("group.protocol", "consumer");
        return settings;
    }

    static KafkaProducer<byte[], byte[]> producer(String bootstrap) {
        Map<String, Object> settings = new HashMap<>();
        settings.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
        settings.put(ProducerConfig.ACKS_CONFIG, "all");
        settings.put(ProducerConfig.LINGER_MS_CONFIG, "2");
        return new KafkaProducer<>(settings, new ByteArraySerializer(), new ByteArraySerializer());
    }

    /** Publishes {@code perPartition} records to each of {@code partitions} partitions, from {@code from}. */
    static List<String> publish(KafkaProducer<byte[], byte[]> producer, String topic, int partitions, int from,
                                int perPartition) throws Exception {
        List<String> ids = new ArrayList<>();
        for (int seq = from; seq < from + perPartition; seq++) {
            for (int partition = 0; partition < partitions; partition++) {
                String id = "p" + partition + "-" + seq;
                byte[] bytes = id.getBytes(StandardCharsets.UTF_8);
                producer.send(new ProducerRecord<>(topic, partition, bytes, bytes));
                ids.add(id);
            }
        }
        producer.flush();
        return ids;
    }

    static int partitionOf(String id) {
        return Integer.parseInt(id.substring(1, id.indexOf('-')));
    }

    static int sequenceOf(String id) {
        return Integer.parseInt(id.substring(id.indexOf('-') + 1));
    }

    /** Call first thing in a handler. */
    void started(Job job) {
        int partition = partitionOf(job.id());
        if (running.computeIfAbsent(partition, p -> new AtomicInteger()).incrementAndGet() > 1) {
            overlaps.add(job.id());
        }
        runs.computeIfAbsent(partition, p -> new CopyOnWriteArrayList<>()).add(sequenceOf(job.id()));
        counts.computeIfAbsent(job.id(), id -> new AtomicInteger()).incrementAndGet();
        if (job.redelivered()) {
            redelivered.add(job.id());
        }
    }

    /** Call last thing in a handler (in a finally). */
    void ended(Job job) {
        running.get(partitionOf(job.id())).decrementAndGet();
    }

    /**
     * @return a handler that records each job in this ledger and holds {@code jobId}: counts {@code held} down, then
     *     waits (up to 30 s, failing if that passes) for {@code release}
     */
    JobHandler holding(String jobId, CountDownLatch held, CountDownLatch release) {
        return job -> {
            started(job);
            try {
                if (job.id().equals(jobId)) {
                    held.countDown();
                    assertThat(release.await(30, TimeUnit.SECONDS)).isTrue();
                }
            } finally {
                ended(job);
            }
        };
    }

    /** Runs a job for {@code millis} ms, interruptibly. */
    void work(Job job, long millis) throws InterruptedException {
        started(job);
        try {
            TimeUnit.MILLISECONDS.sleep(millis);
        } finally {
            ended(job);
        }
    }

    int distinct() {
        return counts.size();
    }

    long duplicates() {
        return counts.values().stream().mapToInt(AtomicInteger::get).filter(count -> count > 1)
                .map(count -> count - 1).sum();
    }

    List<String> missing(List<String> published) {
        return published.stream().filter(id -> !counts.containsKey(id)).toList();
    }

    int runsOf(String id) {
        AtomicInteger count = counts.get(id);
        return count == null ? 0 : count.get();
    }

    /** @return per partition, the sequence numbers in the order they ran */
    Map<Integer, List<Integer>> runs() {
        return runs;
    }

    List<String> overlaps() {
        return overlaps;
    }

    List<String> redelivered() {
        return redelivered;
    }

    static Duration seconds(long seconds) {
        return Duration.ofSeconds(seconds);
    }
}
