package dev.handoff.api;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.Test;

/** A plan's bounds are asked for a group size, so that no plan reports a number it does not keep. */
class PlanTest {

    @Test
    void blueGreenSurgesByTheWholeGroup() {
        assertThat(Plan.blueGreen().maxSurge(1)).isEqualTo(1);
        assertThat(Plan.blueGreen().maxSurge(5)).isEqualTo(5);
        assertThat(Plan.blueGreen().maxUnavailable(5)).isZero();
    }

    @Test
    void oneForOneAndCanarySurgeByOneAndKeepEveryInstance() {
        Plan canary = Plan.canary(id -> CompletableFuture.completedFuture(true));

        assertThat(Plan.oneForOne().maxSurge(1)).isEqualTo(1);
        assertThat(Plan.oneForOne().maxUnavailable(1)).isZero();
        assertThat(canary.maxSurge(4)).isEqualTo(1);
        assertThat(canary.maxUnavailable(4)).isZero();
    }

    @Test
    void rollingBoundsAreCappedAtTheGroupSize() {
        Plan plan = Plan.rolling(Integer.MAX_VALUE, 1000);

        assertThat(plan.maxSurge(3)).isEqualTo(3);
        assertThat(plan.maxUnavailable(3)).isEqualTo(3);
        assertThat(Plan.rolling(2, 1).maxSurge(10)).isEqualTo(2);
        assertThat(Plan.rolling(2, 1).maxUnavailable(10)).isEqualTo(1);
        assertThat(plan).hasToString("rolling(maxSurge=2147483647, maxUnavailable=1000)");
    }

    @Test
    void aStartLaunchesEveryInstanceAtOnce() {
        assertThat(Plan.start().kind()).isEqualTo(Plan.Kind.START);
        assertThat(Plan.start().maxSurge(3)).isEqualTo(3);
        assertThat(Plan.start().maxUnavailable(3)).isZero();
        assertThat(Plan.start()).hasToString("start");
    }

    @Test
    void boundsNeedAGroupOfAtLeastOne() {
        assertThatThrownBy(() -> Plan.blueGreen().maxSurge(0)).isInstanceOf(IllegalArgumentException.class)
                .hasMessage("groupSize must be >= 1, but was 0");
        assertThatThrownBy(() -> Plan.rolling(1, 0).maxUnavailable(-1)).isInstanceOf(IllegalArgumentException.class)
                .hasMessage("groupSize must be >= 1, but was -1");
    }

    @Test
    void rollingArgumentsAreValidated() {
        assertThatThrownBy(() -> Plan.rolling(-1, 1)).hasMessage("maxSurge must be >= 0, but was -1");
        assertThatThrownBy(() -> Plan.rolling(1, -1)).hasMessage("maxUnavailable must be >= 0, but was -1");
        assertThatThrownBy(() -> Plan.rolling(0, 0)).hasMessage(
                "maxSurge and maxUnavailable must not both be 0: no instance could ever be replaced");
    }
}
