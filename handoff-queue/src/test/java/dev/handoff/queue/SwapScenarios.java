package dev.handoff.queue;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.locks.LockSupport;

import org.assertj.core.api.InstanceOfAssertFactories;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import dev.handoff.api.LifecycleState;
import dev.handoff.api.Plan;
import dev.handoff.api.SwapOutcome;
import dev.handoff.api.SwapResult;
import dev.handoff.api.Lifecycle;
import dev.handoff.core.Orchestrator;
import dev.handoff.queue.spi.JobSource;
import dev.handoff.queue.spi.JobSourceException;

/**
 * The swap scenarios every job source must pass, driven by the {@link Orchestrator}: many jobs published while
 * consumers are swapped, checked against a {@link Ledger}. Subclasses provide the broker.
 */
abstract class SwapScenarios {

    static final Duration WAIT = Duration.ofSeconds(60);
    static final int CONCURRENCY = 4;
    static final int PREFETCH = 20;

    /** A fresh queue on the broker under test. */
    interface Broker extends AutoCloseable {
        /** @return a new connection to the queue, for one consumer instance */
        JobSource connect();

        /** Publishes one job (bounded wait). */
        void publish(String jobId) throws Exception;

        /** Waits until every job published is stored by the broker. */
        void flush() throws Exception;

        /** @return jobs stored and not acknowledged (call when no consumer holds any) */
        long remaining() throws Exception;

        /** The consumer's connection dies (a crash, a network cut). */
        void crash(JobSource source) throws Exception;

        @Override
        void close() throws Exception;
    }

    protected abstract Broker newBroker() throws Exception;

    static String jobId(int index) {
        return String.format("job-%06d", index);
    }

    private final ExecutorService executor = Executors.newCachedThreadPool(runnable -> {
        Thread thread = new Thread(runnable, "scenario");
        thread.setDaemon(true);
        return thread;
    });
    private final List<AutoCloseable> toClose = new ArrayList<>();
    final Ledger ledger = new Ledger();
    final Map<String, JobSource> sources = new ConcurrentHashMap<>();
    final Map<String, HandoffConsumer> consumers = new ConcurrentHashMap<>();
    private volatile String firstId = "none";
    private final AtomicBoolean failNextConnect = new AtomicBoolean();
    /** Set when the last consumer is retired: its jobs no longer overrun the drain. */
    private volatile boolean retiring;

    @AfterEach
    void tearDown() throws Exception {
        for (int i = toClose.size() - 1; i >= 0; i--) {
            toClose.get(i).close();
        }
        consumers.values().forEach(HandoffConsumer::close);
        executor.shutdownNow();
    }

    private Orchestrator orchestrator(Broker broker, JobHandler work, Duration drainTimeout) {
        ConsumerLauncher launcher = new ConsumerLauncher(id -> {
            HandoffConsumer consumer = HandoffConsumer.builder(id)
                    .source(() -> {
                        if (failNextConnect.getAndSet(false)) {
                            throw new JobSourceException("simulated: broker unreachable from " + id);
                        }
                        JobSource source = broker.connect();
                        sources.put(id, source);
                        return source;
                    })
                    .handler(job -> {
                        ledger.record(job);
                        work.handle(job);
                    })
                    .concurrency(CONCURRENCY)
                    .prefetch(PREFETCH)
                    .build();
            consumers.put(id, consumer);
            return consumer;
        }, executor);
        Orchestrator orchestrator = Orchestrator.builder("consumers", launcher, new SubscriptionRouter())
                .drainTimeout(drainTimeout)
                .forceTimeout(Duration.ofSeconds(10))
                .build();
        toClose.add(orchestrator);
        return orchestrator;
    }

    /** @return the consumer whose worker thread calls this */
    private HandoffConsumer ownConsumer() {
        String name = Thread.currentThread().getName();
        return consumers.get(name.substring("handoff-consumer-".length(), name.lastIndexOf('-')));
    }

    private static void work(long maxMicros) {
        LockSupport.parkNanos(TimeUnit.MICROSECONDS.toNanos(ThreadLocalRandom.current().nextLong(maxMicros + 1)));
    }

