package dev.handoff.api;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;

class SwapResultTest {

    private static final Instant T0 = Instant.parse("2026-12-07T12:00:00Z");

    @Test
    void theCutOverIsWhenTheFirstOldInstanceWasDetachedFromTheStartOfTheSwap() {
        SwapResult swap = result(List.of(
                timing(SwapStep.LAUNCH, "new-1", 0), timing(SwapStep.AWAIT_READY, "new-1", 40),
                timing(SwapStep.ATTACH, "new-1", 90), timing(SwapStep.DETACH, "old-2", 130),
                timing(SwapStep.DETACH, "old-1", 100), timing(SwapStep.DRAIN, "old-1", 150)));

        assertThat(swap.cutOver()).contains(Duration.ofMillis(100));
    }

    @Test
    void aStartOrASwapRolledBackBeforeStepFourHasNoCutOver() {
        SwapResult rolledBack = result(List.of(timing(SwapStep.LAUNCH, "new-1", 0),
                timing(SwapStep.AWAIT_READY, "new-1", 40), timing(SwapStep.ROLLBACK, "new-1", 60)));

        assertThat(rolledBack.cutOver()).isEmpty();
    }

    private static SwapResult result(List<StepTiming> steps) {
        return new SwapResult("web/swap-1", Plan.oneForOne(), "1.1", SwapOutcome.COMMITTED, T0,
                Duration.ofMillis(500), steps, List.of("new-1"), List.of("old-1"), 0, Optional.empty());
    }

    private static StepTiming timing(SwapStep step, String instance, long atMillis) {
        return new StepTiming(step, instance, T0.plusMillis(atMillis), Duration.ofMillis(5), Optional.empty());
    }
}
