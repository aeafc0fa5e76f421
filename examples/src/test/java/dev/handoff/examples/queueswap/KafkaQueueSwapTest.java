package dev.handoff.examples.queueswap;

import static org.assertj.core.api.Assertions.assertThat;


import dev.handoff.examples.CommandRun;
import org.junit.jupiter.api.Test;

/** {@code queue-swap --broker=kafka} end to end, small: the handoff mode on the tool's own in-process broker. */
class KafkaQueueSwapTest {

    @Test
    void the_handoff_mode_loses_and_duplicates_nothing_and_reports_the_longest_stall() {
        CommandRun run = CommandRun.of(QueueSwap::run, "--broker=kafka", "--messages=1200", "--swaps=2",
                "--partitions=3", "--job-ms=1-3");
        String result = run.out();
        assertThat(run.status()).as(run.err()).isZero();
        assertThat(result).containsPattern("RESULT broker=kafka swaps=2 published=1200 processed=1200 lost=0"
                + " duplicated=0 forced=0 max_drain_ms=\\d+ max_stall_ms=\\d+");
        assertThat(result).doesNotContain("Formatting");
    }
}
