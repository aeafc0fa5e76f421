package dev.handoff.test.orchestrator;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.handoff.api.LifecycleListener;
import dev.handoff.api.LifecycleState;
import dev.handoff.api.Plan;
import dev.handoff.api.SwapInProgressException;
import dev.handoff.api.SwapOutcome;
import dev.handoff.api.SwapResult;
import dev.handoff.api.SwapStep;
import dev.handoff.api.event.SwapEvent;
import dev.handoff.api.event.SwapListener;
import dev.handoff.api.Lifecycle;
import dev.handoff.api.spi.Router;
import dev.handoff.core.Orchestrator;
import dev.handoff.core.Scheduler;
import dev.handoff.test.sim.InvariantChecker;
import dev.handoff.test.sim.SimulatedInstance;
import dev.handoff.test.sim.SimulatedInstance.Script;
import dev.handoff.test.sim.SimulatedLauncher;
import dev.handoff.test.sim.SimulatedRouter;
import dev.handoff.test.sim.VirtualClock;
import java.time.Duration;
import java.time.temporal.ChronoUnit;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import org.junit.jupiter.api.Test;

/** Regressions found in the review of the swap engine and the invariant checker. */
class ReviewRegressionTest {

    @Test
    void aSwapAskedForWhileAReadmissionRunsDoesNotTakeTheGroupFromIt() {
        // given a one-for-one swap past its cut-over, the old instance draining long work, and a router slow to
        // confirm
        Sim sim = new Sim(Duration.ofMillis(20), Duration.ZERO, builder -> { });
        SimulatedInstance old = sim.adopt(1, Script.healthy()).get(0);
        old.submit(Duration.ofSeconds(10));
        CompletionStage<SwapResult> first = sim.orchestrator.swap(Plan.oneForOne());
        sim.clock.advance(Duration.ofSeconds(1));
        SimulatedInstance fresh = sim.launcher.instance("web-1");
        assertThat(sim.router.attached()).containsExactly("web-1");

        // when the new instance crashes (the re-admission of the old one starts, waiting for the router) and a
        // second swap is asked for at that moment
        fresh.crash();

        // then the group is still busy: the second swap fails fast instead of swapping the crashed instance
        assertThatThrownBy(() -> sim.orchestrator.swap(Plan.oneForOne()))
                .isInstanceOf(SwapInProgressException.class);
        SwapResult result = sim.clock.runUntil(first);
        sim.clock.runUntilIdle();
        assertThat(result.outcome()).isEqualTo(SwapOutcome.ROLLED_BACK);
        assertThat(old.wasReadmitted()).isTrue();
        assertThat(sim.orchestrator.instances()).extracting(Lifecycle::id).containsExactly("old-1");
        assertThat(sim.router.attached()).containsExactly("old-1");
        sim.checker.assertHolds();
    }

    @Test
    void aSwapQueuedBehindAReadmissionStartsWithTheReadmittedGroup() {
        // given the same re-admission in progress
        Sim sim = new Sim(Duration.ofMillis(20), Duration.ZERO, builder -> { });
        SimulatedInstance old = sim.adopt(1, Script.healthy()).get(0);
        old.submit(Duration.ofSeconds(10));
        CompletionStage<SwapResult> first = sim.orchestrator.swap(Plan.oneForOne());
        sim.clock.advance(Duration.ofSeconds(1));
        sim.launcher.instance("web-1").crash();

        // when a second swap asks to wait its turn
        CompletionStage<SwapResult> second = sim.orchestrator.swap(Plan.oneForOne(), true);

        // then it replaces the re-admitted old instance, never the crashed one
        assertThat(sim.clock.runUntil(first).outcome()).isEqualTo(SwapOutcome.ROLLED_BACK);
        SwapResult result = sim.clock.runUntil(second);
        sim.clock.runUntilIdle();
        assertThat(result.outcome()).isEqualTo(SwapOutcome.COMMITTED);
        assertThat(result.retired()).containsExactly("old-1");
        assertThat(sim.orchestrator.instances()).extracting(Lifecycle::id).containsExactly("web-2");
        assertThat(old.destroyed()).isTrue();
        sim.checker.assertHolds();
    }

    @Test
    void aListenerThrowingAnErrorDoesNotBreakTheSwap() {
        // given a listener that fails an assertion on every step
        Sim sim = new Sim(Duration.ZERO, Duration.ZERO, builder -> builder.listener(new SwapListener() {
            @Override
            public void onStep(SwapEvent event) {
                throw new AssertionError("listener bug on " + event.step());
            }

            @Override
            public void onSwapEnd(SwapResult result) {
                throw new AssertionError("listener bug on the end");
            }
        }));
        SimulatedInstance old = sim.adopt(1, Script.healthy()).get(0);

        // when
        SwapResult result = sim.swap(Plan.oneForOne());

        // then the swap ran to its end regardless
        assertThat(result.outcome()).isEqualTo(SwapOutcome.COMMITTED);
        assertThat(old.state()).isEqualTo(LifecycleState.STOPPED);
        assertThat(sim.orchestrator.instances()).extracting(Lifecycle::id).containsExactly("web-1");
        sim.checker.assertHolds();
    }

