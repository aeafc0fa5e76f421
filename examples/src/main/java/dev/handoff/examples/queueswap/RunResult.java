package dev.handoff.examples.queueswap;

import java.util.Locale;

/**
 * The outcome of one mode of a {@code queue-swap} run.
 *
 * @param mode               the mode
 * @param broker             {@code memory} or {@code rabbitmq}
 * @param swaps              swaps done
 * @param published          jobs published
 * @param processed          distinct jobs processed
 * @param duplicated         extra runs of a job
 * @param unmarkedDuplicates duplicates whose later delivery was not marked redelivered (must be 0)
 * @param forced             jobs taken from a running handler
 * @param maxDrainMillis     longest retirement of an old consumer
 * @param meanDrainMillis    mean retirement of an old consumer
 * @param elapsedMillis      from the first publish to the last job processed
 * @param maxStallMillis     Kafka: the longest time a partition had records waiting while no consumer processed
 *                           it; -1 when not measured (other brokers)
 */
record RunResult(Mode mode, String broker, int swaps, long published, long processed, long duplicated,
                 long unmarkedDuplicates, long forced, long maxDrainMillis, double meanDrainMillis,
                 long elapsedMillis, long maxStallMillis) {

    long lost() {
        return published - processed;
    }

    double jobsPerSecond() {
        return elapsedMillis == 0 ? 0 : processed * 1000.0 / elapsedMillis;
    }

    /** @param withMode whether to add {@code mode=} (runs of several modes) */
    String resultLine(boolean withMode) {
        return "RESULT broker=" + broker + " swaps=" + swaps + " published=" + published + " processed=" + processed
                + " lost=" + lost() + " duplicated=" + duplicated + " forced=" + forced + " max_drain_ms="
                + maxDrainMillis + (maxStallMillis >= 0 ? " max_stall_ms=" + maxStallMillis : "")
                + (withMode ? " mode=" + mode.label() : "");
    }

    String statsLine() {
        return String.format(Locale.ROOT, "STATS mode=%s broker=%s jobs_per_s=%.0f elapsed_ms=%d mean_drain_ms=%.1f"
                        + " max_drain_ms=%d unmarked_duplicates=%d", mode.label(), broker, jobsPerSecond(),
                elapsedMillis, meanDrainMillis, maxDrainMillis, unmarkedDuplicates);
    }
}
