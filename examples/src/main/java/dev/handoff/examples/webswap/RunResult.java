package dev.handoff.examples.webswap;

import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.Locale;

/**
 * The outcome of one mode's run: request and failure counts, latency percentiles over the successful requests, and
 * the p99 of the requests that overlapped a swap beside the p99 of those that did not (steady state). Immutable.
 *
 * @param mode               the mode
 * @param swaps              swaps completed
 * @param requests           attempts, successful or not
 * @param failuresByKind     failed attempts, indexed by {@link FailureKind#ordinal()}
 * @param p50Millis          median latency of the successful requests
 * @param p99Millis          99th percentile latency of the successful requests
 * @param p99DuringSwapMillis 99th percentile latency of the successful requests that overlapped a swap, or NaN
 *                           when none did
 * @param p99SteadyMillis    99th percentile latency of the successful requests that overlapped no swap, or NaN
 *                           when none did
 * @param probes             the probing client's probes by outcome, counted apart from requests and failures
 */
record RunResult(Mode mode, int swaps, long requests, long[] failuresByKind, double p50Millis, double p99Millis,
                 double p99DuringSwapMillis, double p99SteadyMillis, Map<String, Long> probes) {

    RunResult {
        failuresByKind = failuresByKind.clone();
        probes = Map.copyOf(probes);
    }

    /**
     * @param mode    the mode
     * @param swaps   swaps completed
     * @param records the clients' records
     * @param windows the swaps' {start, end} times in {@link System#nanoTime()} terms
     * @return the result
     */
    static RunResult of(Mode mode, int swaps, LoadGenerator.LoadRecords records, List<long[]> windows) {
        int count = records.successes();
        long[] latencies = new long[count];
        long[] duringSwap = new long[count];
        int duringSwapCount = 0;
        long[] steady = new long[count];
        int steadyCount = 0;
        for (int i = 0; i < count; i++) {
            long start = records.startNanos(i);
            long end = records.endNanos(i);
            latencies[i] = end - start;
            boolean overlapped = false;
            for (long[] window : windows) {
                if (start < window[1] && end > window[0]) {
                    overlapped = true;
                    break;
                }
            }
            if (overlapped) {
                duringSwap[duringSwapCount++] = end - start;
            } else {
                steady[steadyCount++] = end - start;
            }
        }
        long[] failures = new long[FailureKind.values().length];
        for (FailureKind kind : FailureKind.values()) {
            failures[kind.ordinal()] = records.failures(kind);
        }
        return new RunResult(mode, swaps, count + records.failed(), failures, percentileMillis(latencies, count, 0.50),
                percentileMillis(latencies, count, 0.99), percentileMillis(duringSwap, duringSwapCount, 0.99),
                percentileMillis(steady, steadyCount, 0.99), records.probes());
    }

    /** Nearest-rank percentile of the first {@code count} values, in milliseconds; NaN when there is none. */
    static double percentileMillis(long[] nanos, int count, double quantile) {
        if (count == 0) {
            return Double.NaN;
        }
        long[] sorted = Arrays.copyOf(nanos, count);
        Arrays.sort(sorted);
        int rank = (int) Math.ceil(quantile * count);
        return sorted[Math.max(0, rank - 1)] / 1_000_000.0;
    }

    /** @return failed attempts, all kinds */
    long failed() {
        return Arrays.stream(failuresByKind).sum();
    }

    /**
     * @return {@code RESULT mode=.. swaps=.. requests=.. failed=.. p50_ms=.. p99_ms=.. p99_during_swap_ms=..
     *     p99_steady_ms=..}
     */
    String resultLine() {
        return "RESULT mode=" + mode.label() + " swaps=" + swaps + " requests=" + requests + " failed=" + failed()
                + " p50_ms=" + millis(p50Millis) + " p99_ms=" + millis(p99Millis) + " p99_during_swap_ms="
                + millis(p99DuringSwapMillis) + " p99_steady_ms=" + millis(p99SteadyMillis);
    }

    /** @return {@code PROBES mode=.. connect_405=.. forged_forwarding_200=..}: the probes, counted apart */
    String probesLine() {
        StringBuilder line = new StringBuilder("PROBES mode=").append(mode.label());
        new TreeMap<>(probes).forEach((outcome, count) -> line.append(' ').append(outcome).append('=').append(count));
        return line.toString();
    }

    /** @return {@code FAILURES mode=.. refused=.. reset=.. ...}, every kind listed */
    String failuresLine() {
        StringBuilder line = new StringBuilder("FAILURES mode=").append(mode.label());
        for (FailureKind kind : FailureKind.values()) {
            line.append(' ').append(kind.label()).append('=').append(failuresByKind[kind.ordinal()]);
        }
        return line.toString();
    }

    private static String millis(double value) {
        return Double.isNaN(value) ? "n/a" : String.format(Locale.ROOT, "%.2f", value);
    }

    @Override
    public boolean equals(Object other) {
        return other instanceof RunResult result && mode == result.mode && swaps == result.swaps
                && requests == result.requests && Arrays.equals(failuresByKind, result.failuresByKind)
                && Double.compare(p50Millis, result.p50Millis) == 0 && Double.compare(p99Millis, result.p99Millis) == 0
                && Double.compare(p99DuringSwapMillis, result.p99DuringSwapMillis) == 0
                && Double.compare(p99SteadyMillis, result.p99SteadyMillis) == 0;
    }

    @Override
    public int hashCode() {
        return 31 * (31 * mode.hashCode() + Long.hashCode(requests)) + Arrays.hashCode(failuresByKind);
    }

    @Override
    public String toString() {
        return resultLine() + " / " + failuresLine();
    }
}
