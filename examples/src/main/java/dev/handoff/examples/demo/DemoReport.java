package dev.handoff.examples.demo;

import dev.handoff.api.StepTiming;
import dev.handoff.api.SwapResult;
import dev.handoff.examples.webswap.FailureKind;
import dev.handoff.examples.webswap.LoadGenerator;
import java.io.PrintStream;
import java.time.Duration;
import java.util.Locale;

/** Writes the demo's end-of-run report: plain lines, indented, no colour. Not thread-safe. */
final class DemoReport {

    private final PrintStream out;

    /** @param out where the report goes */
    DemoReport(PrintStream out) {
        this.out = out;
    }

    /** @param title a section's title, after a blank line */
    void section(String title) {
        out.println();
        out.println(title);
    }

    /** @param text one line of the report */
    void line(String text) {
        out.println("  " + text);
    }

    /**
     * One swap's timeline: its outcome and duration, then each step with its offset from the swap's start.
     *
     * @param title what the swap replaced
     * @param result its result
     */
    void timeline(String title, SwapResult result) {
        line(String.format(Locale.ROOT, "%s %s: %s in %s%s%s", result.swapId(), title, result.outcome(),
                StepPrinter.millis(result.duration()),
                result.cutOver().map(cutOver -> ", cut-over at +" + StepPrinter.millis(cutOver)).orElse(""),
                result.abandoned() > 0 ? ", abandoned " + result.abandoned() : ""));
        for (StepTiming timing : result.steps()) {
            Duration offset = Duration.between(result.start(), timing.start());
            line(String.format(Locale.ROOT, "    %s %-13s %-9s +%10s %10s%s", StepPrinter.stepNumber(timing.step()),
                    StepPrinter.label(timing.step()), timing.instanceId(), StepPrinter.millis(offset),
                    StepPrinter.millis(timing.duration()),
                    timing.failure().map(failure -> "  FAILED " + StepPrinter.describe(failure)).orElse("")));
        }
        result.cause().ifPresent(cause -> line("    cause: " + StepPrinter.describe(cause)));
    }

    /**
     * @param records the clients' records; null when the load never ran
     * @return e.g. {@code  (refused=0 reset=0 ...)}, every kind listed; empty when there are no records
     */
    static String failuresByKind(LoadGenerator.LoadRecords records) {
        if (records == null) {
            return "";
        }
        StringBuilder text = new StringBuilder(" (");
        for (FailureKind kind : FailureKind.values()) {
            text.append(kind.ordinal() == 0 ? "" : " ").append(kind.label()).append('=')
                    .append(records.failures(kind));
        }
        return text.append(')').toString();
    }
}
