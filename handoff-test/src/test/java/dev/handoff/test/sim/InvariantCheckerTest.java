package dev.handoff.test.sim;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.handoff.api.Plan;
import dev.handoff.api.SwapOutcome;
import dev.handoff.api.SwapResult;
import dev.handoff.api.SwapStep;
import dev.handoff.api.event.SwapEvent;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/** The checker reports each kind of violation (driven by hand, without an orchestrator that would prevent them). */
class InvariantCheckerTest {

    private final VirtualClock clock = new VirtualClock();
    private final SimulatedLauncher launcher = new SimulatedLauncher(clock);
    private final SimulatedRouter router = new SimulatedRouter(clock);
    private final InvariantChecker checker = new InvariantChecker(router, launcher);

    private SimulatedInstance attached(String id) {
        SimulatedInstance instance = SimulatedInstance.running(id, clock);
        checker.watch(instance);
        clock.runUntil(router.attach(instance));
        return instance;
    }

    private void event(String swap, SwapStep step, SwapEvent.Phase phase, String instance) {
        checker.onStep(new SwapEvent(swap, step, phase, instance, "initial", clock.now(), Duration.ZERO, Optional.empty()));
    }

    private void end(String swap, Plan plan) {
        checker.onSwapEnd(new SwapResult(swap, plan, "initial", SwapOutcome.COMMITTED, clock.now(), Duration.ZERO, List.of(),
                List.of(), List.of(), 0, Optional.empty()));
    }

    @Test
    void aGroupLeftWithoutAReadyAttachedInstanceBreaksCapacity() {
        SimulatedInstance only = attached("a");
        event("s1", SwapStep.DETACH, SwapEvent.Phase.STARTED, "a");
        clock.runUntil(router.detach(only));
        event("s1", SwapStep.DETACH, SwapEvent.Phase.COMPLETED, "a");
        end("s1", Plan.oneForOne());

        assertThat(checker.violations()).first().asString()
                .contains("only 0 ready instance(s) attached", "at least 1 required");
        assertThatThrownBy(checker::assertHolds).isInstanceOf(AssertionError.class)
                .hasMessageContaining("3 invariant violation(s)");
    }

    @Test
    void aHealthyInstanceLeftWithoutAnyAttachedBreaksNeverEmpty() {
        // given a healthy instance that the router no longer reaches, and a crashed one it still does
        SimulatedInstance healthy = attached("a");
        SimulatedInstance dead = attached("b");
        dead.crash();
        event("s1", SwapStep.DETACH, SwapEvent.Phase.STARTED, "a");
        clock.runUntil(router.detach(healthy));
        event("s1", SwapStep.DETACH, SwapEvent.Phase.COMPLETED, "a");

        // when the swap ends
        end("s1", Plan.rolling(0, 1));

        // then
        assertThat(checker.violations())
                .contains("after swap s1 ended COMMITTED: healthy instance(s) [a] exist, but none is attached"
                        + " (attached: [b])")
                .contains("at the end: healthy instance(s) [a] exist, but none is attached (attached: [b])");
    }

    @Test
    void aGroupLeftEmptyWhileAHealthyInstanceRunsBreaksNeverEmpty() {
        attached("a");
        checker.group(List::of);

        assertThat(checker.violations()).containsExactly("at the end: the group is empty while healthy instance(s)"
                + " [a] run");
    }

    @Test
    void aDeadInstanceAskedToStopAcceptingOrDrainIsReported() {
        SimulatedInstance dead = attached("a");
        dead.crash();
        dead.stopAccepting();
        dead.drain();

        assertThat(checker.violations()).containsExactly(
                "instance a was asked to stop accepting at PT0S, after it crashed",
                "instance a was asked to drain at PT0S, after it crashed");
    }

    @Test
    void aGroupWithNoHealthyInstanceMayBeEmpty() {
        attached("a").crash();
        checker.group(List::of);

        assertThat(checker.violations()).isEmpty();
    }