    @Test
    void theCheckerCountsAReadmittedInstanceAmongTheOldInstancesOfTheNextSwap() {
        // given a rolling swap whose first new instance crashes while the old one drains: the old one is
        // re-admitted and the swap halts, leaving a group of 2
        Sim sim = new Sim();
        sim.scripts.put(0, Script.builder().crashAt(SwapStep.AWAIT_DRAINED).build());
        sim.scripts.put(1, Script.builder().startDelay(Duration.ofSeconds(1)).build());
        List<SimulatedInstance> olds = sim.adopt(2, Script.healthy());
        olds.get(0).submit(Duration.ofSeconds(5));
        assertThat(sim.swap(Plan.rolling(1, 0)).outcome()).isEqualTo(SwapOutcome.ROLLED_BACK);
        assertThat(olds.get(0).wasReadmitted()).isTrue();

        // when, during the next rolling swap (maxUnavailable 0), an instance drops out of the router behind the
        // orchestrator's back
        CompletionStage<SwapResult> next = sim.orchestrator.swap(Plan.rolling(1, 0));
        sim.clock.advance(Duration.ofMillis(500));
        sim.router.detach(olds.get(1));
        sim.clock.runUntil(next);
        sim.clock.runUntilIdle();

        // then the checker judges the swap against N = 2, the re-admitted instance included
        assertThat(sim.checker.violations()).anySatisfy(violation -> assertThat(violation)
                .contains("N=2").contains("only 1 ready instance(s) attached").contains("at least 2 required"));
    }

    @Test
    void theCheckerHoldsASwapToItsCapacityBoundOnlyUntilItsCutOver() {
        // given a rolling swap (maxUnavailable 0) past its cut-over, still draining its last old instance
        Sim sim = new Sim();
        List<SimulatedInstance> olds = sim.adopt(2, Script.healthy());
        olds.get(1).submit(Duration.ofSeconds(10));
        CompletionStage<SwapResult> first = sim.orchestrator.swap(Plan.rolling(1, 0));
        sim.clock.advance(Duration.ofSeconds(1));
        assertThat(olds.get(1).state()).isEqualTo(LifecycleState.DRAINING);

        // when the next swap, allowed one instance unavailable, retires an instance first
        CompletionStage<SwapResult> second = sim.orchestrator.swap(Plan.rolling(0, 1));
        sim.clock.runUntil(second);
        sim.clock.runUntil(first);

        // then each swap is held to its own bound: neither broke it
        assertThat(sim.checker.results()).extracting(SwapResult::outcome)
                .containsExactlyInAnyOrder(SwapOutcome.COMMITTED, SwapOutcome.COMMITTED);
        sim.checker.assertHolds();
    }

    @Test
    void aDeadlineTooLongForNanosecondsOnTheSystemSchedulerStillEndsTheSwap() {
        // given the system scheduler and a drain deadline of "forever" (positive, so accepted by the builder)
        Sim sim = new Sim(Duration.ZERO, Duration.ZERO, builder -> builder.scheduler(Scheduler.system())
                .drainTimeout(ChronoUnit.FOREVER.getDuration()));
        SimulatedInstance old = sim.adopt(1, Script.healthy()).get(0);
        old.submit(Duration.ofSeconds(1));

        // when
        SwapResult result = sim.swap(Plan.oneForOne());

        // then the drain wait was armed and the swap ran to its end
        assertThat(result.outcome()).isEqualTo(SwapOutcome.COMMITTED);
        assertThat(old.served()).isEqualTo(1);
        sim.checker.assertHolds();
    }

