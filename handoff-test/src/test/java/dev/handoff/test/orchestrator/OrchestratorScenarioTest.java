package dev.handoff.test.orchestrator;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.handoff.api.HandoffException;
import dev.handoff.api.InstanceFailedException;
import dev.handoff.api.LifecycleState;
import dev.handoff.api.Plan;
import dev.handoff.api.StepTimeoutException;
import dev.handoff.api.SwapInProgressException;
import dev.handoff.api.SwapOutcome;
import dev.handoff.api.SwapResult;
import dev.handoff.api.SwapStep;
import dev.handoff.api.event.SwapEvent;
import dev.handoff.api.event.SwapListener;
import dev.handoff.api.Lifecycle;
import dev.handoff.core.HandoffMetrics;
import dev.handoff.test.sim.SimulatedInstance;
import dev.handoff.test.sim.SimulatedInstance.Fault;
import dev.handoff.test.sim.SimulatedInstance.Script;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CompletionStage;
import org.junit.jupiter.api.Test;

/** Scenarios of the orchestrator on the simulation kit, written as given / when / then. */
class OrchestratorScenarioTest {

    private static final Script SLOW = Script.builder().startDelay(Duration.ofSeconds(1))
            .readyDelay(Duration.ofSeconds(2)).build();

    @Test
    void oneForOneRunsTheSevenStepsInOrderAndCommits() {
        // given one instance serving two units of work
        Sim sim = new Sim();
        sim.scripts.put(0, SLOW);
        SimulatedInstance old = sim.adopt(1, Script.healthy()).get(0);
        old.submit(Duration.ofSeconds(3));
        old.submit(Duration.ofSeconds(3));

        // when
        SwapResult result = sim.swap(Plan.oneForOne());

        // then
        assertThat(result.outcome()).isEqualTo(SwapOutcome.COMMITTED);
        assertThat(result.cause()).isEmpty();
        assertThat(result.launched()).containsExactly("web-1");
        assertThat(result.retired()).containsExactly("old-1");
        assertThat(sim.log()).containsExactly(
                "LAUNCH STARTED web-1", "LAUNCH COMPLETED web-1",
                "AWAIT_READY STARTED web-1", "AWAIT_READY COMPLETED web-1",
                "ATTACH STARTED web-1", "ATTACH COMPLETED web-1",
                "DETACH STARTED old-1", "DETACH COMPLETED old-1",
                "DRAIN STARTED old-1", "DRAIN COMPLETED old-1",
                "AWAIT_DRAINED STARTED old-1", "AWAIT_DRAINED COMPLETED old-1",
                "DESTROY STARTED old-1", "DESTROY COMPLETED old-1");
        assertThat(result.steps()).extracting(timing -> timing.step()).containsExactly(SwapStep.LAUNCH,
                SwapStep.AWAIT_READY, SwapStep.ATTACH, SwapStep.DETACH, SwapStep.DRAIN, SwapStep.AWAIT_DRAINED,
                SwapStep.DESTROY);
        assertThat(result.timings(SwapStep.LAUNCH).get(0).duration()).isEqualTo(Duration.ofSeconds(1));
        assertThat(result.timings(SwapStep.AWAIT_READY).get(0).duration()).isEqualTo(Duration.ofSeconds(2));
        assertThat(result.timings(SwapStep.AWAIT_DRAINED).get(0).duration()).isEqualTo(Duration.ofSeconds(0));
        assertThat(result.duration()).isEqualTo(Duration.ofSeconds(3));
        assertThat(old.served()).isEqualTo(2);
        assertThat(sim.orchestrator.instances()).extracting(Lifecycle::id).containsExactly("web-1");
        assertThat(sim.swaps("committed")).isEqualTo(1.0);
        assertThat(sim.registry.find(HandoffMetrics.SWAP_DURATION).timer().count()).isEqualTo(1);
        assertThat(sim.stepCount(SwapStep.DESTROY, HandoffMetrics.RESULT_OK)).isEqualTo(1);
        sim.checker.assertHolds();
    }

