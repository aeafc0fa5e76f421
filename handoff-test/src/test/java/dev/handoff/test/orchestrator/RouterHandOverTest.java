package dev.handoff.test.orchestrator;

import static org.assertj.core.api.Assertions.assertThat;

import dev.handoff.api.LifecycleState;
import dev.handoff.api.Plan;
import dev.handoff.api.SwapOutcome;
import dev.handoff.api.SwapResult;
import dev.handoff.api.SwapStep;
import dev.handoff.api.event.SwapEvent;
import dev.handoff.api.event.SwapEvent.Phase;
import dev.handoff.test.sim.SimulatedInstance;
import dev.handoff.test.sim.SimulatedInstance.Script;
import java.time.Duration;
import java.time.Instant;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.Test;

/**
 * Step 4 ends when the router has taken the old instance out of the rotation; the router's hand-over
 * ({@code Router.settled}: a proxy's requests already sent to the old instance) is step 5, and the old instance's
 * intake closes only after it. So the steps mean the same on every router, and the safe order holds: no drain while
 * work the router sent may still arrive.
 */
class RouterHandOverTest {

    private static final Duration DETACH_TIMEOUT = Duration.ofSeconds(2);

    @Test
    void theDetachStepEndsOutOfTheRotationAndTheIntakeClosesOnlyAfterTheHandOver() {
        // given an old instance whose router hand-over is held (a proxy with a request still running on it), when a
        // swap runs up to the hand-over
        Sim sim = new Sim();
        SimulatedInstance old = sim.adopt(1, Script.healthy()).get(0);
        CompletableFuture<SwapResult> swap = swapUpToTheHandOver(sim);

        // then step 4 has ended with the old instance out of the rotation, step 5 has started, and the old instance
        // was told to stop accepting but not to drain
        assertThat(completed(sim, SwapStep.DETACH, "old-1")).isNotNull();
        assertThat(sim.router.attached()).containsExactly("web-1");
        assertThat(old.state()).as("told to stop accepting").isEqualTo(LifecycleState.DRAINING);
        assertThat(old.drainCalledAt()).isEmpty();
        assertThat(swap).isNotDone();

        // and when the router's work on it ends, its intake closes then, and the swap commits
        Instant settledAt = sim.clock.now();
        sim.router.settle("old-1");
        SwapResult result = sim.clock.runUntil(swap);

        assertThat(result.outcome()).isEqualTo(SwapOutcome.COMMITTED);
        assertThat(completed(sim, SwapStep.DRAIN, "old-1").at()).isEqualTo(settledAt);
        assertThat(intakeClosedAt(old)).isEqualTo(settledAt);
        assertThat(sim.log()).containsSubsequence("DETACH COMPLETED old-1", "DRAIN STARTED old-1",
                "DRAIN COMPLETED old-1", "AWAIT_DRAINED STARTED old-1", "AWAIT_DRAINED COMPLETED old-1",
                "DESTROY STARTED old-1", "DESTROY COMPLETED old-1");
        assertThat(result.steps()).extracting(timing -> timing.step()).containsSubsequence(SwapStep.DETACH,
                SwapStep.DRAIN, SwapStep.AWAIT_DRAINED, SwapStep.DESTROY);
        sim.checker.assertHolds();
    }

    @Test
    void aHandOverThatNeverEndsIsCutAtTheDetachTimeoutAndTheOldInstanceDrainsAnyway() {
        // given a hand-over that never ends
        Sim sim = new Sim();
        SimulatedInstance old = sim.adopt(1, Script.healthy()).get(0);
        sim.router.holdSettled("old-1");

        // when the swap runs
        SwapResult result = sim.swap(Plan.oneForOne());

        // then the old instance drains once the detach timeout has passed in step 5, and the swap commits
        assertThat(result.outcome()).isEqualTo(SwapOutcome.COMMITTED);
        Instant outOfRotation = completed(sim, SwapStep.DETACH, "old-1").at();
        assertThat(intakeClosedAt(old)).isEqualTo(outOfRotation.plus(DETACH_TIMEOUT));
        assertThat(completed(sim, SwapStep.DRAIN, "old-1").at()).isEqualTo(outOfRotation.plus(DETACH_TIMEOUT));
        assertThat(old.destroyed()).isTrue();
        sim.checker.assertHolds();
    }