    @Test
    void aStepThatNeverEndsIsAnUnboundedWait() {
        attached("a");
        event("s1", SwapStep.LAUNCH, SwapEvent.Phase.STARTED, "web-1");
        end("s1", Plan.oneForOne());

        assertThat(checker.violations()).singleElement().asString()
                .contains("LAUNCH of web-1 started and never ended");
    }

    @Test
    void aSwapThatNeverEndsAndOverlappingSwapsAreReported() {
        attached("a");
        event("s1", SwapStep.LAUNCH, SwapEvent.Phase.STARTED, "web-1");
        event("s2", SwapStep.LAUNCH, SwapEvent.Phase.STARTED, "web-2");
        event("s1", SwapStep.LAUNCH, SwapEvent.Phase.COMPLETED, "web-1");

        assertThat(checker.violations()).anyMatch(v -> v.contains("swap s1 started and never ended"))
                .anyMatch(v -> v.contains("swaps s1 and s2 were between steps 1 and 4 at the same time"));
    }

    @Test
    void workCutOffByADestroyIsLost() {
        SimulatedInstance instance = attached("a");
        instance.submit(Duration.ofSeconds(5));
        instance.destroy();

        assertThat(checker.violations()).singleElement().asString()
                .contains("instance a: 1 unit(s) of work were cut off by its destroy");
    }

    @Test
    void workRefusedByAReachableInstanceAndAttachingAnUnreadyInstanceAreReported() {
        SimulatedInstance instance = attached("a");
        instance.drain();
        router.route(Duration.ofSeconds(1));
        SimulatedInstance starting = SimulatedInstance.launch("b", clock,
                SimulatedInstance.Script.builder().readyDelay(Duration.ofSeconds(5)).build());
        checker.watch(starting);
        router.attach(starting);

        assertThat(checker.violations()).anyMatch(v -> v.contains("to a was refused"))
                .anyMatch(v -> v.contains("instance b was attached at PT0S while STARTING"));
    }

    @Test
    void aRollingSwapBelowNMinusMaxUnavailableBreaksCapacity() {
        List<SimulatedInstance> olds = List.of(attached("a"), attached("b"), attached("c"), attached("d"));
        event("s1", SwapStep.DETACH, SwapEvent.Phase.STARTED, "a");
        for (SimulatedInstance old : olds.subList(0, 3)) {
            clock.runUntil(router.detach(old));
        }
        event("s1", SwapStep.DETACH, SwapEvent.Phase.COMPLETED, "a");
        end("s1", Plan.rolling(0, 2));

        assertThat(checker.violations()).singleElement().asString()
                .contains("rolling(maxSurge=0, maxUnavailable=2), N=4", "only 1 ready instance(s) attached",
                        "at least 2 required");
    }

    @Test
    void aRollingSwapAboveNPlusMaxSurgeBreaksTheBoundOnInstancesAlive() {
        attached("a");
        attached("b");
        event("s1", SwapStep.LAUNCH, SwapEvent.Phase.STARTED, "web-1");
        launcher.launch("web-1");
        event("s1", SwapStep.LAUNCH, SwapEvent.Phase.STARTED, "web-2");
        launcher.launch("web-2");
        event("s1", SwapStep.LAUNCH, SwapEvent.Phase.COMPLETED, "web-1");
        event("s1", SwapStep.LAUNCH, SwapEvent.Phase.COMPLETED, "web-2");
        end("s1", Plan.rolling(1, 1));

        assertThat(checker.violations()).singleElement().asString()
                .contains("rolling(maxSurge=1, maxUnavailable=1), N=2", "4 instances alive", "at most 3 allowed");
    }

    @Test
    void aCleanRunHasNoViolations() {
        attached("a");
        assertThat(checker.violations()).isEmpty();
        checker.assertHolds();
    }
}
