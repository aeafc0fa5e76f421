package dev.handoff.kafka;

import dev.handoff.test.kafka.KafkaNode;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;

/**
 * What the Kafka test classes share: one in-process KRaft broker and one producer for the class, a fresh topic per
 * test, and the consumers a test built, closed after it.
 */
abstract class BrokerPerClass {

    private static final AtomicInteger NAMES = new AtomicInteger();
    static KafkaNode kafka;
    static KafkaProducer<byte[], byte[]> producer;
    /** The consumers the test built, in order. */
    final List<KafkaHandoffConsumer> consumers = new CopyOnWriteArrayList<>();

    @BeforeAll
    static void startBroker() {
        kafka = KafkaNode.start();
        producer = Records.producer(kafka.bootstrapServers());
    }

    @AfterAll
    static void stopBroker() {
        if (producer != null) {
            producer.close(Duration.ofSeconds(5));
        }
        if (kafka != null) {
            kafka.close();
        }
    }

    @AfterEach
    void closeConsumers() {
        consumers.forEach(KafkaHandoffConsumer::close);
    }

    /** @return a new topic of {@code partitions} partitions, named {@code prefix<n>} */
    static String newTopic(String prefix, int partitions) {
        String topic = prefix + NAMES.incrementAndGet();
        kafka.createTopic(topic, partitions);
        return topic;
    }

    /** @return {@code consumer}, closed after the test */
    KafkaHandoffConsumer track(KafkaHandoffConsumer consumer) {
        consumers.add(consumer);
        return consumer;
    }
}