    @Test
    void anOldInstanceThatDiesDuringTheHandOverIsBuriedAndTheNewOneKept() {
        Sim sim = new Sim();
        SimulatedInstance old = sim.adopt(1, Script.healthy()).get(0);
        CompletableFuture<SwapResult> swap = swapUpToTheHandOver(sim);

        old.crash();
        SwapResult result = sim.clock.runUntil(swap);

        assertThat(result.outcome()).isEqualTo(SwapOutcome.COMMITTED);
        assertThat(sim.events).anyMatch(event -> event.step() == SwapStep.DRAIN && event.phase() == Phase.FAILED);
        assertThat(old.callsAfterCrash()).isEmpty();
        assertThat(old.destroyed()).isTrue();
        assertThat(sim.router.attached()).containsExactly("web-1");
        sim.checker.assertHolds();
    }

    @Test
    void aNewInstanceThatFailsDuringTheHandOverReadmitsTheOldOne() {
        Sim sim = new Sim();
        SimulatedInstance old = sim.adopt(1, Script.healthy()).get(0);
        CompletableFuture<SwapResult> swap = swapUpToTheHandOver(sim);

        sim.launcher.instance("web-1").crash();
        SwapResult result = sim.clock.runUntil(swap);

        assertThat(result.outcome()).isEqualTo(SwapOutcome.ROLLED_BACK);
        assertThat(old.wasReadmitted()).isTrue();
        assertThat(old.drainCalledAt()).isEmpty();
        assertThat(sim.router.attached()).containsExactly("old-1");
        assertThat(old.state()).isEqualTo(LifecycleState.READY);
        sim.checker.assertHolds();
    }

    @Test
    void aRolledBackNewInstanceDrainsOnlyAfterItsHandOver() {
        // given a canary that served and is rejected, with the router's hand-over of it held
        CompletableFuture<Boolean> verdict = new CompletableFuture<>();
        Sim sim = new Sim(Duration.ZERO, Duration.ZERO, builder -> { });
        sim.adopt(1, Script.healthy());
        sim.router.holdSettled("web-1");
        CompletableFuture<SwapResult> swap = sim.orchestrator
                .swap(Plan.canary(id -> verdict)).toCompletableFuture();
        sim.clock.advance(Duration.ofMillis(500));
        SimulatedInstance fresh = sim.launcher.instance("web-1");

        // when the gate rejects it
        verdict.complete(false);
        sim.clock.advance(Duration.ofMillis(500));

        // then it is out of the rotation but not drained while the hand-over runs
        assertThat(sim.router.attached()).containsExactly("old-1");
        assertThat(fresh.drainCalledAt()).isEmpty();

        Instant settledAt = sim.clock.now();
        sim.router.settle("web-1");
        SwapResult result = sim.clock.runUntil(swap);
        assertThat(result.outcome()).isEqualTo(SwapOutcome.ROLLED_BACK);
        assertThat(intakeClosedAt(fresh)).isEqualTo(settledAt);
        assertThat(fresh.destroyed()).isTrue();
        sim.checker.assertHolds();
    }

    /** Holds the hand-over of {@code old-1} and runs a one-for-one swap until it waits there, in step 5. */
    private static CompletableFuture<SwapResult> swapUpToTheHandOver(Sim sim) {
        sim.router.holdSettled("old-1");
        CompletableFuture<SwapResult> swap = sim.orchestrator.swap(Plan.oneForOne()).toCompletableFuture();
        sim.clock.advance(Duration.ofMillis(500));
        assertThat(sim.log()).endsWith("DETACH COMPLETED old-1", "DRAIN STARTED old-1");
        return swap;
    }

    private static SwapEvent completed(Sim sim, SwapStep step, String instanceId) {
        return sim.events.stream().filter(event -> event.step() == step && event.phase() == Phase.COMPLETED
                && event.instanceId().equals(instanceId)).findFirst().orElse(null);
    }

    private static Instant intakeClosedAt(SimulatedInstance instance) {
        return instance.drainCalledAt().orElseThrow();
    }
}
