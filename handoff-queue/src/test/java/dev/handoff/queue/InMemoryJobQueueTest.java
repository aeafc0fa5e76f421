package dev.handoff.queue;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import dev.handoff.queue.spi.Delivery;
import dev.handoff.queue.spi.DeliveryListener;
import dev.handoff.queue.spi.JobSource;
import dev.handoff.queue.spi.JobSourceException;
import dev.handoff.queue.spi.Subscription;

class InMemoryJobQueueTest {

    private final InMemoryJobQueue queue = InMemoryJobQueue.create("test", 100);

    @AfterEach
    void closeQueue() {
        queue.close();
    }

    /** Collects deliveries; the test takes them with a bounded wait. */
    static final class Collector implements DeliveryListener {
        final BlockingQueue<Delivery> deliveries = new LinkedBlockingQueue<>();
        final List<Throwable> terminations = new CopyOnWriteArrayList<>();

        @Override
        public void onDelivery(Delivery delivery) {
            deliveries.add(delivery);
        }

        @Override
        public void onTerminated(Throwable cause) {
            terminations.add(cause);
        }

        Delivery take() throws InterruptedException {
            Delivery delivery = deliveries.poll(5, TimeUnit.SECONDS);
            assertThat(delivery).as("a delivery within 5 s").isNotNull();
            return delivery;
        }
    }

    private void publish(int count) {
        for (int i = 0; i < count; i++) {
            assertThat(queue.offer("job-" + i, ("payload " + i).getBytes(StandardCharsets.UTF_8))).isTrue();
        }
    }

    @Test
    void holds_at_most_prefetch_unsettled_deliveries_and_ack_removes() throws Exception {
        // given
        publish(5);
        Collector collector = new Collector();
        JobSource source = queue.connect();

        // when
        Subscription subscription = source.subscribe(2, collector);
        Delivery first = collector.take();
        Delivery second = collector.take();

        // then
        assertThat(List.of(first.jobId(), second.jobId())).containsExactly("job-0", "job-1");
        assertThat(first.redelivered()).isFalse();
        assertThat(queue.readyCount()).isEqualTo(3);
        assertThat(collector.deliveries).isEmpty();

        first.ack();
        assertThat(collector.take().jobId()).isEqualTo("job-2");
        assertThat(queue.size()).isEqualTo(4);
        subscription.close();
    }

    @Test
    void requeue_redelivers_with_redelivered_flag() throws Exception {
        // given
        publish(1);
        Collector collector = new Collector();
        queue.connect().subscribe(1, collector);
        Delivery first = collector.take();

        // when
        first.requeue();

        // then
        Delivery again = collector.take();
        assertThat(again.jobId()).isEqualTo("job-0");
        assertThat(again.redelivered()).isTrue();
        assertThat(new String(again.body(), StandardCharsets.UTF_8)).isEqualTo("payload 0");
    }

    @Test
    void closing_a_subscription_gives_back_unsettled_deliveries_and_later_settles_fail() throws Exception {
        // given
        publish(3);
        Collector first = new Collector();
        JobSource source = queue.connect();
        Subscription subscription = source.subscribe(3, first);
        Delivery a = first.take();
        first.take();
        first.take();
        a.ack();

        // when
        subscription.close();

        // then
        assertThat(queue.readyCount()).isEqualTo(2);
        Collector second = new Collector();
        queue.connect().subscribe(5, second);
        Delivery b = second.take();
        assertThat(b.redelivered()).isTrue();
        assertThat(b.jobId()).isEqualTo("job-1");
        assertThat(second.take().jobId()).isEqualTo("job-2");
    }

    @Test
    void settle_after_close_throws_job_source_exception_and_settle_twice_throws_illegal_state() throws Exception {
        // given
        publish(2);
        Collector collector = new Collector();
        Subscription subscription = queue.connect().subscribe(2, collector);
        Delivery a = collector.take();
        Delivery b = collector.take();
        a.ack();

        // when / then
        assertThatThrownBy(a::requeue).isInstanceOf(IllegalStateException.class)
                .hasMessage("job job-0 cannot be REQUEUED: it was already ACKED");
        subscription.close();
        assertThatThrownBy(b::ack).isInstanceOf(JobSourceException.class)
                .hasMessageContaining("cannot settle job job-1 as ACKED")
                .hasMessageContaining("given back to the queue");
        assertThat(queue.readyCount()).isEqualTo(1);
    }

