package dev.handoff.kafka;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import java.util.Map;

import org.junit.jupiter.api.Test;

import dev.handoff.api.LifecycleState;
import dev.handoff.core.InstanceLifecycle;
import dev.handoff.queue.SubscriptionRouter;

/** Validation of {@link KafkaHandoffConsumer.Builder}: every bad value is refused, naming it; no broker needed. */
class KafkaHandoffConsumerBuilderTest {

    private static final Map<String, Object> SETTINGS = Map.of("bootstrap.servers", "localhost:1", "group.id", "g");

    @Test
    void requiredSettingsAreNamedWhenMissing() {
        assertThatThrownBy(() -> KafkaHandoffConsumer.builder("c", Map.of("bootstrap.servers", "localhost:1"), "t"))
                .isInstanceOf(IllegalArgumentException.class).hasMessage("group.id must be set, but was null");
        assertThatThrownBy(() -> KafkaHandoffConsumer.builder("c", Map.of("group.id", "g"), "t"))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("bootstrap.servers must be set, but was null");
        assertThatThrownBy(() -> KafkaHandoffConsumer.builder("c", SETTINGS))
                .isInstanceOf(IllegalArgumentException.class).hasMessage("at least one topic must be given");
        assertThatThrownBy(() -> KafkaHandoffConsumer.builder(" ", SETTINGS, "t"))
                .isInstanceOf(IllegalArgumentException.class).hasMessage("id must not be blank, but was ' '");
        assertThatThrownBy(() -> KafkaHandoffConsumer.builder("c", SETTINGS, "t").build())
                .isInstanceOf(IllegalStateException.class).hasMessage("handler must be set");
    }

    @Test
    void autoCommitIsRefusedBecauseTheConsumerCommitsOnlyWhatItFinished() {
        assertThatThrownBy(() -> KafkaHandoffConsumer.builder("c",
                Map.of("bootstrap.servers", "localhost:1", "group.id", "g", "enable.auto.commit", "true"), "t"))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("enable.auto.commit must be false (the consumer commits what it finished), but was true");
    }

    @Test
    void valuesOutOfRangeAreRefusedNamingTheValue() {
        KafkaHandoffConsumer.Builder builder = KafkaHandoffConsumer.builder("c", SETTINGS, "t");
        assertThatThrownBy(() -> builder.concurrency(0)).hasMessage(
                "concurrency must be between 1 and 1024, but was 0");
        assertThatThrownBy(() -> builder.maxQueuedPerPartition(0)).hasMessage(
                "maxQueuedPerPartition must be >= 1, but was 0");
        assertThatThrownBy(() -> builder.maxAttempts(0)).hasMessage("maxAttempts must be >= 1, but was 0");
        assertThatThrownBy(() -> builder.handoverTimeout(Duration.ZERO)).hasMessage(
                "handoverTimeout must be > 0, but was PT0S");
        assertThatThrownBy(() -> builder.commitInterval(Duration.ofMillis(-1))).hasMessage(
                "commitInterval must be > 0, but was PT-0.001S");
        assertThatThrownBy(() -> builder.deadLetterSuffix(" ")).hasMessage(
                "deadLetterSuffix must not be blank, but was ' '");
        assertThatThrownBy(() -> builder.handler(null)).isInstanceOf(NullPointerException.class)
                .hasMessage("handler must not be null");
    }

    @Test
    void aBuiltConsumerIsAnInstanceThatStartsUnconnectedAndRefusesTheWrongRouter() {
        KafkaHandoffConsumer consumer = KafkaHandoffConsumer.builder("c", SETTINGS, "t").handler(job -> { }).build();
        assertThat(consumer).isInstanceOf(InstanceLifecycle.class);
        assertThat(consumer.state()).isEqualTo(LifecycleState.STARTING);
        assertThat(consumer.isConsuming()).isFalse();
        assertThat(new SubscriptionRouter().attach(InstanceLifecycle.newBuilder("x").build()).toCompletableFuture())
                .isCompletedExceptionally();
        consumer.close();
        assertThat(consumer.state()).isEqualTo(LifecycleState.STOPPED);
    }
}
