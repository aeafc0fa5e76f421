package dev.handoff.test.orchestrator;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.handoff.api.Plan;
import dev.handoff.api.SwapOutcome;
import dev.handoff.api.SwapResult;
import dev.handoff.api.event.SwapEvent;
import dev.handoff.api.event.SwapListener;
import dev.handoff.test.sim.SimulatedInstance;
import dev.handoff.test.sim.SimulatedInstance.Script;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/** Plans whose numbers are extreme, or larger than the group: every swap ends, within honest bounds. */
class PlanBoundsTest {

    @Test
    void givenARollingPlanWithTheLargestSurge_whenItRuns_thenTheSwapEndsWithinTwiceTheGroup() {
        // given two instances
        Sim sim = new Sim();
        sim.adopt(2, Script.healthy());

        // when a surge far beyond the group is asked for (N + maxSurge overflows an int)
        SwapResult result = sim.swap(Plan.rolling(Integer.MAX_VALUE, 0));

        // then the swap ends on the virtual clock, and never more than 2N instances were alive
        assertThat(result.outcome()).isEqualTo(SwapOutcome.COMMITTED);
        assertThat(result.retired()).containsExactlyInAnyOrder("old-1", "old-2");
        assertThat(sim.router.attached()).containsExactlyInAnyOrder("web-1", "web-2");
        sim.checker.assertHolds();
    }

    static Stream<Arguments> plans() {
        return Stream.of(
                Arguments.of(Plan.oneForOne(), 1),
                Arguments.of(Plan.blueGreen(), 3),
                Arguments.of(Plan.canary(id -> java.util.concurrent.CompletableFuture.completedFuture(true)), 3),
                Arguments.of(Plan.rolling(2, 0), 3),
                Arguments.of(Plan.rolling(1, 1), 4),
                Arguments.of(Plan.rolling(Integer.MAX_VALUE, 0), 2));
    }

    @ParameterizedTest(name = "{0} on {1}")
    @MethodSource("plans")
    void givenAPlan_whenItRuns_thenItsReportedSurgeIsTheMostInstancesAboveNThatWereAlive(Plan plan, int size) {
        // given a group of N with instances slow to start, so that the plan's surge shows
        AtomicInteger peak = new AtomicInteger();
        Sim[] holder = new Sim[1];
        Sim sim = new Sim(Duration.ofMillis(10), Duration.ZERO,
                index -> Script.builder().readyDelay(Duration.ofSeconds(1)).build(),
                builder -> builder.listener(new SwapListener() {
                    @Override
                    public void onStep(SwapEvent event) {
                        peak.accumulateAndGet(alive(holder[0]), Math::max);
                    }
                }));
        holder[0] = sim;
        List<SimulatedInstance> olds = sim.adopt(size, Script.healthy());

        // when
        SwapResult result = sim.swap(plan);

        // then
        assertThat(result.outcome()).isEqualTo(SwapOutcome.COMMITTED);
        assertThat(olds).allMatch(SimulatedInstance::destroyed);
        assertThat(peak.get() - size).as("instances alive above N").isLessThanOrEqualTo(plan.maxSurge(size));
        if (plan.kind() == Plan.Kind.BLUE_GREEN) {
            assertThat(peak.get() - size).as("blue-green's surge is N").isEqualTo(plan.maxSurge(size));
        }
        sim.checker.assertHolds();
    }

    private static int alive(Sim sim) {
        if (sim == null) {
            return 0;
        }
        int alive = 0;
        for (SimulatedInstance instance : sim.launcher.launched()) {
            alive += instance.isAlive() ? 1 : 0;
        }
        return alive + (int) sim.adopted.stream().filter(SimulatedInstance::isAlive).count();
    }

    @Test
    void givenRollingWithoutSurge_whenItRuns_thenItRetiresUpToMaxUnavailableOldInstancesAtOnce() {
        // given four instances, each serving work that takes 2 s to drain
        Sim sim = new Sim();
        List<SimulatedInstance> olds = sim.adopt(4, Script.healthy());
        olds.forEach(old -> old.submit(Duration.ofSeconds(2)));

        // when two may be unavailable at once
        SwapResult result = sim.swap(Plan.rolling(0, 2));

        // then two old instances retire together, the next two once the first replacements serve
        List<String> log = sim.log();
        assertThat(result.outcome()).isEqualTo(SwapOutcome.COMMITTED);
        assertThat(log.indexOf("DETACH STARTED old-2")).isLessThan(log.indexOf("DESTROY COMPLETED old-1"));
        assertThat(log.indexOf("DETACH STARTED old-3")).isGreaterThan(log.indexOf("ATTACH COMPLETED web-1"));
        assertThat(sim.router.attached()).containsExactlyInAnyOrder("web-1", "web-2", "web-3", "web-4");
        sim.checker.assertHolds();
    }

    @Test
    void givenRollingWithSurgeAndUnavailability_whenItRuns_thenItLaunchesAndRetiresAtOnce() {
        // given four instances, new ones ready after 1 s
        Sim sim = new Sim(Duration.ZERO, Duration.ZERO,
                index -> Script.builder().readyDelay(Duration.ofSeconds(1)).build(), builder -> { });
        sim.adopt(4, Script.healthy());

        // when one may be added and one may be missing (Kubernetes' rolling update semantics)
        SwapResult result = sim.swap(Plan.rolling(1, 1));

        // then a replacement launches while another old instance already retires
        List<String> log = sim.log();
        assertThat(result.outcome()).isEqualTo(SwapOutcome.COMMITTED);
        assertThat(log.indexOf("LAUNCH STARTED web-1")).isLessThan(log.indexOf("AWAIT_READY COMPLETED web-1"));
        assertThat(log.indexOf("DETACH STARTED old-2")).isLessThan(log.indexOf("AWAIT_READY COMPLETED web-1"));
        assertThat(sim.router.attached()).hasSize(4);
        sim.checker.assertHolds();
    }

    @Test
    void givenAMaxUnavailableOfTheWholeGroup_whenTheSwapIsAskedFor_thenItIsRefusedAndNothingStarts() {
        Sim sim = new Sim();
        sim.adopt(3, Script.healthy());

        assertThatThrownBy(() -> sim.orchestrator.swap(Plan.rolling(0, 1000)))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("plan rolling(maxSurge=0, maxUnavailable=1000) could leave group 'web' empty:"
                        + " maxUnavailable must be less than the group's 3 instance(s)");
        assertThatThrownBy(() -> sim.orchestrator.swap(Plan.rolling(2, 3)))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("plan rolling(maxSurge=2, maxUnavailable=3) could leave group 'web' empty:"
                        + " maxUnavailable must be less than the group's 3 instance(s)");
        assertThat(sim.launcher.launched()).isEmpty();
        assertThat(sim.events).isEmpty();
        assertThat(sim.router.attached()).containsExactly("old-1", "old-2", "old-3");
    }
}
