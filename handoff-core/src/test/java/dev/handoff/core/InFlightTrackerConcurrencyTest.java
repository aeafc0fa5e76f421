package dev.handoff.core;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import java.util.concurrent.atomic.LongAdder;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * Admit and release race with close from many threads, round after round: nothing admitted escapes the drain
 * signal, the signal never fires while an admitted unit runs, and nothing is refused before close is called.
 */
class InFlightTrackerConcurrencyTest {

    private static final int WORKERS = 8;
    private static final int ROUNDS = 200;
    /** Admissions attempted after the first refusal, to check that the closed tracker stays closed. */
    private static final int ATTEMPTS_AFTER_REFUSAL = 50;

    /** Tells a releaser to stop: no permit of a tracker is negative. */
    private static final int STOP = Integer.MIN_VALUE;

    private final ExecutorService pool = Executors.newFixedThreadPool(WORKERS + 1);

    @AfterEach
    void stopPool() throws InterruptedException {
        pool.shutdownNow();
        assertThat(pool.awaitTermination(10, TimeUnit.SECONDS)).as("pool stopped").isTrue();
    }

    @Test
    void nothingEscapesTheDrainWhenCloseRacesWithAdmitAndRelease() throws Exception {
        Violations total = new Violations();
        long admittedInAllRounds = 0;
        long refusedInAllRounds = 0;

        for (int round = 0; round < ROUNDS; round++) {
            Round result = runRound();
            total.add(result.violations);
            admittedInAllRounds += result.admitted.sum();
            refusedInAllRounds += result.refused.sum();
            assertThat(result.drain.get()).as("drain of round %d", round).isDone();
            assertThat(result.runningWhenDrained.get()).as("units running when the drain completed, round %d", round)
                    .isZero();
            assertThat(result.tracker.tryAdmit()).as("admit after the drain, round %d", round)
                    .isEqualTo(InFlightTracker.REFUSED);
            assertThat(result.tracker.inFlight()).as("in flight after round %d", round).isZero();
            assertThat(result.tracker.releaseErrors()).as("releases refused in round %d", round).isZero();
        }

        assertThat(total.releasedAfterDrainDone.sum()).as("units still running when the drain was done").isZero();
        assertThat(total.admittedAfterDrainDone.sum()).as("units admitted after the drain was done").isZero();
        assertThat(total.refusedBeforeClose.sum()).as("admits refused before close was called").isZero();
        assertThat(admittedInAllRounds).as("admitted units, so that the race was exercised").isPositive();
        assertThat(refusedInAllRounds).as("refused admits").isPositive();
    }

    /**
     * Half the workers admit and hand each permit to the other half, which release it: a unit is released from
     * another thread than the one that admitted it, so its cell is decremented by a thread that never incremented
     * it. Nothing may be refused, and the drain of the close that follows fires only once the last unit is
     * released.
     */
    @Test
    void releasesFromOtherThreadsThanTheAdmitsAreNeverRefused() throws Exception {
        int admitters = WORKERS / 2;
        int releasers = WORKERS - admitters;
        int unitsPerAdmitter = 20_000;
        InFlightTracker tracker = InFlightTracker.create("handed-over");
        BlockingQueue<Integer> handedOver = new ArrayBlockingQueue<>(256);
        AtomicLong running = new AtomicLong();
        LongAdder refusedReleases = new LongAdder();
        CyclicBarrier start = new CyclicBarrier(WORKERS);
        List<Future<?>> admitting = new ArrayList<>();
        List<Future<?>> releasing = new ArrayList<>();

        for (int admitter = 0; admitter < admitters; admitter++) {
            admitting.add(pool.submit(() -> {
                start.await(10, TimeUnit.SECONDS);
                for (int unit = 0; unit < unitsPerAdmitter; unit++) {
                    int permit = tracker.tryAdmit();
                    assertThat(permit).as("admit while open").isNotEqualTo(InFlightTracker.REFUSED);
                    running.incrementAndGet();
                    assertThat(handedOver.offer(permit, 10, TimeUnit.SECONDS)).as("handed over").isTrue();
                }
                return null;
            }));
        }
        for (int releaser = 0; releaser < releasers; releaser++) {
            releasing.add(pool.submit(() -> {
                start.await(10, TimeUnit.SECONDS);
                while (true) {
                    Integer permit = handedOver.poll(10, TimeUnit.SECONDS);
                    assertThat(permit).as("permit handed over within 10 s").isNotNull();
                    if (permit == STOP) {
                        return null;
                    }
                    running.decrementAndGet();
                    try {
                        tracker.release(permit);
                    } catch (IllegalStateException refused) {
                        refusedReleases.increment();
                    }
                }
            }));
        }
        for (Future<?> task : admitting) {
            task.get(60, TimeUnit.SECONDS);
        }
        AtomicLong runningWhenDrained = new AtomicLong(-1);
        CompletableFuture<Void> drain = tracker.close().toCompletableFuture();
        drain.thenRun(() -> runningWhenDrained.set(running.get()));
        for (int releaser = 0; releaser < releasers; releaser++) {
            handedOver.put(STOP);
        }
        for (Future<?> task : releasing) {
            task.get(60, TimeUnit.SECONDS);
        }

        assertThat(refusedReleases.sum()).as("legitimate releases refused").isZero();
        assertThat(tracker.releaseErrors()).as("release errors counted").isZero();
        assertThat(tracker.inFlight()).isZero();
        assertThat(drain).isCompleted();
        assertThat(runningWhenDrained.get()).as("units running when the drain completed").isZero();
    }