    @Test
    void newInstanceFailingAfterStopAcceptingReadmitsTheOldOne() {
        // given traffic on one instance whose work outlives the crash of its replacement
        Sim sim = new Sim(Duration.ofMillis(20), Duration.ZERO, builder -> { });
        sim.scripts.put(0, Script.builder().readyDelay(Duration.ofSeconds(1)).crashAt(SwapStep.AWAIT_DRAINED).build());
        SimulatedInstance old = sim.adopt(1, Script.healthy()).get(0);
        sim.router.startTraffic(Duration.ofMillis(100), Duration.ofSeconds(2));
        sim.clock.advance(Duration.ofSeconds(1));

        // when
        SwapResult result = sim.swap(Plan.oneForOne());
        sim.clock.advance(Duration.ofSeconds(3));
        sim.router.stopTraffic();
        sim.clock.runUntilIdle();

        // then the old instance serves again, the crashed one is gone, nothing was lost
        assertThat(result.outcome()).isEqualTo(SwapOutcome.ROLLED_BACK);
        assertThat(result.cause()).get().isInstanceOf(InstanceFailedException.class)
                .extracting(Throwable::getMessage).asString().contains("web-1");
        assertThat(sim.log()).containsSubsequence("DETACH COMPLETED old-1", "AWAIT_DRAINED STARTED old-1",
                "AWAIT_DRAINED FAILED old-1", "READMIT STARTED old-1", "READMIT COMPLETED old-1",
                "ROLLBACK STARTED web-1", "ROLLBACK COMPLETED web-1");
        assertThat(old.state()).isEqualTo(LifecycleState.READY);
        assertThat(old.wasReadmitted()).isTrue();
        assertThat(old.destroyed()).isFalse();
        assertThat(sim.router.attached()).containsExactly("old-1");
        assertThat(sim.launcher.instance("web-1").destroyed()).isTrue();
        assertThat(sim.orchestrator.instances()).extracting(Lifecycle::id).containsExactly("old-1");
        assertThat(old.served()).isEqualTo(old.submitted() - old.refused());
        assertThat(sim.swaps("rolled_back")).isEqualTo(1.0);
        sim.checker.assertHolds();
    }

    @Test
    void secondSwapFailsFastWhileTheFirstIsBetweenLaunchAndDetach() {
        // given a swap waiting for its new instance to be ready
        Sim sim = new Sim();
        sim.scripts.put(0, SLOW);
        sim.adopt(1, Script.healthy());
        CompletionStage<SwapResult> first = sim.orchestrator.swap(Plan.oneForOne());
        sim.clock.advance(Duration.ofSeconds(2));

        // when / then
        assertThatThrownBy(() -> sim.orchestrator.swap(Plan.oneForOne()))
                .isInstanceOf(SwapInProgressException.class)
                .hasMessage("group 'web' is already swapping (swap web/swap-1 is between launch and detach); ask to wait,"
                        + " or retry after it cuts over");
        assertThat(sim.launcher.launched()).hasSize(1);
        assertThat(sim.clock.runUntil(first).outcome()).isEqualTo(SwapOutcome.COMMITTED);
        sim.checker.assertHolds();
    }

