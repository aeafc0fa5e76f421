package dev.handoff.examples.springswap;

import dev.handoff.examples.webswap.FailureKind;
import dev.handoff.examples.webswap.LoadGenerator;

import java.io.PrintStream;
import java.util.Arrays;
import java.util.stream.Collectors;

/**
 * What one {@code spring-swap} run counted, handoff or baseline: the clients' requests and the jobs, as its lines
 * give them.
 *
 * @param requests   the clients' records
 * @param jobs       the jobs published
 * @param lost       published and never done
 * @param duplicated done more than once
 */
record Tally(LoadGenerator.LoadRecords requests, long jobs, long lost, long duplicated) {

    /**
     * Waits up to 60 s for every published job to be reported done, printing {@code LABEL: D of P jobs reported done
     * after 60 s} when they were not, then counts.
     *
     * @param requests the clients' records, once they stopped
     * @param jobFlow  the jobs, once publishing stopped
     * @param label    the run, at the start of the line
     * @param out      where the line goes
     * @return the counts
     */
    static Tally count(LoadGenerator.LoadRecords requests, JobFlow jobFlow, String label, PrintStream out) {
        if (!jobFlow.awaitAllDone(60_000)) {
            out.printf("%s: %d of %d jobs reported done after 60 s%n", label, jobFlow.distinctDone(),
                    jobFlow.published());
        }
        return new Tally(requests, jobFlow.published(), jobFlow.lost(), jobFlow.duplicated());
    }

    /** Prints {@code LABEL: failed requests by kind: KIND=N ...} when a request failed. */
    void printFailures(String label, PrintStream out) {
        if (requests.failed() > 0) {
            out.printf("%s: failed requests by kind: %s%n", label, Arrays.stream(FailureKind.values())
                    .filter(kind -> requests.failures(kind) > 0)
                    .map(kind -> kind + "=" + requests.failures(kind)).collect(Collectors.joining(" ")));
        }
    }

    /** @return {@code RESULT spring server=S swaps=N requests=R failed=F jobs=J lost=L duplicated=D} */
    String resultLine(String server, long swaps) {
        return String.format("RESULT spring server=%s swaps=%d requests=%d failed=%d jobs=%d lost=%d duplicated=%d",
                server, swaps, requests.successes() + requests.failed(), requests.failed(), jobs, lost, duplicated);
    }

    /** @return whether no request failed and no job was lost or duplicated */
    boolean clean() {
        return requests.failed() == 0 && lost == 0 && duplicated == 0;
    }
}
