package dev.handoff.queue;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import dev.handoff.api.InstanceFailedException;
import dev.handoff.api.LifecycleState;
import dev.handoff.core.HandoffMetrics;
import dev.handoff.core.process.GracefulTermination;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;

class HandoffConsumerTest {

    private static final Duration WAIT = Duration.ofSeconds(10);

    private final InMemoryJobQueue queue = InMemoryJobQueue.create("jobs", 1_000);
    private final List<HandoffConsumer> consumers = new CopyOnWriteArrayList<>();

    @AfterEach
    void tearDown() {
        consumers.forEach(HandoffConsumer::close);
        queue.close();
    }

    private HandoffConsumer.Builder consumer(String id, JobHandler handler) {
        return HandoffConsumer.builder(id).source(queue::connect).handler(handler);
    }

    private HandoffConsumer started(HandoffConsumer consumer) {
        consumers.add(consumer);
        consumer.start();
        return consumer;
    }

    private void publish(int count) {
        for (int i = 0; i < count; i++) {
            assertThat(queue.offer("job-" + i, new byte[] {(byte) i})).isTrue();
        }
    }

    private static <T> T get(java.util.concurrent.CompletionStage<T> stage) throws Exception {
        return stage.toCompletableFuture().get(WAIT.toSeconds(), TimeUnit.SECONDS);
    }

    @Test
    void readiness_is_connected_and_attachment_is_subscribed() {
        // given
        HandoffConsumer consumer = consumer("c1", job -> { }).build();
        consumers.add(consumer);

        // when
        consumer.connect();

        // then
        assertThat(consumer.state()).isEqualTo(LifecycleState.READY);
        assertThat(consumer.isReady()).isTrue();
        assertThat(consumer.isConsuming()).isFalse();
        consumer.subscribe();
        assertThat(consumer.isConsuming()).isTrue();
    }

    @Test
    void the_sigterm_sequence_on_the_consumer_cancels_its_subscription_so_nothing_circles() throws Exception {
        // given: a consumer driven the way GracefulTermination drives any instance (stop-accepting, then drain)
        HandoffConsumer consumer = started(consumer("c1", job -> { }).build());
        GracefulTermination termination = GracefulTermination.builder(consumer)
                .propagationDelay(Duration.ZERO).build();

        // when
        assertThat(termination.terminate()).isZero();

        // then: DRAINED with no subscription left: a job published now waits in the queue for another consumer
        assertThat(consumer.state()).isEqualTo(LifecycleState.DRAINED);
        assertThat(consumer.isConsuming()).isFalse();
        publish(1);
        assertThat(queue.readyCount()).isEqualTo(1);
        assertThat(consumer.stats().givenBack()).as("no delivery refused and requeued").isZero();
    }

    @Test
    void stop_accepting_gives_back_every_job_not_started_at_once_and_drain_acks_the_running_one() throws Exception {
        // given: one worker busy with the first job, nine more prefetched
        CountDownLatch release = new CountDownLatch(1);
        List<String> started = new CopyOnWriteArrayList<>();
        HandoffConsumer consumer = started(consumer("old", job -> {
            started.add(job.id());
            if (!release.await(60, TimeUnit.SECONDS)) {
                throw new IllegalStateException("job not released within 60 s");
            }
        }).concurrency(1).prefetch(10).build());
        publish(10);
        await().atMost(WAIT).until(() -> consumer.inFlight() == 10 && started.size() == 1);

        // when
        get(consumer.stopAccepting());

        // then
        assertThat(queue.readyCount()).isEqualTo(9);
        assertThat(consumer.inFlight()).isEqualTo(1);
        assertThat(consumer.stats().givenBack()).isEqualTo(9);
        assertThat(consumer.state()).isEqualTo(LifecycleState.DRAINING);
        CompletableFuture<Void> drained = consumer.drain().toCompletableFuture();
        assertThat(drained).isNotDone();
        release.countDown();
        get(drained);
        assertThat(consumer.state()).isEqualTo(LifecycleState.DRAINED);
        assertThat(consumer.stats().acked()).isEqualTo(1);
        assertThat(started).containsExactly("job-0");
        assertThat(queue.size()).isEqualTo(9);
    }