    @Test
    void queuedSwapStartsAfterTheCutOverAndOverlapsTheOldInstancesDrain() {
        // given a swap whose old instance drains for 20 s
        Sim sim = new Sim();
        sim.scripts.put(0, SLOW);
        sim.scripts.put(1, SLOW);
        SimulatedInstance old = sim.adopt(1, Script.healthy()).get(0);
        old.submit(Duration.ofSeconds(20));
        CompletionStage<SwapResult> first = sim.orchestrator.swap(Plan.oneForOne());

        // when a second swap asks to wait
        CompletionStage<SwapResult> second = sim.orchestrator.swap(Plan.oneForOne(), true);
        SwapResult secondResult = sim.clock.runUntil(second);
        SwapResult firstResult = sim.clock.runUntil(first);

        // then it started right after the first one's step 4, while old-1 was still draining
        List<String> log = sim.log();
        int firstCutOver = log.indexOf("DETACH COMPLETED old-1");
        int secondLaunch = log.indexOf("LAUNCH STARTED web-2");
        int firstDestroy = log.indexOf("DESTROY STARTED old-1");
        assertThat(secondLaunch).isGreaterThan(firstCutOver).isLessThan(firstDestroy);
        assertThat(sim.events.get(secondLaunch).swapId()).isEqualTo("web/swap-2");
        assertThat(firstResult.outcome()).isEqualTo(SwapOutcome.COMMITTED);
        assertThat(secondResult.outcome()).isEqualTo(SwapOutcome.COMMITTED);
        assertThat(secondResult.retired()).containsExactly("web-1");
        assertThat(old.served()).isEqualTo(1);
        assertThat(sim.router.attached()).containsExactly("web-2");
        sim.checker.assertHolds();
    }

    @Test
    void rollingReplacesEveryInstanceWithinTheSurgeBound() {
        // given four instances under traffic
        Sim sim = new Sim(Duration.ofMillis(10), Duration.ZERO, index -> SLOW, builder -> { });
        sim.adopt(4, Script.healthy());
        sim.router.startTraffic(Duration.ofMillis(50), Duration.ofSeconds(1));

        // when
        SwapResult result = sim.swap(Plan.rolling(2, 0));
        sim.router.stopTraffic();
        sim.clock.runUntilIdle();

        // then
        assertThat(result.outcome()).isEqualTo(SwapOutcome.COMMITTED);
        assertThat(result.retired()).containsExactlyInAnyOrder("old-1", "old-2", "old-3", "old-4");
        assertThat(sim.router.attached()).containsExactlyInAnyOrder("web-1", "web-2", "web-3", "web-4");
        assertThat(sim.router.refusals()).isEmpty();
        sim.checker.assertHolds();
    }

    @Test
    void rollingWithoutSurgeRetiresTheOldInstanceBeforeLaunching() {
        // given three instances
        Sim sim = new Sim();
        sim.adopt(3, Script.healthy());

        // when
        SwapResult result = sim.swap(Plan.rolling(0, 1));

        // then each old instance is destroyed before its replacement launches
        List<String> log = sim.log();
        assertThat(log.indexOf("DESTROY COMPLETED old-1")).isLessThan(log.indexOf("LAUNCH STARTED web-1"));
        assertThat(log.indexOf("ATTACH COMPLETED web-1")).isLessThan(log.indexOf("DETACH STARTED old-2"));
        assertThat(result.outcome()).isEqualTo(SwapOutcome.COMMITTED);
        assertThat(sim.router.attached()).containsExactly("web-1", "web-2", "web-3");
        sim.checker.assertHolds();
    }

    @Test
    void rollingHaltsAtTheFirstInstanceSwapThatRollsBack() {
        // given four instances; the second replacement is never ready
        Sim sim = new Sim();
        sim.scripts.put(1, Script.builder().fault(Fault.NEVER_READY).build());
        sim.adopt(4, Script.healthy());

        // when
        SwapResult result = sim.swap(Plan.rolling(1, 0));

        // then the first stays replaced, the rest untouched
        assertThat(result.outcome()).isEqualTo(SwapOutcome.ROLLED_BACK);
        assertThat(result.cause()).get().isInstanceOf(StepTimeoutException.class);
        assertThat(result.launched()).containsExactly("web-1", "web-2");
        assertThat(result.retired()).containsExactly("old-1");
        assertThat(sim.router.attached()).containsExactlyInAnyOrder("web-1", "old-2", "old-3", "old-4");
        assertThat(sim.orchestrator.instances()).hasSize(4);
        assertThat(sim.log()).doesNotContain("DETACH STARTED old-2", "LAUNCH STARTED web-3");
        sim.checker.assertHolds();
    }

