package dev.handoff.examples.common;

import dev.handoff.api.SwapResult;
import dev.handoff.api.SwapStep;
import java.util.Arrays;
import java.util.List;

/**
 * Step timings as the tools print them: per swap, the durations of the given steps summed (over every instance the
 * swap retired or launched), then the median over the swaps. Step timings mean the same on every router (step 4 ends
 * out of the rotation; steps 5 and 6 are the drain), so these compare across routers.
 */
public final class StepMedians {

    private StepMedians() {
    }

    /**
     * @param results the swaps' results
     * @param steps   the steps to sum per swap
     * @return the median over the swaps of the summed durations, in milliseconds; 0 without a result
     */
    public static long millis(List<SwapResult> results, SwapStep... steps) {
        long[] sums = results.stream().mapToLong(result -> Arrays.stream(steps)
                .flatMap(step -> result.timings(step).stream())
                .mapToLong(timing -> timing.duration().toMillis()).sum()).sorted().toArray();
        return sums.length == 0 ? 0 : sums[sums.length / 2];
    }

    /**
     * @param results the swaps' results
     * @return {@code detach_ms=.. drain_ms=.. await_drained_ms=.. drained_ms=..}: the medians of step 4 (out of the
     *     rotation), 5 (the router's hand-over and the intake's close), 6 (the rest of the drain), and 5 and 6
     *     together (the drain)
     */
    public static String retirement(List<SwapResult> results) {
        return "detach_ms=" + millis(results, SwapStep.DETACH) + " drain_ms=" + millis(results, SwapStep.DRAIN)
                + " await_drained_ms=" + millis(results, SwapStep.AWAIT_DRAINED) + " drained_ms="
                + millis(results, SwapStep.DRAIN, SwapStep.AWAIT_DRAINED);
    }
}