    /** Publishes {@code messages} jobs while {@code swaps} swaps run, evenly spread over the processing. */
    private List<SwapResult> publishWhileSwapping(Broker broker, Orchestrator orchestrator, int messages, int swaps)
            throws Exception {
        CompletableFuture<Void> publishing = CompletableFuture.runAsync(() -> {
            try {
                for (int i = 0; i < messages; i++) {
                    broker.publish(jobId(i));
                }
                broker.flush();
            } catch (Exception e) {
                throw new IllegalStateException("publishing failed", e);
            }
        }, executor);
        List<SwapResult> results = new ArrayList<>();
        for (int swap = 1; swap <= swaps; swap++) {
            long threshold = (long) messages * swap / (swaps + 1);
            await().atMost(WAIT).until(() -> ledger.distinct() >= threshold);
            results.add(orchestrator.swap(Plan.oneForOne(), true).toCompletableFuture()
                    .get(WAIT.toSeconds(), TimeUnit.SECONDS));
        }
        publishing.get(WAIT.toSeconds(), TimeUnit.SECONDS);
        await().atMost(WAIT).until(() -> ledger.distinct() == messages);
        return results;
    }

    private void retireLast(Orchestrator orchestrator) throws Exception {
        retiring = true;
        for (Lifecycle instance : orchestrator.instances()) {
            instance.stopAccepting().toCompletableFuture().get(10, TimeUnit.SECONDS);
            instance.drain().toCompletableFuture().get(WAIT.toSeconds(), TimeUnit.SECONDS);
            instance.destroy().toCompletableFuture().get(10, TimeUnit.SECONDS);
        }
    }

    @Test
    void twenty_thousand_jobs_across_five_swaps_are_each_processed_exactly_once() throws Exception {
        // given
        int messages = 20_000;
        Broker broker = newBroker();
        toClose.add(broker);
        Orchestrator orchestrator = orchestrator(broker, job -> work(400), Duration.ofSeconds(30));
        orchestrator.start(1).toCompletableFuture().get(WAIT.toSeconds(), TimeUnit.SECONDS);

        // when
        List<SwapResult> results = publishWhileSwapping(broker, orchestrator, messages, 5);
        retireLast(orchestrator);

        // then
        assertThat(results).hasSize(5).allSatisfy(result -> {
            assertThat(result.outcome()).as("%s", result).isEqualTo(SwapOutcome.COMMITTED);
            assertThat(result.abandoned()).isZero();
        });
        assertThat(ledger.lost(messages)).as("lost").isZero();
        assertThat(ledger.duplicates()).as("duplicated").isZero();
        assertThat(broker.remaining()).as("left in the queue").isZero();
        assertThat(consumers.values().stream().mapToLong(c -> c.stats().acked()).sum()).isEqualTo(messages);
    }

    @Test
    void forced_drains_lose_nothing_and_every_duplicate_is_reported_and_marked_redelivered() throws Exception {
        // given: a job still running when its consumer is told to stop runs until interrupted, so every drain
        // with a handler running misses its deadline
        int messages = 5_000;
        Broker broker = newBroker();
        toClose.add(broker);
        Orchestrator orchestrator = orchestrator(broker, job -> {
            for (int slice = 0; slice < 2; slice++) {
                // a millisecond of simulated work (not a wait for anything), ended early by the forced stop's
                // interrupt like the work it stands for
                LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(1));
                if (Thread.interrupted()) {
                    throw new InterruptedException("interrupted by the forced stop");
                }
                if (!retiring && ownConsumer().state() == LifecycleState.DRAINING) {
                    if (!new CountDownLatch(1).await(WAIT.toSeconds(), TimeUnit.SECONDS)) {
                        throw new IllegalStateException("job not interrupted by the forced stop within " + WAIT);
                    }
                }
            }
        }, Duration.ofMillis(50));
        orchestrator.start(1).toCompletableFuture().get(WAIT.toSeconds(), TimeUnit.SECONDS);

        // when
        List<SwapResult> results = publishWhileSwapping(broker, orchestrator, messages, 3);
        retireLast(orchestrator);