    @Test
    void blueGreenAttachesEveryNewInstanceBeforeDetachingAnyOld() {
        // given three instances with work in flight
        Sim sim = new Sim(Duration.ofMillis(10), Duration.ZERO, index -> SLOW, builder -> { });
        List<SimulatedInstance> olds = sim.adopt(3, Script.healthy());
        for (int i = 0; i < olds.size(); i++) {
            olds.get(i).submit(Duration.ofSeconds(1 + i));
        }

        // when
        SwapResult result = sim.swap(Plan.blueGreen());

        // then
        List<String> log = sim.log();
        int lastAttach = lastIndexOf(log, "ATTACH COMPLETED");
        int firstDetach = firstIndexOf(log, "DETACH STARTED");
        int lastDrained = lastIndexOf(log, "AWAIT_DRAINED COMPLETED");
        int firstDestroy = firstIndexOf(log, "DESTROY STARTED");
        assertThat(lastAttach).isLessThan(firstDetach);
        assertThat(lastDrained).isLessThan(firstDestroy);
        assertThat(result.outcome()).isEqualTo(SwapOutcome.COMMITTED);
        assertThat(sim.router.attached()).containsExactlyInAnyOrder("web-1", "web-2", "web-3");
        sim.checker.assertHolds();
    }

    @Test
    void blueGreenRollsBackEveryNewInstanceWhenOneIsNeverReady() {
        // given three instances; the third new one is never ready
        Sim sim = new Sim();
        sim.scripts.put(2, Script.builder().fault(Fault.NEVER_READY).build());
        List<SimulatedInstance> olds = sim.adopt(3, Script.healthy());

        // when
        SwapResult result = sim.swap(Plan.blueGreen());

        // then all or nothing
        assertThat(result.outcome()).isEqualTo(SwapOutcome.ROLLED_BACK);
        assertThat(sim.log()).noneMatch(line -> line.startsWith("DETACH"));
        assertThat(sim.launcher.launched()).allMatch(SimulatedInstance::destroyed);
        assertThat(olds).allMatch(SimulatedInstance::isReady);
        assertThat(sim.router.attached()).containsExactly("old-1", "old-2", "old-3");
        sim.checker.assertHolds();
    }

    @Test
    void blueGreenReadmitsEveryOldInstanceWhenANewOneFailsDuringTheDrain() {
        // given three instances with long work; the second new one crashes while the old ones drain
        Sim sim = new Sim();
        sim.scripts.put(1, Script.builder().crashAt(SwapStep.AWAIT_DRAINED).build());
        List<SimulatedInstance> olds = sim.adopt(3, Script.healthy());
        olds.forEach(old -> old.submit(Duration.ofSeconds(10)));

        // when
        SwapResult result = sim.swap(Plan.blueGreen());
        sim.clock.runUntilIdle();

        // then
        assertThat(result.outcome()).isEqualTo(SwapOutcome.ROLLED_BACK);
        assertThat(olds).allMatch(SimulatedInstance::isReady).noneMatch(SimulatedInstance::destroyed);
        assertThat(sim.router.attached()).containsExactlyInAnyOrder("old-1", "old-2", "old-3");
        assertThat(sim.launcher.launched()).allMatch(SimulatedInstance::destroyed);
        assertThat(sim.log()).filteredOn(line -> line.startsWith("READMIT COMPLETED")).hasSize(3);
        assertThat(olds).allMatch(old -> old.served() == 1);
        sim.checker.assertHolds();
    }

    @Test
    void canaryThatPassesItsGateRollsOverTheRest() {
        // given three instances and a gate that approves
        List<String> verified = new ArrayList<>();
        Sim sim = new Sim();
        sim.adopt(3, Script.healthy());

        // when
        SwapResult result = sim.swap(Plan.canary(id -> {
            verified.add(id);
            return CompletableFuture.completedFuture(true);
        }));

        // then the gate ran once, on the canary, before any old instance was detached
        assertThat(verified).containsExactly("web-1");
        List<String> log = sim.log();
        assertThat(log.indexOf("VERIFY COMPLETED web-1")).isLessThan(firstIndexOf(log, "DETACH STARTED"));
        assertThat(result.outcome()).isEqualTo(SwapOutcome.COMMITTED);
        assertThat(sim.router.attached()).containsExactlyInAnyOrder("web-1", "web-2", "web-3");
        sim.checker.assertHolds();
    }

