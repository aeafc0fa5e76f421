package dev.handoff.examples.webswap;

import java.io.PrintStream;
import java.net.InetSocketAddress;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;

/**
 * The {@code web-swap} command: for each mode, start the demo server the mode's way, run the clients for the
 * given seconds, swap the server N times at evenly spaced moments, and print a RESULT line and a FAILURES line.
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
        int status = 0;
        List<RunResult> results = new ArrayList<>();
        for (Mode mode : options.modes()) {
            try {
                RunResult result = runMode(mode, options, err);
                results.add(result);
                out.println(result.resultLine());
                out.println(result.failuresLine());
                out.flush();
                if (result.swaps() < options.swaps()) {
                    status = 1;
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                err.println("ERROR mode=" + mode.label() + ": interrupted");
                return 1;
            } catch (Exception e) {
                err.println("ERROR mode=" + mode.label() + ": " + e);
                status = 1;
            }
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
        return status;
    }

    private static RunResult runMode(Mode mode, WebSwapOptions options, PrintStream err) throws Exception {
        err.println("web-swap: mode " + mode.label() + ": " + options.clients() + " clients, " + options.swaps()
                + " swaps, " + options.seconds() + " s");
        SwapTarget target = SwapTargets.create(mode);
        try {
            InetSocketAddress address = target.start();
            LoadGenerator load = new LoadGenerator(address, options.clients(), mode.ordinal() * 1_000L);
            List<long[]> windows = new ArrayList<>();
            long startNanos = System.nanoTime();
            long runNanos = TimeUnit.SECONDS.toNanos(options.seconds());
            int swapsDone = 0;
            load.start();
            try {
                for (int swap = 1; swap <= options.swaps(); swap++) {
                    sleepUntil(startNanos + runNanos * swap / (options.swaps() + 1));
                    long swapStart = System.nanoTime();
                    try {
                        target.swap();
                        swapsDone++;
                    } catch (Exception e) {
                        err.println("web-swap: mode " + mode.label() + ": swap " + swap + " failed: " + e);
                    }
                    windows.add(new long[] {swapStart, System.nanoTime()});
                }
                sleepUntil(startNanos + runNanos);
            } finally {
                load.stop();
            }
            return RunResult.of(mode, swapsDone, load.records(), windows);
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