        // then
        long reported = results.stream().mapToLong(SwapResult::abandoned).sum();
        assertThat(results).anySatisfy(result -> assertThat(result.outcome()).isEqualTo(SwapOutcome.FORCED));
        assertThat(reported).isPositive();
        assertThat(ledger.lost(messages)).as("lost").isZero();
        assertThat(ledger.duplicates()).as("duplicated").isEqualTo(reported);
        assertThat(ledger.unmarkedDuplicates()).as("duplicates not marked redelivered").isZero();
        assertThat(consumers.values().stream().mapToLong(c -> c.stats().forced()).sum()).isEqualTo(reported);
        assertThat(broker.remaining()).isZero();
    }

    @Test
    void a_new_consumer_that_cannot_connect_rolls_the_swap_back_and_the_old_one_serves_on() throws Exception {
        // given
        int messages = 2_000;
        Broker broker = newBroker();
        toClose.add(broker);
        Orchestrator orchestrator = orchestrator(broker, job -> work(200), Duration.ofSeconds(30));
        orchestrator.start(1).toCompletableFuture().get(WAIT.toSeconds(), TimeUnit.SECONDS);
        Lifecycle old = orchestrator.instances().get(0);
        for (int i = 0; i < messages / 2; i++) {
            broker.publish(jobId(i));
        }

        // when
        failNextConnect.set(true);
        SwapResult result = orchestrator.swap(Plan.oneForOne()).toCompletableFuture()
                .get(WAIT.toSeconds(), TimeUnit.SECONDS);
        for (int i = messages / 2; i < messages; i++) {
            broker.publish(jobId(i));
        }
        broker.flush();

        // then
        assertThat(result.outcome()).isEqualTo(SwapOutcome.ROLLED_BACK);
        assertThat(result.cause()).get(InstanceOfAssertFactories.THROWABLE)
                .hasRootCauseMessage("simulated: broker unreachable from " + result.launched().get(0));
        assertThat(orchestrator.instances()).containsExactly(old);
        assertThat(consumers.get(old.id()).isConsuming()).isTrue();
        await().atMost(WAIT).until(() -> ledger.distinct() == messages);
        retireLast(orchestrator);
        assertThat(ledger.lost(messages)).isZero();
        assertThat(ledger.duplicates()).isZero();
        assertThat(broker.remaining()).isZero();
    }

    @Test
    void a_consumer_that_crashes_mid_drain_loses_nothing() throws Exception {
        // given: the first consumer's handlers hold their jobs until released
        int messages = 2_000;
        CountDownLatch releaseFirst = new CountDownLatch(1);
        Broker broker = newBroker();
        toClose.add(broker);
        Orchestrator orchestrator = orchestrator(broker, job -> {
            if (Thread.currentThread().getName().startsWith("handoff-consumer-" + firstId + "-")) {
                if (!releaseFirst.await(WAIT.toSeconds(), TimeUnit.SECONDS)) {
                    throw new IllegalStateException("first consumer's job not released within " + WAIT);
                }
            }
        }, Duration.ofSeconds(30));
        orchestrator.start(1).toCompletableFuture().get(WAIT.toSeconds(), TimeUnit.SECONDS);
        Lifecycle first = orchestrator.instances().get(0);
        firstId = first.id();
        HandoffConsumer old = consumers.get(first.id());
        for (int i = 0; i < messages; i++) {
            broker.publish(jobId(i));
        }
        broker.flush();
        await().atMost(WAIT).until(() -> old.inFlight() == PREFETCH);

        // when: swapped, and the old one's connection dies while its four handlers run
        CompletableFuture<SwapResult> swap = orchestrator.swap(Plan.oneForOne()).toCompletableFuture();
        await().atMost(WAIT).until(() -> old.state() == LifecycleState.DRAINING
                && old.inFlight() == CONCURRENCY);
        broker.crash(sources.get(first.id()));
        releaseFirst.countDown();
        SwapResult result = swap.get(WAIT.toSeconds(), TimeUnit.SECONDS);
        await().atMost(WAIT).until(() -> ledger.distinct() == messages);
        retireLast(orchestrator);

        // then
        assertThat(result.outcome()).as("%s", result).isIn(SwapOutcome.COMMITTED, SwapOutcome.FORCED);
        assertThat(ledger.lost(messages)).as("lost").isZero();
        assertThat(ledger.unmarkedDuplicates()).as("duplicates not marked redelivered").isZero();
        assertThat(ledger.duplicates()).as("duplicated").isBetween(0L, (long) CONCURRENCY);
        assertThat(old.stats().acked()).isZero();
        assertThat(broker.remaining()).isZero();
    }
}