    @Test
    void canaryRejectedByItsGateIsDestroyedAndTheOldInstancesServeOn() {
        // given three instances and a gate that rejects, with traffic reaching the canary
        Sim sim = new Sim();
        List<SimulatedInstance> olds = sim.adopt(3, Script.healthy());
        sim.router.startTraffic(Duration.ofMillis(100), Duration.ofMillis(700));

        // when
        CompletableFuture<Boolean> verdict = new CompletableFuture<>();
        sim.clock.schedule(Duration.ofSeconds(2), () -> verdict.complete(false));
        SwapResult result = sim.swap(Plan.canary(id -> verdict));
        sim.router.stopTraffic();
        sim.clock.runUntilIdle();

        // then
        assertThat(result.outcome()).isEqualTo(SwapOutcome.ROLLED_BACK);
        assertThat(result.cause()).get().isInstanceOf(HandoffException.class)
                .extracting(Throwable::getMessage).asString().contains("rejected canary instance 'web-1'");
        assertThat(sim.log()).noneMatch(line -> line.startsWith("DETACH"));
        SimulatedInstance canary = sim.launcher.instance("web-1");
        assertThat(canary.destroyed()).isTrue();
        assertThat(canary.served()).isPositive().isEqualTo(canary.submitted() - canary.refused());
        assertThat(olds).allMatch(SimulatedInstance::isReady);
        assertThat(sim.router.attached()).containsExactly("old-1", "old-2", "old-3");
        sim.checker.assertHolds();
    }

    @Test
    void canaryGateThatNeverAnswersTimesOut() {
        Sim sim = new Sim();
        sim.adopt(2, Script.healthy());

        SwapResult result = sim.swap(Plan.canary(id -> new CompletableFuture<>()));

        assertThat(result.outcome()).isEqualTo(SwapOutcome.ROLLED_BACK);
        assertThat(result.cause()).get().isInstanceOf(StepTimeoutException.class)
                .extracting(Throwable::getMessage).asString().contains("VERIFY of instance web-1");
        sim.checker.assertHolds();
    }

    @Test
    void detachWaitsThePropagationDelayAndWorkArrivingMeanwhileIsServed() {
        // given a router that cannot confirm (500 ms) plus 200 ms configured, and steady traffic
        Sim sim = new Sim(Duration.ZERO, Duration.ofMillis(500), builder -> builder.propagationDelay(
                Duration.ofMillis(200)));
        SimulatedInstance old = sim.adopt(1, Script.healthy()).get(0);
        sim.router.startTraffic(Duration.ofMillis(10), Duration.ofMillis(100));
        sim.clock.advance(Duration.ofSeconds(1));
        long beforeSwap = old.submitted();

        // when
        SwapResult result = sim.swap(Plan.oneForOne());
        sim.router.stopTraffic();
        sim.clock.runUntilIdle();

        // then work kept reaching the old instance during the delay, and it served all of it
        assertThat(result.timings(SwapStep.DETACH).get(0).duration()).isEqualTo(Duration.ofMillis(700));
        assertThat(old.submitted()).isGreaterThan(beforeSwap);
        assertThat(old.refused()).isZero();
        assertThat(old.served()).isEqualTo(old.submitted());
        assertThat(sim.router.refusals()).isEmpty();
        sim.checker.assertHolds();
    }

