package dev.handoff.queue;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import dev.handoff.api.LifecycleState;
import dev.handoff.core.InstanceLifecycle;

/** Attach subscribes, detach cancels; a consumer that failed or stopped has no subscription left to cancel. */
class SubscriptionRouterTest {

    private static final Duration WAIT = Duration.ofSeconds(10);

    private final InMemoryJobQueue queue = InMemoryJobQueue.create("jobs", 100);
    private final List<HandoffConsumer> consumers = new CopyOnWriteArrayList<>();
    private final SubscriptionRouter router = new SubscriptionRouter();
    private final AtomicReference<InMemoryJobQueue.MemorySource> source = new AtomicReference<>();

    @AfterEach
    void tearDown() {
        consumers.forEach(HandoffConsumer::close);
        queue.close();
    }

    private HandoffConsumer connected() {
        HandoffConsumer consumer = HandoffConsumer.builder("c").source(() -> {
            source.set(queue.connect());
            return source.get();
        }).handler(job -> { }).build();
        consumers.add(consumer);
        consumer.connect();
        return consumer;
    }

    private static <T> T get(CompletionStage<T> stage) throws Exception {
        return stage.toCompletableFuture().get(WAIT.toSeconds(), TimeUnit.SECONDS);
    }

    @Test
    void attach_subscribes_and_detach_cancels() throws Exception {
        HandoffConsumer consumer = connected();

        get(router.attach(consumer));
        assertThat(consumer.isConsuming()).isTrue();

        get(router.detach(consumer));
        assertThat(consumer.isConsuming()).isFalse();
        assertThat(consumer.state()).isEqualTo(LifecycleState.DRAINING);
    }

    @Test
    void a_consumer_that_lost_its_source_is_detached_at_once() throws Exception {
        // given: an attached consumer whose connection is lost (a broker restart): it is FAILED
        HandoffConsumer consumer = connected();
        get(router.attach(consumer));
        source.get().sever("broker restarted");
        await().atMost(WAIT).until(() -> consumer.state() == LifecycleState.FAILED);

        // when: the orchestrator's supervision detaches it before destroying it
        CompletionStage<Void> detached = router.detach(consumer);

        // then: nothing to cancel, and no "illegal transition from FAILED to DRAINING"
        assertThat(get(detached)).isNull();
        assertThat(consumer.isConsuming()).isFalse();
    }

    @Test
    void a_closed_consumer_is_detached_at_once() throws Exception {
        HandoffConsumer consumer = connected();
        get(router.attach(consumer));
        consumer.close();

        assertThat(get(router.detach(consumer))).isNull();
        assertThat(consumer.state()).isEqualTo(LifecycleState.STOPPED);
    }

    @Test
    void only_broker_consumers_are_routed() {
        InstanceLifecycle other = InstanceLifecycle.newBuilder("other").build();

        assertThatThrownBy(() -> get(router.detach(other))).isInstanceOf(ExecutionException.class)
                .cause().isInstanceOf(IllegalArgumentException.class)
                .hasMessage("SubscriptionRouter routes BrokerConsumers only (such as HandoffConsumer), but got "
                        + other);
    }
}
