package dev.handoff.examples.demo;

import dev.handoff.api.SwapResult;
import dev.handoff.api.SwapStep;
import dev.handoff.api.event.SwapEvent;
import dev.handoff.api.event.SwapListener;
import java.io.PrintStream;
import java.time.Duration;
import java.util.Locale;

/**
 * Prints the demo's live output: one line per step of every swap as the step ends, and one per swap's end, each
 * starting with the time since the demo started. Plain text (no colour, no cursor moves), so that a terminal and a
 * log file read the same. Thread-safe: lines never interleave.
 */
final class StepPrinter implements SwapListener {

    private final PrintStream out;
    private final long startNanos;

    /**
     * @param out        where the lines go
     * @param startNanos the demo's start, in {@link System#nanoTime()} terms
     */
    StepPrinter(PrintStream out, long startNanos) {
        this.out = out;
        this.startNanos = startNanos;
    }

    @Override
    public void onStep(SwapEvent event) {
        if (event.phase() == SwapEvent.Phase.STARTED) {
            return;
        }
        boolean ok = event.phase() == SwapEvent.Phase.COMPLETED;
        String line = String.format(Locale.ROOT, "%-12s %s %-13s %-9s %-6s %9s", event.swapId(),
                stepNumber(event.step()), label(event.step()), event.instanceId(), ok ? "ok" : "FAILED",
                millis(event.elapsed()));
        if (!ok) {
            line += "  " + event.failure().map(StepPrinter::describe).orElse("");
        }
        print(line);
    }

    @Override
    public void onSwapEnd(SwapResult result) {
        print(String.format(Locale.ROOT, "%-12s = %s in %s (launched %s, retired %s%s)", result.swapId(),
                result.outcome(), millis(result.duration()), String.join(",", result.launched()),
                String.join(",", result.retired()),
                result.abandoned() > 0 ? ", abandoned " + result.abandoned() : ""));
    }

    /** @param message a line of the demo's own, printed with the elapsed time */
    void note(String message) {
        print(message);
    }

    private void print(String message) {
        double seconds = (System.nanoTime() - startNanos) / 1e9;
        synchronized (out) {
            out.printf(Locale.ROOT, "%8.2fs  %s%n", seconds, message);
            out.flush();
        }
    }

    /** @return e.g. {@code 1/7} for the seven steps of the contract, blank for the others (rollback, ...) */
    static String stepNumber(SwapStep step) {
        return step.number() == 0 ? "   " : step.number() + "/7";
    }

    /** @return e.g. {@code await_ready} */
    static String label(SwapStep step) {
        return step.name().toLowerCase(Locale.ROOT);
    }

    /** @return e.g. {@code 12.3 ms} */
    static String millis(Duration duration) {
        return String.format(Locale.ROOT, "%.1f ms", duration.toNanos() / 1e6);
    }

    static String describe(Throwable failure) {
        Throwable cause = failure;
        while (cause.getCause() != null && cause.getMessage() == null) {
            cause = cause.getCause();
        }
        return cause.getClass().getSimpleName() + ": " + cause.getMessage();
    }
}