    @Test
    void listenerThatThrowsNeverBreaksASwap() {
        List<String> seen = new ArrayList<>();
        Sim sim = new Sim(Duration.ZERO, Duration.ZERO, builder -> builder.listener(new SwapListener() {
            @Override
            public void onStep(SwapEvent event) {
                seen.add(event.swapId());
                throw new IllegalStateException("listener bug");
            }

            @Override
            public void onSwapEnd(SwapResult result) {
                throw new IllegalStateException("listener bug at the end");
            }
        }));
        sim.adopt(1, Script.healthy());

        SwapResult result = sim.swap(Plan.oneForOne());

        assertThat(result.outcome()).isEqualTo(SwapOutcome.COMMITTED);
        // slf4j-simple (the test binding) has a no-op MDC, so the swap id in the MDC is not observable here.
        assertThat(seen).hasSize(14).containsOnly("web/swap-1");
        assertThat(sim.log()).endsWith("DESTROY COMPLETED old-1");
        assertThat(sim.ended).hasSize(1);
    }

    @Test
    void startLaunchesReadiesAndAttachesTheFirstInstances() {
        Sim sim = new Sim(Duration.ofMillis(10), Duration.ZERO, index -> SLOW, builder -> { });

        SwapResult started = sim.clock.runUntil(sim.orchestrator.start(3));

        assertThat(started.outcome()).isEqualTo(SwapOutcome.COMMITTED);
        assertThat(started.launched()).containsExactly("web-1", "web-2", "web-3");
        assertThat(sim.orchestrator.instances()).extracting(Lifecycle::id)
                .containsExactlyInAnyOrder("web-1", "web-2", "web-3");
        assertThat(sim.router.attached()).containsExactlyInAnyOrder("web-1", "web-2", "web-3");
        assertThat(sim.clock.runUntil(sim.orchestrator.swap(Plan.rolling(1, 1))).outcome())
                .isEqualTo(SwapOutcome.COMMITTED);
        sim.checker.assertHolds();
    }

    @Test
    void startThatFailsDestroysTheInstancesThatStarted() {
        Sim sim = new Sim(Duration.ZERO, Duration.ZERO,
                index -> index == 1 ? Script.builder().fault(Fault.NEVER_READY).build() : Script.healthy(),
                builder -> { });

        CompletionStage<SwapResult> start = sim.orchestrator.start(3);

        assertThatThrownBy(() -> sim.clock.runUntil(start)).isInstanceOf(CompletionException.class)
                .hasCauseInstanceOf(HandoffException.class)
                .hasMessageContaining("starting group 'web' failed");
        assertThat(sim.launcher.launched()).hasSize(3).allMatch(SimulatedInstance::destroyed);
        assertThat(sim.router.attached()).isEmpty();
        assertThat(sim.orchestrator.instances()).isEmpty();
    }

    @Test
    void closeFailsQueuedSwapsAndRejectsNewOnes() {
        Sim sim = new Sim();
        sim.scripts.put(0, SLOW);
        sim.adopt(1, Script.healthy());
        CompletionStage<SwapResult> running = sim.orchestrator.swap(Plan.oneForOne());
        CompletionStage<SwapResult> queued = sim.orchestrator.swap(Plan.oneForOne(), true);

        sim.orchestrator.close();

        assertThat(queued.toCompletableFuture()).isCompletedExceptionally();
        assertThatThrownBy(() -> sim.orchestrator.swap(Plan.oneForOne()))
                .isInstanceOf(IllegalStateException.class).hasMessage("the orchestrator of group 'web' is closed");
        assertThat(sim.clock.runUntil(running).outcome()).isEqualTo(SwapOutcome.COMMITTED);
    }

    private static int firstIndexOf(List<String> log, String prefix) {
        for (int i = 0; i < log.size(); i++) {
            if (log.get(i).startsWith(prefix)) {
                return i;
            }
        }
        return -1;
    }

    private static int lastIndexOf(List<String> log, String prefix) {
        for (int i = log.size() - 1; i >= 0; i--) {
            if (log.get(i).startsWith(prefix)) {
                return i;
            }
        }
        return -1;
    }
}