    @Test
    void force_stop_interrupts_running_handlers_and_requeues_their_jobs() throws Exception {
        // given: two handlers that run until interrupted
        AtomicInteger interrupted = new AtomicInteger();
        HandoffConsumer consumer = started(consumer("old", job -> {
            try {
                if (!new CountDownLatch(1).await(60, TimeUnit.SECONDS)) {
                    throw new IllegalStateException("job not interrupted within 60 s");
                }
            } catch (InterruptedException e) {
                interrupted.incrementAndGet();
                throw e;
            }
        }).concurrency(2).prefetch(2).build());
        publish(2);
        await().atMost(WAIT).until(() -> consumer.inFlight() == 2);
        await().atMost(WAIT).until(() -> queue.readyCount() == 0);
        CompletableFuture<Void> drained = consumer.drain().toCompletableFuture();

        // when
        long abandoned = get(consumer.forceStop());

        // then
        assertThat(abandoned).isEqualTo(2);
        get(drained);
        assertThat(consumer.stats().forced()).isEqualTo(2);
        assertThat(queue.readyCount()).isEqualTo(2);
        await().atMost(WAIT).until(() -> interrupted.get() == 2);
        List<Job> redelivered = new CopyOnWriteArrayList<>();
        started(consumer("new", redelivered::add).build());
        await().atMost(WAIT).until(() -> redelivered.size() == 2);
        assertThat(redelivered).allMatch(Job::redelivered);
    }

    @Test
    void a_failing_job_is_retried_then_dead_lettered_with_an_error_line() {
        // given
        publish(5);
        queue.offer("poison", new byte[0]);
        List<Integer> attempts = new CopyOnWriteArrayList<>();

        // when
        HandoffConsumer consumer = started(consumer("c", job -> {
            if (job.id().equals("poison")) {
                attempts.add(job.attempt());
                throw new IllegalArgumentException("cannot parse");
            }
        }).maxAttempts(3).build());

        // then
        await().atMost(WAIT).until(() -> queue.deadLetters().contains("poison") && queue.size() == 0);
        assertThat(attempts).containsExactly(1, 2, 3);
        assertThat(consumer.stats()).isEqualTo(new HandoffConsumer.Stats(5, 0, 2, 1, 0, 0, 0));
    }

    @Test
    void a_failing_job_is_discarded_after_its_last_attempt_under_log_and_discard() {
        queue.offer("poison", new byte[0]);

        HandoffConsumer consumer = started(consumer("c", job -> {
            throw new IllegalStateException("always");
        }).maxAttempts(2).failurePolicy(FailurePolicy.LOG_AND_DISCARD).build());

        await().atMost(WAIT).until(() -> consumer.stats().discarded() == 1);
        assertThat(queue.size()).isZero();
        assertThat(queue.deadLetters()).isEmpty();
        assertThat(consumer.stats().retried()).isEqualTo(1);
    }

    @Test
    void a_lost_connection_fails_the_instance_with_its_cause_and_acks_nothing() throws Exception {
        // given: a job running when the connection goes
        AtomicReference<InMemoryJobQueue.MemorySource> source = new AtomicReference<>();
        CountDownLatch release = new CountDownLatch(1);
        HandoffConsumer consumer = HandoffConsumer.builder("c").source(() -> {
            source.set(queue.connect());
            return source.get();
        }).handler(job -> release.await()).concurrency(1).prefetch(1).build();
        started(consumer);
        publish(1);
        await().atMost(WAIT).until(() -> consumer.inFlight() == 1);

        // when
        source.get().sever("broker restarted");
        release.countDown();

        // then
        assertThatThrownBy(() -> get(consumer.failure())).isInstanceOf(ExecutionException.class)
                .cause().isInstanceOf(InstanceFailedException.class)
                .hasMessageContaining("instance c: lost its job source")
                .hasMessageContaining("broker restarted");
        assertThat(consumer.state()).isEqualTo(LifecycleState.FAILED);
        await().atMost(WAIT).until(() -> consumer.stats().ackFailed() == 1);
        assertThat(consumer.stats().acked()).isZero();
        assertThat(queue.readyCount()).isEqualTo(1);
        assertThat(consumer.isReady()).isFalse();
        assertThatThrownBy(consumer::subscribe).isInstanceOf(IllegalStateException.class);
    }