    private Round runRound() throws Exception {
        Round round = new Round();
        CyclicBarrier start = new CyclicBarrier(WORKERS + 1);
        List<Future<?>> tasks = new ArrayList<>();
        for (int worker = 0; worker < WORKERS; worker++) {
            tasks.add(pool.submit(() -> {
                start.await(10, TimeUnit.SECONDS);
                round.work();
                return null;
            }));
        }
        tasks.add(pool.submit(() -> {
            start.await(10, TimeUnit.SECONDS);
            round.close(ThreadLocalRandom.current().nextInt(2_000));
            return null;
        }));
        for (Future<?> task : tasks) {
            task.get(30, TimeUnit.SECONDS);
        }
        return round;
    }

    /** One tracker, eight workers and one closer. */
    private static final class Round {
        final InFlightTracker tracker = InFlightTracker.create("race");
        final AtomicLong running = new AtomicLong();
        final AtomicBoolean closeCalled = new AtomicBoolean();
        final AtomicReference<CompletableFuture<Void>> drain = new AtomicReference<>();
        final AtomicLong runningWhenDrained = new AtomicLong(-1);
        final LongAdder admitted = new LongAdder();
        final LongAdder refused = new LongAdder();
        final Violations violations = new Violations();

        void close(int spinsBefore) {
            for (int spin = 0; spin < spinsBefore; spin++) {
                Thread.onSpinWait();
            }
            closeCalled.set(true);
            CompletableFuture<Void> signal = tracker.close().toCompletableFuture();
            drain.set(signal);
            // Runs when the last unit is released (or here, if already drained): nothing may be running then.
            signal.thenRun(() -> runningWhenDrained.set(running.get()));
        }

        void work() {
            int attemptsLeft = ATTEMPTS_AFTER_REFUSAL;
            boolean refusedOnce = false;
            while (!refusedOnce || attemptsLeft-- > 0) {
                boolean drainDoneBefore = drainDone();
                int permit = tracker.tryAdmit();
                if (permit == InFlightTracker.REFUSED) {
                    refused.increment();
                    refusedOnce = true;
                    if (!closeCalled.get()) {
                        violations.refusedBeforeClose.increment();
                    }
                    continue;
                }
                admitted.increment();
                if (drainDoneBefore) {
                    violations.admittedAfterDrainDone.increment();
                }
                running.incrementAndGet();
                int spins = ThreadLocalRandom.current().nextInt(50);
                for (int spin = 0; spin < spins; spin++) {
                    Thread.onSpinWait();
                }
                if (drainDone()) {
                    violations.releasedAfterDrainDone.increment();
                }
                running.decrementAndGet();
                tracker.release(permit);
            }
        }

        boolean drainDone() {
            CompletableFuture<Void> signal = drain.get();
            return signal != null && signal.isDone();
        }
    }

    private static final class Violations {
        final LongAdder releasedAfterDrainDone = new LongAdder();
        final LongAdder admittedAfterDrainDone = new LongAdder();
        final LongAdder refusedBeforeClose = new LongAdder();

        void add(Violations other) {
            releasedAfterDrainDone.add(other.releasedAfterDrainDone.sum());
            admittedAfterDrainDone.add(other.admittedAfterDrainDone.sum());
            refusedBeforeClose.add(other.refusedBeforeClose.sum());
        }
    }
}
