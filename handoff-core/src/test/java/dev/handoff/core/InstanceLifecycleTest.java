package dev.handoff.core;

import static dev.handoff.api.LifecycleState.DRAINED;
import static dev.handoff.api.LifecycleState.DRAINING;
import static dev.handoff.api.LifecycleState.FAILED;
import static dev.handoff.api.LifecycleState.READY;
import static dev.handoff.api.LifecycleState.STARTING;
import static dev.handoff.api.LifecycleState.STOPPED;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.handoff.api.InstanceFailedException;
import dev.handoff.api.LifecycleListener;
import dev.handoff.api.LifecycleState;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CancellationException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.BooleanSupplier;
import java.util.stream.Stream;

import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

class InstanceLifecycleTest {

    private final Recorder recorder = new Recorder();
    private final InFlightTracker requests = InFlightTracker.create("requests");
    private final InstanceLifecycle lifecycle = InstanceLifecycle.newBuilder("orders-v2")
            .tracker(requests)
            .listener(recorder)
            .build();

    /**
     * A listener sees the MDC of the thread that made the transition, even when another thread, busy telling the
     * listeners of an earlier transition, tells it. Regression: a child agent puts the swap id in its MDC while it
     * acts on a command, and a listener told of READY -> DRAINING by the thread still busy with STARTING -> READY
     * logged no swap id (ChildAgentProtocolTest failed once that way).
     */
    @Test
    void aListenerSeesTheMdcOfTheThreadThatMadeTheTransitionWhicheverThreadTellsIt() throws Exception {
        java.util.concurrent.CountDownLatch busy = new java.util.concurrent.CountDownLatch(1);
        java.util.concurrent.CountDownLatch release = new java.util.concurrent.CountDownLatch(1);
        List<String> seen = Collections.synchronizedList(new ArrayList<>());
        InstanceLifecycle observed = InstanceLifecycle.newBuilder("mdc").build();
        observed.addListener((from, to) -> {
            if (to == READY) {
                busy.countDown();
                try {
                    release.await(10, TimeUnit.SECONDS);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            }
            seen.add(from + "->" + to + " in " + org.slf4j.MDC.get("handoff.swap"));
        });
        ExecutorService threads = Executors.newFixedThreadPool(2);
        try {
            Future<?> ready = threads.submit(observed::markReady);
            assertThat(busy.await(10, TimeUnit.SECONDS)).isTrue();
            Future<?> stop = threads.submit(() -> {
                org.slf4j.MDC.put("handoff.swap", "web/swap-7");
                try {
                    observed.stopAccepting();
                } finally {
                    org.slf4j.MDC.remove("handoff.swap");
                }
            });
            org.awaitility.Awaitility.await().atMost(java.time.Duration.ofSeconds(10))
                    .until(() -> observed.state() == DRAINING);
            release.countDown();
            ready.get(10, TimeUnit.SECONDS);
            stop.get(10, TimeUnit.SECONDS);
        } finally {
            release.countDown();
            threads.shutdownNow();
        }
        assertThat(seen).containsExactly("STARTING->READY in null", "READY->DRAINING in web/swap-7");
    }

    @Nested
    class Transitions {

        @Test
        void startsInStarting() {
            assertThat(lifecycle.state()).isEqualTo(STARTING);
            assertThat(lifecycle.isReady()).isFalse();
            assertThat(lifecycle.whenReady().toCompletableFuture()).isNotDone();
            assertThat(lifecycle.failureCause()).isEmpty();
            assertThat(lifecycle.id()).isEqualTo("orders-v2");
        }

        @ParameterizedTest(name = "{0} -> {1}")
        @MethodSource("dev.handoff.core.InstanceLifecycleTest#allowedTransitions")
        void makesEveryAllowedTransition(LifecycleState from, LifecycleState to) {
            bringTo(from);
            recorder.clear();

            moveTo(to);

            assertThat(lifecycle.state()).isEqualTo(to);
            assertThat(recorder.transitions()).containsExactly(from + "->" + to);
        }

        @ParameterizedTest(name = "{0} -> {1}")
        @MethodSource("dev.handoff.core.InstanceLifecycleTest#illegalTransitions")
        void refusesEveryIllegalTransitionNamingBothStates(LifecycleState from, LifecycleState to) {
            bringTo(from);
            recorder.clear();

            assertThatThrownBy(() -> moveTo(to))
                    .isInstanceOf(IllegalStateException.class)
                    .hasMessage("illegal transition of instance 'orders-v2' from " + from + " to " + to);
            assertThat(lifecycle.state()).isEqualTo(from);
            assertThat(recorder.transitions()).isEmpty();
        }

        @Test
        void resumeAcceptingWhileStartingIsRefused() {
            assertThatThrownBy(() -> refused(lifecycle.resumeAccepting()))
                    .isInstanceOf(IllegalStateException.class)
                    .hasMessage("cannot resume accepting on instance 'orders-v2': it is STARTING, not DRAINING or"
                            + " DRAINED (markReady() moves it to READY)");
            assertThat(lifecycle.state()).isEqualTo(STARTING);
        }

        @Test
        void resumeAcceptingIsRefusedWhenTheInstanceWasNeverReady() {
            lifecycle.stopAccepting();

            assertThatThrownBy(() -> refused(lifecycle.resumeAccepting()))
                    .isInstanceOf(IllegalStateException.class)
                    .hasMessage("cannot move instance 'orders-v2' from DRAINING to READY: it was told to stop"
                            + " accepting before it was ever ready");
            assertThat(lifecycle.state()).isEqualTo(DRAINING);
        }

        @Test
        void drainFromStartingPassesThroughDraining() {
            lifecycle.drain();

            assertThat(lifecycle.state()).isEqualTo(DRAINED);
            assertThat(recorder.transitions()).containsExactly("STARTING->DRAINING", "DRAINING->DRAINED");
        }

        @Test
        void drainFromReadyPassesThroughDraining() {
            lifecycle.markReady();

            lifecycle.drain();

            assertThat(recorder.transitions())
                    .containsExactly("STARTING->READY", "READY->DRAINING", "DRAINING->DRAINED");
        }
    }

    @Nested
    class Idempotency {

        @Test
        void repeatedCallsAreNoOps() {
            lifecycle.markReady();
            lifecycle.markReady();
            lifecycle.resumeAccepting();
            lifecycle.stopAccepting();
            lifecycle.stopAccepting();
            CompletionStage<Void> drain = lifecycle.drain();
            assertThat((Object) lifecycle.drain()).isSameAs(drain);
            lifecycle.stopAccepting();
            lifecycle.stop();
            lifecycle.stop();
            lifecycle.stopAccepting();

            assertThat(recorder.transitions()).containsExactly(
                    "STARTING->READY", "READY->DRAINING", "DRAINING->DRAINED", "DRAINED->STOPPED");
        }

        @Test
        void failingTwiceKeepsTheFirstCause() {
            IllegalStateException first = new IllegalStateException("disk full");

            lifecycle.fail(first);
            lifecycle.fail(new IllegalStateException("later"));
            lifecycle.stopAccepting();

            assertThat(lifecycle.failureCause()).containsSame(first);
            assertThat(recorder.transitions()).containsExactly("STARTING->FAILED");
        }

        @Test
        void markReadyAfterStopAcceptingLeavesTheInstanceOutOfService() {
            lifecycle.stopAccepting();

            lifecycle.markReady();

            assertThat(lifecycle.state()).isEqualTo(DRAINING);
            assertThat(lifecycle.whenReady().toCompletableFuture()).isNotDone();
            lifecycle.resumeAccepting();
            assertThat(lifecycle.state()).isEqualTo(READY);
            assertThat(lifecycle.whenReady().toCompletableFuture()).isCompleted();
        }
    }

    @Nested
    class Readiness {

        @Test
        void markReadyCompletesWhenReady() {
            lifecycle.markReady();

            assertThat(lifecycle.isReady()).isTrue();
            assertThat(lifecycle.whenReady().toCompletableFuture()).isCompleted();
        }

        @Test
        void readyOnceEveryConditionHasCompleted() {
            CompletableFuture<String> schema = new CompletableFuture<>();
            CompletableFuture<Integer> cache = new CompletableFuture<>();
            InstanceLifecycle composed = InstanceLifecycle.newBuilder("orders-v2")
                    .readyWhen("schema", schema)
                    .readyWhen("cache", cache)
                    .listener(recorder)
                    .build();

            schema.complete("v42");
            assertThat(composed.state()).isEqualTo(STARTING);
            cache.complete(1000);

            assertThat(composed.state()).isEqualTo(READY);
            assertThat(composed.whenReady().toCompletableFuture()).isCompleted();
            assertThat(recorder.transitions()).containsExactly("STARTING->READY");
        }

        @Test
        void conditionsAlreadyCompletedMakeTheLifecycleReadyAtBuild() {
            InstanceLifecycle composed = InstanceLifecycle.newBuilder("orders-v2")
                    .readyWhen("schema", CompletableFuture.completedFuture(null))
                    .listener(recorder)
                    .build();

            assertThat(composed.state()).isEqualTo(READY);
            assertThat(recorder.transitions()).containsExactly("STARTING->READY");
        }

        @Test
        void aFailedConditionFailsTheLifecycleWithItsCause() {
            CompletableFuture<Void> schema = new CompletableFuture<>();
            CompletableFuture<Void> cache = new CompletableFuture<>();
            InstanceLifecycle composed = InstanceLifecycle.newBuilder("orders-v2")
                    .readyWhen("schema", schema)
                    .readyWhen("cache", cache)
                    .listener(recorder)
                    .build();
            IllegalStateException cause = new IllegalStateException("migration failed");

            schema.completeExceptionally(cause);
            cache.complete(null);

            assertThat(composed.state()).isEqualTo(FAILED);
            assertThat(composed.failureCause()).containsSame(cause);
            assertThat(composed.whenReady().toCompletableFuture())
                    .failsWithin(0, TimeUnit.SECONDS)
                    .withThrowableOfType(ExecutionException.class)
                    .havingCause()
                    .isInstanceOf(InstanceFailedException.class)
                    .withMessage("instance orders-v2: failed before it was ready")
                    .havingCause()
                    .isSameAs(cause);
            assertThat(recorder.transitions()).containsExactly("STARTING->FAILED");
        }

        @Test
        void aConditionFailingInsideAStageIsUnwrapped() {
            CompletableFuture<Void> schema = new CompletableFuture<>();
            IllegalStateException cause = new IllegalStateException("migration failed");
            InstanceLifecycle composed = InstanceLifecycle.newBuilder("orders-v2")
                    .readyWhen("schema", schema.thenRun(() -> { }))
                    .build();

            schema.completeExceptionally(cause);

            assertThat(composed.failureCause()).containsSame(cause);
        }

        @Test
        void markReadyIsRefusedWhenReadinessIsComposedFromConditions() {
            InstanceLifecycle composed = InstanceLifecycle.newBuilder("orders-v2")
                    .readyWhen("schema", new CompletableFuture<>())
                    .build();

            assertThatThrownBy(composed::markReady)
                    .isInstanceOf(IllegalStateException.class)
                    .hasMessage("readiness of instance 'orders-v2' is composed from the conditions [schema];"
                            + " markReady() must not be called");
        }

        @Test
        void aConditionCompletingAfterStopIsIgnored() {
            CompletableFuture<Void> schema = new CompletableFuture<>();
            InstanceLifecycle composed = InstanceLifecycle.newBuilder("orders-v2")
                    .readyWhen("schema", schema)
                    .build();
            composed.stop();

            schema.completeExceptionally(new IllegalStateException("too late"));

            assertThat(composed.state()).isEqualTo(STOPPED);
            assertThat(composed.failureCause()).isEmpty();
        }

        @Test
        void readinessChecksArePulledByIsReady() {
            AtomicBoolean databaseUp = new AtomicBoolean(true);
            InstanceLifecycle checked = InstanceLifecycle.newBuilder("orders-v2")
                    .readinessCheck("database", databaseUp::get)
                    .readinessCheck("cache", () -> true)
                    .build();

            assertThat(checked.isReady()).as("STARTING, checks passing").isFalse();
            checked.markReady();
            assertThat(checked.isReady()).isTrue();

            databaseUp.set(false);
            assertThat(checked.isReady()).isFalse();
            assertThat(checked.state()).isEqualTo(READY);

            databaseUp.set(true);
            assertThat(checked.isReady()).isTrue();
        }

        @Test
        void aThrowingReadinessCheckReportsNotReady() {
            InstanceLifecycle checked = InstanceLifecycle.newBuilder("orders-v2")
                    .readinessCheck("database", () -> {
                        throw new IllegalStateException("connection refused");
                    })
                    .build();
            checked.markReady();

            assertThat(checked.isReady()).isFalse();
        }

        @Test
        void notReadyOnceToldToStopAccepting() {
            lifecycle.markReady();

            lifecycle.stopAccepting();

            assertThat(lifecycle.isReady()).isFalse();
        }

        @Test
        void whenReadyFailsWhenStoppedBeforeReady() {
            lifecycle.stop();

            assertThat(lifecycle.whenReady().toCompletableFuture())
                    .failsWithin(0, TimeUnit.SECONDS)
                    .withThrowableOfType(ExecutionException.class)
                    .havingCause()
                    .isInstanceOf(InstanceFailedException.class)
                    .withMessage("instance orders-v2: stopped before it was ready");
        }

        @Test
        void whenReadyCannotBeCompletedByTheCaller() {
            lifecycle.whenReady().toCompletableFuture().complete(null);

            assertThat(lifecycle.whenReady().toCompletableFuture()).isNotDone();
        }
    }

    @Nested
    class Listeners {

        @Test
        void areToldOfEveryChangeInOrder() {
            lifecycle.markReady();
            lifecycle.stopAccepting();
            lifecycle.resumeAccepting();
            lifecycle.drain();
            lifecycle.stop();

            assertThat(recorder.transitions()).containsExactly("STARTING->READY", "READY->DRAINING",
                    "DRAINING->READY", "READY->DRAINING", "DRAINING->DRAINED", "DRAINED->STOPPED");
        }

        @Test
        void seeTheNewStateWhenCalled() {
            List<LifecycleState> seen = Collections.synchronizedList(new ArrayList<>());
            lifecycle.addListener((from, to) -> seen.add(lifecycle.state()));

            lifecycle.markReady();

            assertThat(seen).containsExactly(READY);
        }

        @Test
        void aThrowingListenerBreaksNeitherTheLifecycleNorTheOtherListeners() {
            Recorder after = new Recorder();
            lifecycle.addListener((from, to) -> {
                throw new IllegalStateException("listener bug");
            });
            lifecycle.addListener(after);

            lifecycle.markReady();
            lifecycle.stopAccepting();

            assertThat(lifecycle.state()).isEqualTo(DRAINING);
            assertThat(after.transitions()).containsExactly("STARTING->READY", "READY->DRAINING");
        }

        @Test
        void aListenerChangingTheStateIsNotifiedAfterTheCurrentChangeForEveryListener() {
            lifecycle.addListener((from, to) -> {
                if (to == READY) {
                    lifecycle.stopAccepting();
                }
            });
            Recorder last = new Recorder();
            lifecycle.addListener(last);

            lifecycle.markReady();

            assertThat(lifecycle.state()).isEqualTo(DRAINING);
            assertThat(recorder.transitions()).containsExactly("STARTING->READY", "READY->DRAINING");
            assertThat(last.transitions()).containsExactly("STARTING->READY", "READY->DRAINING");
        }

        @Test
        void aRemovedListenerIsNotToldAnyMore() {
            lifecycle.removeListener(recorder);

            lifecycle.markReady();

            assertThat(recorder.transitions()).isEmpty();
        }

        @Test
        void concurrentStopAcceptingGivesExactlyOneDrainingNotification() throws Exception {
            lifecycle.markReady();
            recorder.clear();
            int threads = 8;
            CyclicBarrier start = new CyclicBarrier(threads);
            ExecutorService pool = Executors.newFixedThreadPool(threads);
            try {
                List<Future<?>> calls = new ArrayList<>();
                for (int thread = 0; thread < threads; thread++) {
                    calls.add(pool.submit(() -> {
                        start.await(10, TimeUnit.SECONDS);
                        lifecycle.stopAccepting();
                        return null;
                    }));
                }
                for (Future<?> call : calls) {
                    call.get(10, TimeUnit.SECONDS);
                }
            } finally {
                pool.shutdownNow();
            }

            assertThat(lifecycle.state()).isEqualTo(DRAINING);
            assertThat(recorder.transitions()).containsExactly("READY->DRAINING");
        }

        @Test
        void notificationsFollowTheStateOrderUnderRaces() throws Exception {
            lifecycle.markReady();
            recorder.clear();
            int threads = 4;
            int callsPerThread = 500;
            CyclicBarrier start = new CyclicBarrier(threads);
            ExecutorService pool = Executors.newFixedThreadPool(threads);
            try {
                List<Future<?>> calls = new ArrayList<>();
                for (int thread = 0; thread < threads; thread++) {
                    boolean stopping = thread % 2 == 0;
                    calls.add(pool.submit(() -> {
                        start.await(10, TimeUnit.SECONDS);
                        for (int call = 0; call < callsPerThread; call++) {
                            if (stopping) {
                                lifecycle.stopAccepting();
                            } else {
                                lifecycle.resumeAccepting();
                            }
                        }
                        return null;
                    }));
                }
                for (Future<?> call : calls) {
                    call.get(30, TimeUnit.SECONDS);
                }
            } finally {
                pool.shutdownNow();
            }

            List<String> transitions = recorder.transitions();
            assertThat(transitions).isNotEmpty();
            String expectedFrom = "READY";
            for (String transition : transitions) {
                assertThat(transition).startsWith(expectedFrom + "->");
                expectedFrom = transition.substring(transition.indexOf("->") + 2);
            }
            assertThat(expectedFrom).isEqualTo(lifecycle.state().name());
        }
    }

    @Nested
    class Draining {

        @Test
        void drainClosesEveryTrackerAndCompletesWhenAllAreEmpty() {
            InFlightTracker background = lifecycle.tracker("background");
            lifecycle.markReady();
            int request = requests.tryAdmit();
            int task = background.tryAdmit();
            assertThat(lifecycle.inFlight()).isEqualTo(2);

            CompletableFuture<Void> drain = lifecycle.drain().toCompletableFuture();

            assertThat(lifecycle.state()).isEqualTo(DRAINING);
            assertThat(drain).isNotDone();
            assertThat(requests.tryAdmit()).isEqualTo(InFlightTracker.REFUSED);
            assertThat(background.tryAdmit()).isEqualTo(InFlightTracker.REFUSED);

            requests.release(request);
            assertThat(drain).isNotDone();
            assertThat(lifecycle.state()).isEqualTo(DRAINING);

            background.release(task);
            assertThat(drain).isCompleted();
            assertThat(lifecycle.state()).isEqualTo(DRAINED);
            assertThat(lifecycle.inFlight()).isZero();
            assertThat(recorder.transitions()).endsWith("READY->DRAINING", "DRAINING->DRAINED");
        }

        @Test
        void workStillArrivingAfterStopAcceptingIsAdmittedUntilDrain() {
            lifecycle.markReady();
            lifecycle.stopAccepting();

            int late = requests.tryAdmit();

            assertThat(late).isNotEqualTo(InFlightTracker.REFUSED);
            CompletableFuture<Void> drain = lifecycle.drain().toCompletableFuture();
            assertThat(drain).isNotDone();
            requests.release(late);
            assertThat(drain).isCompleted();
        }

        @Test
        void listenersHaveSeenDrainedWhenTheDrainCompletes() {
            lifecycle.markReady();
            int request = requests.tryAdmit();
            List<LifecycleState> seenByDependent = new ArrayList<>();
            lifecycle.drain().thenRun(() -> seenByDependent.add(lifecycle.state()));
            recorder.clear();

            requests.release(request);

            assertThat(seenByDependent).containsExactly(DRAINED);
            assertThat(recorder.transitions()).containsExactly("DRAINING->DRAINED");
        }

        @Test
        void aTrackerCreatedDuringTheDrainIsCreatedClosed() {
            lifecycle.markReady();
            int request = requests.tryAdmit();
            lifecycle.drain();

            InFlightTracker late = lifecycle.tracker("outbound");

            assertThat(late.isClosed()).isTrue();
            assertThat(late.tryAdmit()).isEqualTo(InFlightTracker.REFUSED);
            requests.release(request);
            assertThat(lifecycle.state()).isEqualTo(DRAINED);
            assertThat(lifecycle.trackers()).containsExactly(requests, late);
        }

        @Test
        void reAdmissionFromDrainingReopensTheTrackersAndAbandonsTheDrain() {
            lifecycle.markReady();
            int before = requests.tryAdmit();
            CompletableFuture<Void> firstDrain = lifecycle.drain().toCompletableFuture();

            lifecycle.resumeAccepting();

            assertThat(lifecycle.state()).isEqualTo(READY);
            assertThat(lifecycle.isReady()).isTrue();
            assertThat(firstDrain).isCompletedExceptionally();
            assertThatThrownBy(firstDrain::join)
                    .cause()
                    .isInstanceOf(CancellationException.class)
                    .hasMessage("drain of instance 'orders-v2' abandoned: resumeAccepting() reopened the intake");
            int after = requests.tryAdmit();
            assertThat(after).isNotEqualTo(InFlightTracker.REFUSED);

            CompletableFuture<Void> secondDrain = lifecycle.drain().toCompletableFuture();
            requests.release(before);
            assertThat(secondDrain).isNotDone();
            requests.release(after);
            assertThat(secondDrain).isCompleted();
            assertThat(lifecycle.state()).isEqualTo(DRAINED);
        }

        @Test
        void reAdmissionFromDrainedAcceptsAgain() {
            InFlightTracker background = lifecycle.tracker("background");
            lifecycle.markReady();
            lifecycle.drain();
            assertThat(lifecycle.state()).isEqualTo(DRAINED);

            lifecycle.resumeAccepting();

            assertThat(lifecycle.state()).isEqualTo(READY);
            assertThat(requests.tryAdmit()).isNotEqualTo(InFlightTracker.REFUSED);
            assertThat(background.tryAdmit()).isNotEqualTo(InFlightTracker.REFUSED);
            assertThat(recorder.transitions()).endsWith("DRAINING->DRAINED", "DRAINED->READY");
        }

        @Test
        void anAbandonedDrainNeverMovesTheLifecycleToDrained() {
            lifecycle.markReady();
            int before = requests.tryAdmit();
            lifecycle.drain();
            lifecycle.resumeAccepting();
            recorder.clear();

            requests.release(before);

            assertThat(lifecycle.state()).isEqualTo(READY);
            assertThat(recorder.transitions()).isEmpty();
        }

        @Test
        void stopClosesTheTrackersAndFailsAPendingDrain() {
            lifecycle.markReady();
            int request = requests.tryAdmit();
            CompletableFuture<Void> drain = lifecycle.drain().toCompletableFuture();

            lifecycle.stop();

            assertThat(requests.isClosed()).isTrue();
            assertThatThrownBy(drain::join)
                    .hasCauseInstanceOf(InstanceFailedException.class)
                    .hasMessageContaining("instance orders-v2: stopped before its drain completed");
            requests.release(request);
            assertThat(lifecycle.state()).isEqualTo(STOPPED);
        }

        @Test
        void failFailsAPendingDrainWithTheCause() {
            lifecycle.markReady();
            requests.tryAdmit();
            CompletableFuture<Void> drain = lifecycle.drain().toCompletableFuture();
            IllegalStateException cause = new IllegalStateException("out of memory");

            lifecycle.fail(cause);

            assertThatThrownBy(drain::join)
                    .cause()
                    .isInstanceOf(InstanceFailedException.class)
                    .hasMessage("instance orders-v2: failed before its drain completed")
                    .hasCause(cause);
            assertThat(lifecycle.whenReady().toCompletableFuture()).isCompleted();
        }

        @Test
        void aDrainThatCompletedStaysCompletedWhenTheInstanceStopsAtOnce() {
            lifecycle.markReady();
            int request = requests.tryAdmit();
            // Listeners are told of DRAINED before the drain stage completes: stopping here races with it.
            lifecycle.addListener((from, to) -> {
                if (to == DRAINED) {
                    lifecycle.stop();
                }
            });
            CompletableFuture<Void> drain = lifecycle.drain().toCompletableFuture();

            requests.release(request);

            assertThat(drain).isCompleted();
            assertThat(lifecycle.state()).isEqualTo(STOPPED);
        }

        @Test
        void aDrainThatCompletedIsNotCancelledByAnImmediateReAdmission() {
            lifecycle.markReady();
            int request = requests.tryAdmit();
            lifecycle.addListener((from, to) -> {
                if (to == DRAINED) {
                    lifecycle.resumeAccepting();
                }
            });
            CompletableFuture<Void> drain = lifecycle.drain().toCompletableFuture();

            requests.release(request);

            assertThat(drain).isCompleted();
            assertThat(lifecycle.state()).isEqualTo(READY);
        }

        @Test
        void drainOverSeveralTrackersNeverCompletesWhileWorkRuns() throws Exception {
            int workers = 4;
            ExecutorService pool = Executors.newFixedThreadPool(workers + 1);
            try {
                for (int round = 0; round < 50; round++) {
                    InstanceLifecycle racing = InstanceLifecycle.newBuilder("orders-v2").build();
                    List<InFlightTracker> intakes = List.of(racing.tracker("requests"), racing.tracker("tasks"));
                    racing.markReady();
                    AtomicLong running = new AtomicLong();
                    AtomicLong runningWhenDrained = new AtomicLong(-1);
                    CyclicBarrier start = new CyclicBarrier(workers + 1);
                    List<Future<?>> tasks = new ArrayList<>();
                    for (int worker = 0; worker < workers; worker++) {
                        InFlightTracker intake = intakes.get(worker % 2);
                        tasks.add(pool.submit(() -> {
                            start.await(10, TimeUnit.SECONDS);
                            int permit;
                            while ((permit = intake.tryAdmit()) != InFlightTracker.REFUSED) {
                                running.incrementAndGet();
                                Thread.onSpinWait();
                                running.decrementAndGet();
                                intake.release(permit);
                            }
                            return null;
                        }));
                    }
                    tasks.add(pool.submit(() -> {
                        start.await(10, TimeUnit.SECONDS);
                        racing.drain().thenRun(() -> runningWhenDrained.set(running.get()));
                        return null;
                    }));
                    for (Future<?> task : tasks) {
                        task.get(30, TimeUnit.SECONDS);
                    }

                    assertThat(racing.state()).as("round %d", round).isEqualTo(DRAINED);
                    assertThat(runningWhenDrained.get()).as("units running at drain-complete, round %d", round)
                            .isZero();
                }
            } finally {
                pool.shutdownNow();
            }
        }

        @Test
        void drainCannotBeCompletedByTheCaller() {
            lifecycle.markReady();
            requests.tryAdmit();

            lifecycle.drain().toCompletableFuture().complete(null);

            assertThat(lifecycle.drain().toCompletableFuture()).isNotDone();
            assertThat(lifecycle.state()).isEqualTo(DRAINING);
        }
    }

    @Nested
    class Validation {

        @Test
        void rejectsBadNames() {
            assertThatThrownBy(() -> InstanceLifecycle.newBuilder(null))
                    .isInstanceOf(NullPointerException.class).hasMessage("id must not be null");
            assertThatThrownBy(() -> InstanceLifecycle.newBuilder(" "))
                    .isInstanceOf(IllegalArgumentException.class).hasMessage("id must not be blank, but was ' '");
            InstanceLifecycle.Builder builder = InstanceLifecycle.newBuilder("orders-v2");
            assertThatThrownBy(() -> builder.readyWhen(null, new CompletableFuture<>()))
                    .isInstanceOf(NullPointerException.class).hasMessage("conditionName must not be null");
            assertThatThrownBy(() -> builder.readyWhen("", new CompletableFuture<>()))
                    .isInstanceOf(IllegalArgumentException.class)
                    .hasMessage("conditionName must not be blank, but was ''");
            assertThatThrownBy(() -> builder.readinessCheck("\t", () -> true))
                    .isInstanceOf(IllegalArgumentException.class)
                    .hasMessage("checkName must not be blank, but was '\t'");
            assertThatThrownBy(() -> lifecycle.tracker(null))
                    .isInstanceOf(NullPointerException.class).hasMessage("trackerName must not be null");
            assertThatThrownBy(() -> lifecycle.tracker(" "))
                    .isInstanceOf(IllegalArgumentException.class)
                    .hasMessage("trackerName must not be blank, but was ' '");
        }

        @Test
        void rejectsNullArguments() {
            InstanceLifecycle.Builder builder = InstanceLifecycle.newBuilder("orders-v2");
            assertThatThrownBy(() -> builder.readyWhen("schema", null))
                    .isInstanceOf(NullPointerException.class).hasMessage("condition must not be null");
            assertThatThrownBy(() -> builder.readinessCheck("database", (BooleanSupplier) null))
                    .isInstanceOf(NullPointerException.class).hasMessage("check must not be null");
            assertThatThrownBy(() -> builder.tracker(null))
                    .isInstanceOf(NullPointerException.class).hasMessage("tracker must not be null");
            assertThatThrownBy(() -> builder.listener(null))
                    .isInstanceOf(NullPointerException.class).hasMessage("listener must not be null");
            assertThatThrownBy(() -> lifecycle.addListener(null))
                    .isInstanceOf(NullPointerException.class).hasMessage("listener must not be null");
            assertThatThrownBy(() -> lifecycle.removeListener(null))
                    .isInstanceOf(NullPointerException.class).hasMessage("listener must not be null");
            assertThatThrownBy(() -> lifecycle.fail(null))
                    .isInstanceOf(NullPointerException.class).hasMessage("cause must not be null");
            assertThat(lifecycle.state()).isEqualTo(STARTING);
        }

        @Test
        void rejectsDuplicateNames() {
            InstanceLifecycle.Builder builder = InstanceLifecycle.newBuilder("orders-v2")
                    .readyWhen("schema", new CompletableFuture<>())
                    .readinessCheck("database", () -> true)
                    .tracker(InFlightTracker.create("requests"));

            assertThatThrownBy(() -> builder.readyWhen("schema", new CompletableFuture<>()))
                    .isInstanceOf(IllegalArgumentException.class)
                    .hasMessage("conditionName must be unique, but 'schema' is already registered");
            assertThatThrownBy(() -> builder.readinessCheck("database", () -> true))
                    .isInstanceOf(IllegalArgumentException.class)
                    .hasMessage("checkName must be unique, but 'database' is already registered");
            assertThatThrownBy(() -> builder.tracker(InFlightTracker.create("requests")))
                    .isInstanceOf(IllegalArgumentException.class)
                    .hasMessage("tracker name must be unique, but 'requests' is already registered");
            assertThatThrownBy(() -> lifecycle.tracker("requests"))
                    .isInstanceOf(IllegalArgumentException.class)
                    .hasMessage("trackerName must be unique, but 'requests' is already registered on instance"
                            + " 'orders-v2'");
            assertThat(lifecycle.trackers()).containsExactly(requests);
        }

        @Test
        void aBuiltLifecycleDoesNotChangeWithItsBuilder() {
            InstanceLifecycle.Builder builder = InstanceLifecycle.newBuilder("orders-v2");
            InstanceLifecycle built = builder.build();

            builder.tracker(InFlightTracker.create("late")).readinessCheck("never", () -> false);
            built.markReady();

            assertThat(built.trackers()).isEmpty();
            assertThat(built.isReady()).isTrue();
        }
    }

    static Stream<Arguments> allowedTransitions() {
        List<Arguments> pairs = new ArrayList<>();
        for (LifecycleState from : LifecycleState.values()) {
            for (LifecycleState to : LifecycleState.values()) {
                if (from.canTransitionTo(to)) {
                    pairs.add(Arguments.of(from, to));
                }
            }
        }
        return pairs.stream();
    }

    /** Illegal transitions that an application can ask for (none of its calls leads back to STARTING). */
    static Stream<Arguments> illegalTransitions() {
        return Stream.of(
                Arguments.of(STOPPED, READY),
                Arguments.of(STOPPED, DRAINED),
                Arguments.of(STOPPED, FAILED),
                Arguments.of(FAILED, READY),
                Arguments.of(FAILED, DRAINED),
                Arguments.of(FAILED, STOPPED));
    }

    private void bringTo(LifecycleState state) {
        switch (state) {
            case STARTING:
                break;
            case READY:
                lifecycle.markReady();
                break;
            case DRAINING:
                lifecycle.markReady();
                lifecycle.stopAccepting();
                break;
            case DRAINED:
                lifecycle.markReady();
                lifecycle.drain();
                break;
            case STOPPED:
                lifecycle.stop();
                break;
            case FAILED:
                lifecycle.fail(new IllegalStateException("crashed"));
                break;
            default:
                throw new AssertionError(state);
        }
        assertThat(lifecycle.state()).isEqualTo(state);
    }

    /** The application call that asks for {@code state}. */
    private void moveTo(LifecycleState state) {
        LifecycleState current = lifecycle.state();
        switch (state) {
            case READY:
                if (current == STARTING || current.isTerminal()) {
                    lifecycle.markReady();
                } else {
                    refused(lifecycle.resumeAccepting());
                }
                break;
            case DRAINING:
                refused(lifecycle.stopAccepting());
                break;
            case DRAINED:
                refused(lifecycle.drain());
                break;
            case STOPPED:
                lifecycle.stop();
                break;
            case FAILED:
                lifecycle.fail(new IllegalStateException("crashed"));
                break;
            default:
                throw new AssertionError(state);
        }
    }

    /** Throws what a refused asynchronous call completed with, as the synchronous calls throw. */
    private static void refused(CompletionStage<Void> stage) {
        CompletableFuture<Void> future = stage.toCompletableFuture();
        if (future.isCompletedExceptionally()) {
            try {
                future.join();
            } catch (CompletionException e) {
                throw (RuntimeException) e.getCause();
            }
        }
    }

    /** Records transitions as "FROM->TO", thread-safely. */
    private static final class Recorder implements LifecycleListener {
        private final List<String> transitions = Collections.synchronizedList(new ArrayList<>());

        @Override
        public void onStateChange(LifecycleState from, LifecycleState to) {
            transitions.add(from + "->" + to);
        }

        List<String> transitions() {
            synchronized (transitions) {
                return new ArrayList<>(transitions);
            }
        }

        void clear() {
            transitions.clear();
        }
    }
}
