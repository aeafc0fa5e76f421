package dev.handoff.test.orchestrator;

import static org.assertj.core.api.Assertions.assertThat;

import dev.handoff.api.Plan;
import dev.handoff.api.SwapOutcome;
import dev.handoff.api.SwapResult;
import dev.handoff.test.sim.SimulatedInstance.Script;
import org.junit.jupiter.api.Test;

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
}