    @Test
    void resume_accepting_after_stop_accepting_subscribes_again() throws Exception {
        List<String> done = new CopyOnWriteArrayList<>();
        HandoffConsumer consumer = started(consumer("c", job -> done.add(job.id())).build());
        get(consumer.stopAccepting());
        publish(3);
        assertThat(consumer.isConsuming()).isFalse();

        consumer.resumeAccepting();

        await().atMost(WAIT).until(() -> done.size() == 3);
        assertThat(consumer.isConsuming()).isTrue();
        assertThat(consumer.state()).isEqualTo(LifecycleState.READY);
    }

    @Test
    void a_source_that_cannot_connect_fails_readiness() {
        HandoffConsumer consumer = HandoffConsumer.builder("c").source(() -> {
            throw new IllegalStateException("no route to broker");
        }).handler(job -> { }).build();
        consumers.add(consumer);

        assertThatThrownBy(consumer::connect).hasMessageContaining("no route to broker");
        assertThat(consumer.whenReady().toCompletableFuture()).isCompletedExceptionally();
        assertThat(consumer.failure().toCompletableFuture()).isCompletedExceptionally();
    }

    @Test
    void meters_count_jobs_by_outcome_with_one_in_flight_name_and_close_removes_them() {
        SimpleMeterRegistry registry = new SimpleMeterRegistry();
        HandoffConsumer consumer = consumer("metered", job -> { }).build();
        HandoffConsumerMetrics metrics = new HandoffConsumerMetrics(consumer);
        metrics.bindTo(registry);
        started(consumer);

        publish(3);

        await().atMost(WAIT).until(() -> registry.get(HandoffMetrics.QUEUE_JOBS).tag("instance", "metered")
                .tag("outcome", "acked").functionCounter().count() == 3.0);
        assertThat(registry.get(HandoffMetrics.IN_FLIGHT).tag("instance", "metered").tag("tracker", "jobs")
                .gauge().value()).isZero();
        assertThat(registry.find("handoff.queue.in.flight").meters()).as("one name per quantity").isEmpty();
        assertThat(registry.get(HandoffMetrics.LIFECYCLE_STATE).tag("state", "ready").gauge().value()).isEqualTo(1.0);

        metrics.close();

        assertThat(registry.getMeters()).isEmpty();
    }

    @Test
    void bad_input_is_refused_with_the_field_and_value() {
        HandoffConsumer.Builder builder = HandoffConsumer.builder("c");
        assertThatThrownBy(() -> builder.concurrency(0)).isInstanceOf(IllegalArgumentException.class)
                .hasMessage("concurrency must be between 1 and 1024, but was 0");
        assertThatThrownBy(() -> builder.prefetch(70_000)).isInstanceOf(IllegalArgumentException.class)
                .hasMessage("prefetch must be between 1 and 65535, but was 70000");
        assertThatThrownBy(() -> builder.maxAttempts(0)).isInstanceOf(IllegalArgumentException.class)
                .hasMessage("maxAttempts must be >= 1, but was 0");
        assertThatThrownBy(() -> builder.failurePolicy(null)).isInstanceOf(NullPointerException.class)
                .hasMessage("failurePolicy must not be null");
        assertThatThrownBy(builder::build).isInstanceOf(IllegalStateException.class)
                .hasMessage("source must be set (e.g. queue::connect)");
        assertThatThrownBy(() -> HandoffConsumer.builder("")).isInstanceOf(IllegalArgumentException.class)
                .hasMessage("id must not be blank, but was ''");
    }
}
