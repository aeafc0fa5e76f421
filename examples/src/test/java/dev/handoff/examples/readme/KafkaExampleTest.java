package dev.handoff.examples.readme;

import static org.assertj.core.api.Assertions.assertThat;

import dev.handoff.test.kafka.KafkaNode;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.Test;

/**
 * The README's Kafka example on a real in-process broker: every record it bills is billed once, and the group's
 * committed offsets account for exactly the records billed (nothing committed unprocessed, nothing processed and left
 * uncommitted), across a start and a rolling swap of both members.
 */
class KafkaExampleTest {

    private static final int RECORDS = 300;
    private static final int PARTITIONS = 6;

    @Test
    void theExampleBillsEachRecordAtMostOnceAndCommitsExactlyWhatItBilled() throws Exception {
        try (KafkaNode node = KafkaNode.start()) {
            node.createTopic("invoices", PARTITIONS);
            try (KafkaProducer<String, byte[]> producer = new KafkaProducer<>(Map.of(
                    ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, node.bootstrapServers(),
                    ProducerConfig.ACKS_CONFIG, "all"), new StringSerializer(), new ByteArraySerializer())) {
                for (int i = 0; i < RECORDS; i++) {
                    producer.send(new ProducerRecord<>("invoices", "invoice-" + i,
                            ("invoice-" + i).getBytes(StandardCharsets.UTF_8))).get(30, TimeUnit.SECONDS);
                }
            }
            Map<String, AtomicInteger> billed = new ConcurrentHashMap<>();

            KafkaExample.run(node.bootstrapServers(), body ->
                    billed.computeIfAbsent(new String(body, StandardCharsets.UTF_8), key -> new AtomicInteger())
                            .incrementAndGet());

            assertThat(billed.values()).as("bills per invoice").allSatisfy(count -> assertThat(count.get()).isOne());
            assertThat(billed).isNotEmpty();
            Map<TopicPartition, OffsetAndMetadata> committed = node.admin()
                    .listConsumerGroupOffsets("billing").partitionsToOffsetAndMetadata().get(30, TimeUnit.SECONDS);
            long committedRecords = committed.entrySet().stream()
                    .filter(entry -> entry.getKey().topic().equals("invoices"))
                    .mapToLong(entry -> entry.getValue().offset()).sum();
            assertThat(committedRecords).as("offsets committed by the group").isEqualTo(billed.size());
        }
    }

    @Test
    void theReadmeShowsTheExampleAsTested() throws IOException {
        ReadmeSnippet.assertReadmeShows("KafkaExample.java");
    }
}