    @Test
    void aReadmissionWhoseAttachTimesOutDetachesTheOldInstanceBeforeDestroyingIt() {
        // given a router that applies its commands in order and re-attaches old-1 only after the attach timeout
        // (2 s) has passed
        VirtualClock clock = new VirtualClock();
        SimulatedLauncher launcher = new SimulatedLauncher(clock,
                index -> Script.builder().crashAt(SwapStep.AWAIT_DRAINED).build());
        SimulatedRouter simulated = new SimulatedRouter(clock);
        Router slowReattach = new Router() {
            private CompletableFuture<Void> previous = CompletableFuture.completedFuture(null);

            @Override
            public synchronized CompletionStage<Void> attach(Lifecycle instance) {
                if (!instance.id().equals("old-1")) {
                    return simulated.attach(instance);
                }
                CompletableFuture<Void> attached = new CompletableFuture<>();
                clock.schedule(Duration.ofSeconds(3), () -> simulated.attach(instance)
                        .whenComplete((ignored, failure) -> attached.complete(null)));
                previous = attached;
                return attached;
            }

            @Override
            public synchronized CompletionStage<Void> detach(Lifecycle instance) {
                return previous.thenCompose(ignored -> simulated.detach(instance));
            }

            @Override
            public CompletionStage<Void> settled(Lifecycle instance) {
                return simulated.settled(instance);
            }
        };
        InvariantChecker checker = new InvariantChecker(simulated, launcher);
        Orchestrator orchestrator = Orchestrator.builder("web", launcher, slowReattach).scheduler(clock)
                .executor(Runnable::run).attachTimeout(Duration.ofSeconds(2)).listener(launcher).listener(checker)
                .build();
        SimulatedInstance old = SimulatedInstance.running("old-1", clock);
        clock.runUntil(simulated.attach(old));
        checker.watch(old);
        orchestrator.adopt(old);
        old.submit(Duration.ofSeconds(10));

        // when the new instance crashes while the old one drains, and the re-admission's attach times out
        SwapResult result = clock.runUntil(orchestrator.swap(Plan.oneForOne()));
        clock.runUntilIdle();

        // then the old instance, given up on and destroyed, is not left attached to the router
        assertThat(result.outcome()).isEqualTo(SwapOutcome.ROLLED_BACK);
        assertThat(result.cause().get().getSuppressed()).anySatisfy(problem -> assertThat(problem)
                .hasMessageContaining("re-admission of instance 'old-1' failed"));
        assertThat(old.destroyed()).isTrue();
        assertThat(simulated.attached()).doesNotContain("old-1");
    }

    @Test
    void aLaunchedHandleWhoseIdThrowsIsRolledBackAndDestroyed() {
        // given a launcher whose handle throws from id()
        VirtualClock clock = new VirtualClock();
        SimulatedRouter router = new SimulatedRouter(clock);
        SimulatedInstance wrapped = SimulatedInstance.running("web-1", clock);
        Lifecycle broken = new Lifecycle() {
            @Override
            public String id() {
                throw new IllegalStateException("id not known yet");
            }

            @Override
            public CompletionStage<Void> whenReady() {
                return wrapped.whenReady();
            }

            @Override
            public LifecycleState state() {
                return wrapped.state();
            }

            @Override
            public boolean isReady() {
                return wrapped.isReady();
            }

            @Override
            public void addListener(LifecycleListener listener) {
                wrapped.addListener(listener);
            }

            @Override
            public void removeListener(LifecycleListener listener) {
                wrapped.removeListener(listener);
            }

            @Override
            public CompletionStage<Void> failure() {
                return wrapped.failure();
            }

            @Override
            public CompletionStage<Void> stopAccepting() {
                return wrapped.stopAccepting();
            }

            @Override
            public CompletionStage<Void> resumeAccepting() {
                return wrapped.resumeAccepting();
            }

            @Override
            public CompletionStage<Void> drain() {
                return wrapped.drain();
            }

            @Override
            public long inFlight() {
                return wrapped.inFlight();
            }

            @Override
            public CompletionStage<Long> forceStop() {
                return wrapped.forceStop();
            }

            @Override
            public CompletionStage<Void> destroy() {
                return wrapped.destroy();
            }
        };
        Orchestrator orchestrator = Orchestrator.builder("web", id -> CompletableFuture.completedFuture(broken),
                router).scheduler(clock).executor(Runnable::run).build();
        SimulatedInstance old = SimulatedInstance.running("old-1", clock);
        clock.runUntil(router.attach(old));
        orchestrator.adopt(old);

        // when
        SwapResult result = clock.runUntil(orchestrator.swap(Plan.oneForOne()));

        // then the swap ends, the broken instance is destroyed, the old one serves on
        assertThat(result.outcome()).isEqualTo(SwapOutcome.ROLLED_BACK);
        assertThat(wrapped.destroyed()).isTrue();
        assertThat(old.state()).isEqualTo(LifecycleState.READY);
        assertThat(orchestrator.instances()).containsExactly(old);
    }

    @Test
    void aRolledBackNewInstanceThatServedIsDrainedOnlyAfterThePropagationDelay() {
        // given a blue-green swap of two instances behind a router that keeps routing for 200 ms after a detach,
        // under traffic; the first new instance serves, the second is never ready
        Sim sim = new Sim(Duration.ZERO, Duration.ofMillis(200),
                index -> index == 1 ? Script.builder().fault(SimulatedInstance.Fault.NEVER_READY).build()
                        : Script.healthy(),
                builder -> { });
        sim.adopt(2, Script.healthy());
        sim.router.startTraffic(Duration.ofMillis(10), Duration.ofMillis(50));

        // when the swap rolls back
        SwapResult result = sim.clock.runUntil(sim.orchestrator.swap(Plan.blueGreen()));
        sim.clock.advance(Duration.ofSeconds(1));
        sim.router.stopTraffic();
        sim.clock.runUntilIdle();

        // then the work that still reached the attached new instance after its detach was served, not refused
        assertThat(result.outcome()).isEqualTo(SwapOutcome.ROLLED_BACK);
        assertThat(sim.launcher.instance("web-1").served()).isPositive();
        assertThat(sim.router.refusals()).isEmpty();
        sim.checker.assertHolds();
    }
}
