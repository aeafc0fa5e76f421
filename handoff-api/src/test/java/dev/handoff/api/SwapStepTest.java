package dev.handoff.api;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.EnumMap;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The numbers of the steps are part of the API (printed as "n/7"): each constant carries its own. */
class SwapStepTest {

    @Test
    void eachStepOfTheContractHasItsNumberAndTheOthersHaveNone() {
        Map<SwapStep, Integer> numbers = new EnumMap<>(SwapStep.class);
        for (SwapStep step : SwapStep.values()) {
            numbers.put(step, step.number());
        }

        assertThat(numbers).containsExactlyInAnyOrderEntriesOf(Map.of(
                SwapStep.LAUNCH, 1, SwapStep.AWAIT_READY, 2, SwapStep.ATTACH, 3, SwapStep.DETACH, 4,
                SwapStep.DRAIN, 5, SwapStep.AWAIT_DRAINED, 6, SwapStep.DESTROY, 7,
                SwapStep.ROLLBACK, 0, SwapStep.READMIT, 0, SwapStep.VERIFY, 0));
    }
}
