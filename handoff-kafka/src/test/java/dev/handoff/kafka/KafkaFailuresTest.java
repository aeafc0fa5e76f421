package dev.handoff.kafka;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.TimeUnit;

import org.apache.kafka.clients.producer.KafkaProducer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import dev.handoff.api.LifecycleState;
import dev.handoff.test.kafka.KafkaNode;

/**
 * What a swap cannot prevent, on a real in-process KRaft broker started for this class (its own, since one test
 * restarts it): a broker restart and a member killed with SIGKILL. Records may then run twice, never not at all.
 */
class KafkaFailuresTest {

    private static KafkaNode kafka;

    @BeforeAll
    static void startBroker() {
        kafka = KafkaNode.start();
    }

    @AfterAll
    static void stopBroker() {
        if (kafka != null) {
            kafka.close();
        }
    }

    @Test
    void afterABrokerRestartTheGroupConsumesAgainAndNothingIsLost() throws Exception {
        // given a consumer in the middle of a backlog
        kafka.createTopic("restart", 3);
        Records ledger = new Records();
        List<String> published = new ArrayList<>();
        try (KafkaProducer<byte[], byte[]> producer = Records.producer(kafka.bootstrapServers());
             KafkaHandoffConsumer consumer = KafkaHandoffConsumer.builder("survivor",
                     Records.consumerSettings(kafka.bootstrapServers(), "restart"), "restart")
                     .handler(job -> ledger.work(job, 2)).concurrency(3).build()) {
            consumer.start();
            published.addAll(Records.publish(producer, "restart", 3, 0, 200));
            await().atMost(Duration.ofSeconds(30)).until(() -> ledger.distinct() >= 60);

            // when the broker goes down and comes back, and more records are published after
            kafka.stopBroker();
            kafka.startBroker();
            published.addAll(Records.publish(producer, "restart", 3, 200, 50));

            // then every record ran, the consumer never failed, and it still holds the partitions
            await().atMost(Duration.ofSeconds(60)).until(() -> ledger.distinct() == published.size());
            assertThat(ledger.missing(published)).isEmpty();
            assertThat(consumer.state()).isEqualTo(LifecycleState.READY);
            assertThat(consumer.assignment()).hasSize(3);
        }
    }

    @Test
    void aMemberKilledWithSigkillLeavesItsUncommittedRecordsToAnotherMember(@TempDir Path folder) throws Exception {
        // given a child JVM and this JVM as two members of a group, with a backlog between them
        kafka.createTopic("kill", 4);
        Path childLedger = folder.resolve("child.ledger");
        Records ledger = new Records();
        List<String> published;
        Process child = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-cp", System.getProperty("java.class.path"), KafkaChild.class.getName(), kafka.bootstrapServers(),
                "kill", "kill", childLedger.toString())
                .redirectErrorStream(true).redirectOutput(folder.resolve("child.log").toFile()).start();
        try (KafkaProducer<byte[], byte[]> producer = Records.producer(kafka.bootstrapServers());
             KafkaHandoffConsumer survivor = KafkaHandoffConsumer.builder("survivor",
                     Records.consumerSettings(kafka.bootstrapServers(), "kill"), "kill")
                     .handler(job -> ledger.work(job, 5)).build()) {
            published = Records.publish(producer, "kill", 4, 0, 150);
            await().atMost(Duration.ofSeconds(60)).until(() -> lines(childLedger).size() >= 40);
            survivor.start();
            await().atMost(Duration.ofSeconds(30)).until(() -> survivor.assignment().size() < 4
                    && survivor.assignment().size() > 0 && ledger.distinct() > 0);

            // when the child is killed outright, records in its hands
            int before = lines(childLedger).size();
            assertThat(child.toHandle().destroyForcibly()).isTrue();
            assertThat(child.waitFor(30, TimeUnit.SECONDS)).isTrue();
            assertThat(before).isLessThan(published.size());

            // then the survivor takes its partitions once its session expires and runs every record it left
            await().atMost(Duration.ofSeconds(60)).until(() -> survivor.assignment().size() == 4);
            Set<String> seen = new HashSet<>(lines(childLedger));
            await().atMost(Duration.ofSeconds(60)).until(() -> {
                Set<String> all = new HashSet<>(seen);
                published.stream().filter(id -> ledger.runsOf(id) > 0).forEach(all::add);
                return all.containsAll(published);
            });
            assertThat(ledger.overlaps()).isEmpty();
        } finally {
            child.destroyForcibly();
        }
        assertThat(child.exitValue()).isEqualTo(137);
    }

    private static List<String> lines(Path file) throws IOException {
        return Files.exists(file) ? Files.readAllLines(file, StandardCharsets.UTF_8) : List.of();
    }
}