    @Test
    void cancel_ok_comes_after_the_deliveries_already_sent_and_stops_the_flow() throws Exception {
        // given
        publish(10);
        Collector collector = new Collector();
        List<String> events = new CopyOnWriteArrayList<>();
        Subscription subscription = queue.connect().subscribe(4, new DeliveryListener() {
            @Override
            public void onDelivery(Delivery delivery) {
                events.add(delivery.jobId());
                collector.onDelivery(delivery);
            }
        });

        // when
        subscription.cancel().thenRun(() -> events.add("cancel-ok")).toCompletableFuture().get(5, TimeUnit.SECONDS);

        // then: every delivery handed over precedes the cancel-ok; none follows
        assertThat(events).endsWith("cancel-ok");
        int delivered = events.size() - 1;
        assertThat(delivered).isEqualTo(4);
        assertThat(subscription.isActive()).isFalse();
        for (int i = 0; i < delivered; i++) {
            collector.take().ack();
        }
        assertThat(queue.readyCount()).isEqualTo(6);
    }

    @Test
    void reject_moves_the_job_to_the_dead_letter_list() throws Exception {
        publish(1);
        Collector collector = new Collector();
        queue.connect().subscribe(1, collector);

        collector.take().reject();

        assertThat(queue.deadLetters()).containsExactly("job-0");
        assertThat(queue.size()).isZero();
    }

    @Test
    void severing_the_connection_gives_back_deliveries_and_tells_the_listener() throws Exception {
        publish(2);
        Collector collector = new Collector();
        InMemoryJobQueue.MemorySource source = queue.connect();
        Subscription subscription = source.subscribe(2, collector);
        Delivery a = collector.take();

        source.sever("test");

        assertThat(queue.readyCount()).isEqualTo(2);
        assertThat(source.isOpen()).isFalse();
        assertThatThrownBy(a::ack).isInstanceOf(JobSourceException.class);
        assertThat(subscription.cancel().toCompletableFuture()).isCompletedExceptionally();
        org.awaitility.Awaitility.await().atMost(Duration.ofSeconds(5))
                .untilAsserted(() -> assertThat(collector.terminations).singleElement()
                        .satisfies(cause -> assertThat(cause).hasMessageContaining("lost: test")));
    }

    @Test
    void bounded_capacity_refuses_offers_and_publish_times_out() throws Exception {
        InMemoryJobQueue small = InMemoryJobQueue.create("small", 2);
        try {
            assertThat(small.offer("a", new byte[0])).isTrue();
            assertThat(small.offer("b", new byte[0])).isTrue();
            assertThat(small.offer("c", new byte[0])).isFalse();
            assertThat(small.publish("c", new byte[0], Duration.ofMillis(10))).isFalse();
        } finally {
            small.close();
        }
    }

    @Test
    void bad_input_is_refused_with_the_field_and_value() {
        assertThatThrownBy(() -> InMemoryJobQueue.create("q", 0)).isInstanceOf(IllegalArgumentException.class)
                .hasMessage("capacity must be >= 1, but was 0");
        assertThatThrownBy(() -> InMemoryJobQueue.create(" ", 1)).isInstanceOf(IllegalArgumentException.class)
                .hasMessage("name must not be blank, but was ' '");
        assertThatThrownBy(() -> queue.connect().subscribe(0, new Collector()))
                .isInstanceOf(IllegalArgumentException.class).hasMessage("prefetch must be >= 1, but was 0");
        assertThatThrownBy(() -> queue.offer(null, new byte[0])).isInstanceOf(NullPointerException.class)
                .hasMessage("jobId must not be null");
        assertThatThrownBy(() -> queue.publish("a", new byte[0], Duration.ofSeconds(-1)))
                .isInstanceOf(IllegalArgumentException.class).hasMessage("timeout must be >= 0, but was PT-1S");
    }
}
