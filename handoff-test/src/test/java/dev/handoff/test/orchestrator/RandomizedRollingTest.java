package dev.handoff.test.orchestrator;

import static org.assertj.core.api.Assertions.assertThat;

import dev.handoff.api.Lifecycle;
import dev.handoff.api.Plan;
import dev.handoff.api.SwapResult;
import dev.handoff.api.SwapStep;
import dev.handoff.test.sim.SimulatedInstance;
import dev.handoff.test.sim.SimulatedInstance.Fault;
import dev.handoff.test.sim.SimulatedInstance.Script;
import java.time.Duration;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Rolling swaps of 50 simulated instances under traffic, with random (seeded) {@code maxSurge} and
 * {@code maxUnavailable}, and faults injected at random steps on the new and the old instances, crashes of members
 * among them (between swaps, at a step of their retirement, or at any time during a swap): the invariants hold in
 * every run, among them never fewer than {@code N - maxUnavailable} ready instances attached, never more than
 * {@code N + maxSurge} alive, and never a healthy instance left with none attached or an empty group.
 */
class RandomizedRollingTest {

    private static final List<SwapStep> CRASH_STEPS = List.of(SwapStep.AWAIT_READY, SwapStep.ATTACH, SwapStep.DETACH,
            SwapStep.DRAIN, SwapStep.AWAIT_DRAINED, SwapStep.DESTROY);
    private static final List<SwapStep> RETIREMENT_STEPS = List.of(SwapStep.DETACH, SwapStep.DRAIN,
            SwapStep.AWAIT_DRAINED, SwapStep.DESTROY);

    @ParameterizedTest(name = "seed {0}")
    @ValueSource(longs = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20})
    void invariantsHoldUnderRandomFaults(long seed) {
        Random random = new Random(seed);
        Duration propagation = Duration.ofMillis(random.nextInt(3) * 100L);
        Sim sim = new Sim(Duration.ofMillis(10), propagation,
                index -> newInstanceScript(new Random(seed * 1_000_003L + index)), builder -> { });
        List<SimulatedInstance> olds = sim.adopt(50, Script.healthy());
        sim.router.startTraffic(Duration.ofMillis(20), Duration.ofMillis(300 + random.nextInt(700)));
        // a few long-running units, some beyond the drain deadline
        for (SimulatedInstance old : olds) {
            if (random.nextInt(10) == 0) {
                old.submit(Duration.ofSeconds(10 + random.nextInt(40)));
            }
        }

        int swaps = 3;
        int crashedMembers = 0;
        for (int i = 0; i < swaps; i++) {
            crashedMembers += crashSomeMembers(sim, random);
            Plan plan = randomRolling(random);
            // waits its turn behind a replacement of members that crashed after the previous swap
            SwapResult result = sim.clock.runUntil(sim.orchestrator.swap(plan, true));
            assertThat(result.outcome()).isNotNull();
            assertThat(result.steps()).allMatch(timing -> !timing.duration().isNegative());
        }
        sim.router.stopTraffic();
        sim.clock.runUntilIdle();

        sim.checker.assertHolds();
        assertThat(sim.ended).filteredOn(result -> result.swapId().contains("/swap-")).hasSize(swaps);
        assertThat(sim.launcher.launched()).as("faults were injected")
                .anyMatch(instance -> !instance.script().faults().isEmpty());
        assertThat(crashedMembers).as("members were crashed").isPositive();
        assertThat(sim.router.attached()).isNotEmpty();
        assertThat(sim.orchestrator.instances()).extracting(handle -> handle.id())
                .containsExactlyInAnyOrderElementsOf(sim.router.attached());
    }

    /**
     * Picks a few members to die: now (between swaps), when a step of their retirement starts, or at a random time
     * during the next swap.
     *
     * @return how many were picked
     */
    private static int crashSomeMembers(Sim sim, Random random) {
        int picked = 0;
        for (Lifecycle member : sim.orchestrator.instances()) {
            SimulatedInstance instance = (SimulatedInstance) member;
            int draw = random.nextInt(100);
            if (draw < 2) {
                instance.crash();
            } else if (draw < 5) {
                sim.crashWhen(RETIREMENT_STEPS.get(random.nextInt(RETIREMENT_STEPS.size())), instance);
            } else if (draw < 7) {
                sim.clock.schedule(Duration.ofMillis(random.nextInt(20_000)), instance::crash);
            } else {
                continue;
            }
            picked++;
        }
        return picked;
    }

    /**
     * A rolling plan with random bounds: mostly small, sometimes beyond the group (a surge of
     * {@code Integer.MAX_VALUE}); never a maxUnavailable that could empty the group (at least 45 instances remain).
     */
    private static Plan randomRolling(Random random) {
        int maxSurge = random.nextInt(10) == 0 ? Integer.MAX_VALUE : random.nextInt(5);
        int maxUnavailable = random.nextInt(10) == 0 ? 20 : random.nextInt(4);
        if (maxSurge == 0 && maxUnavailable == 0) {
            maxUnavailable = 1;
        }
        return Plan.rolling(maxSurge, maxUnavailable);
    }

    private static Script newInstanceScript(Random random) {
        Script.Builder script = Script.builder()
                .startDelay(Duration.ofMillis(random.nextInt(2000)))
                .readyDelay(Duration.ofMillis(random.nextInt(3000)));
        if (random.nextInt(100) < 20) {
            switch (random.nextInt(6)) {
                case 0 -> script.fault(Fault.FAILS_TO_START);
                case 1 -> script.fault(Fault.NEVER_READY);
                case 2 -> script.crashAt(CRASH_STEPS.get(random.nextInt(CRASH_STEPS.size())));
                case 3 -> script.fault(Fault.DESTROY_THROWS);
                case 4 -> script.fault(Fault.HANGS_IN_DRAIN);
                default -> script.fault(Fault.DESTROY_HANGS);
            }
        }
        return script.build();
    }
}
