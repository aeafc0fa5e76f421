package dev.handoff.examples.webswap;

import dev.handoff.api.SwapResult;
import dev.handoff.examples.common.ModeLoop;
import dev.handoff.examples.common.ReportFile;
import dev.handoff.examples.common.StepMedians;
import dev.handoff.examples.report.SwapReport;
import java.io.PrintStream;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;

/**
 * The {@code web-swap} command: for each mode, start the demo server the mode's way, run the clients for the
 * given seconds, swap the server N times at evenly spaced moments, and print a RESULT line, a FAILURES line,
 * a PROBES line and, for the modes the orchestrator swaps, a STEPS line (median step timings).
 * Everything listens on loopback; the load is bounded by the client count and the duration.
 */
public final class WebSwap {

    private WebSwap() {
    }

    /**
     * @param args the arguments after {@code web-swap}
     * @param out  where RESULT lines and --help go
     * @param err  where errors and progress go
     * @return the exit status: 0 when every mode ran all its swaps, 1 when a mode or a swap failed, 2 on a bad
     *     command line
     */
    public static int run(String[] args, PrintStream out, PrintStream err) {
        WebSwapOptions options;
        try {
            options = WebSwapOptions.parse(args);
        } catch (WebSwapOptions.UsageException e) {
            err.println("web-swap: " + e.getMessage());
            err.println("try: java -jar handoff-examples.jar web-swap --help");
            return 2;
        }
        if (options.help()) {
            out.print(WebSwapOptions.usage());
            return 0;
        }
        List<RunResult> results = new ArrayList<>();
        SwapReport page = SwapReport.start(("handoff web-swap " + String.join(" ", args)).trim());
        int status;
        try {
            status = ModeLoop.runEach(options.modes(), Mode::label, mode -> {
                List<SwapResult> swapResults = new ArrayList<>();
                RunResult result = runMode(mode, options, err, page, swapResults);
                out.println(result.resultLine());
                out.println(result.failuresLine());
                out.println(result.probesLine());
                if (!swapResults.isEmpty()) {
                    out.println("STEPS mode=" + mode.label() + " swaps=" + swapResults.size() + " median "
                            + StepMedians.retirement(swapResults));
                }
                page.note(result.resultLine());
                return result;
            }, result -> result.swaps() < options.swaps(), results::add, out, err);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return 1;
        }
        if (results.size() > 1) {
            out.println();
            // One RESULT line per mode is printed above; the summary repeats them without that prefix, so that
            // a script reading RESULT lines finds each mode once.
            out.println("SUMMARY");
            for (RunResult result : results) {
                out.println("  " + result.resultLine().substring("RESULT ".length()));
            }
        }
        if (options.report() != null && !ReportFile.write(page, options.report(), "web-swap", out, err)) {
            status = 1;
        }
        return status;
    }

    /** Runs one mode; the results of the swaps the orchestrator ran (none for the baselines) go to {@code swapResults}. */
    private static RunResult runMode(Mode mode, WebSwapOptions options, PrintStream err, SwapReport page,
                                     List<SwapResult> swapResults) throws Exception {
        err.println("web-swap: mode " + mode.label() + ": " + options.clients() + " clients, " + options.swaps()
                + " swaps, " + options.seconds() + " s");
        SwapTarget target = SwapTargets.create(mode);
        try {
            InetSocketAddress address = target.start();
            Load load = options.h2c() ? new Http2LoadGenerator(address, options.clients(), mode.ordinal() * 1_000L)
                    : new LoadGenerator(address, options.clients(), mode.ordinal() * 1_000L, true);
            List<long[]> windows = new ArrayList<>();
            long startNanos = System.nanoTime();
            long runNanos = TimeUnit.SECONDS.toNanos(options.seconds());
            int swapsDone = 0;
            String series = "requests (" + mode.label() + (options.h2c() ? ", h2c" : "") + ")";
            load.start();
            SwapReport.Sampler sampler = page.sampleInFlight(Duration.ofMillis(100), target::instances);
            try {
                for (int swap = 1; swap <= options.swaps(); swap++) {
                    sleepUntil(startNanos + runNanos * swap / (options.swaps() + 1));
                    long swapStart = System.nanoTime();
                    try {
                        target.swap().ifPresent(result -> {
                            page.swap(mode.label(), result);
                            swapResults.add(result);
                        });
                        swapsDone++;
                    } catch (SwapNotCommittedException e) {
                        page.swap(mode.label(), e.result());
                        err.println("web-swap: mode " + mode.label() + ": swap " + swap + " failed: " + e);
                    } catch (Exception e) {
                        err.println("web-swap: mode " + mode.label() + ": swap " + swap + " failed: " + e);
                    }
                    windows.add(new long[] {swapStart, System.nanoTime()});
                }
                sleepUntil(startNanos + runNanos);
            } finally {
                sampler.close();
                load.stop();
            }
            LoadGenerator.LoadRecords records = load.records();
            records.forEachSuccess(end -> page.success(series, end));
            for (LoadGenerator.FailedAttempt failure : records.failedAttempts()) {
                page.failure(series, failure.kind().label(), failure.endNanos());
            }
            records.probes().forEach((outcome, count) -> page.aside(series, outcome, count));
            return RunResult.of(mode, swapsDone, records, windows);
        } finally {
            target.stop();
        }
    }

    /** Paces the run: the swaps happen at fixed moments, whatever the load does. */
    private static void sleepUntil(long deadlineNanos) throws InterruptedException {
        for (long remaining = deadlineNanos - System.nanoTime(); remaining > 0;
             remaining = deadlineNanos - System.nanoTime()) {
            LockSupport.parkNanos(remaining);
            if (Thread.interrupted()) {
                throw new InterruptedException("web-swap interrupted");
            }
        }
    }
}
