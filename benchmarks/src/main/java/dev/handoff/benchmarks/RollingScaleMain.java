package dev.handoff.benchmarks;

import dev.handoff.api.Plan;
import dev.handoff.api.SwapOutcome;
import dev.handoff.api.SwapResult;
import dev.handoff.core.Orchestrator;
import dev.handoff.test.sim.SimulatedInstance;
import dev.handoff.test.sim.SimulatedLauncher;
import dev.handoff.test.sim.SimulatedRouter;
import dev.handoff.test.sim.VirtualClock;
import java.lang.management.ManagementFactory;
import java.lang.management.MemoryMXBean;
import java.lang.management.ThreadMXBean;
import java.time.Duration;
import java.util.Arrays;
import java.util.Locale;

/**
 * A plain companion to {@link RollingScaleBenchmark} for the memory side: for each group size, the wall time and the
 * thread CPU time of a rolling swap (medians of 5 runs after 2 warm-up runs; CPU time is less disturbed by a busy
 * machine) and the heap the whole simulation holds after the swap (group, retired instances, clock, result; measured
 * after a full GC), so that a user can see them grow linearly.
 *
 * <pre>
 * java -cp benchmarks/target/benchmarks.jar dev.handoff.benchmarks.RollingScaleMain [sizes...]
 * </pre>
 */
public final class RollingScaleMain {

    private RollingScaleMain() {
    }

    /**
     * @param args group sizes; default 10 100 1000 10000
     */
    public static void main(String[] args) {
        int[] sizes = args.length == 0 ? new int[] {10, 100, 1_000, 10_000}
                : Arrays.stream(args).mapToInt(Integer::parseInt).toArray();
        System.out.printf(Locale.ROOT, "%10s %12s %14s %12s %14s %12s %16s%n", "instances", "wall ms",
                "wall us/inst", "cpu ms", "cpu us/inst", "retained MB", "retained KB/inst");
        ThreadMXBean threads = ManagementFactory.getThreadMXBean();
        for (int size : sizes) {
            long[] nanos = new long[5];
            long[] cpu = new long[5];
            long retained = 0;
            for (int run = -2; run < nanos.length; run++) {
                Simulation simulation = new Simulation(size);
                long bytesBefore = usedAfterGc();
                long start = System.nanoTime();
                long cpuStart = threads.getCurrentThreadCpuTime();
                SwapResult result = simulation.swap();
                long elapsed = System.nanoTime() - start;
                long cpuElapsed = threads.getCurrentThreadCpuTime() - cpuStart;
                if (result.outcome() != SwapOutcome.COMMITTED) {
                    throw new IllegalStateException("swap did not commit: " + result.outcome());
                }
                if (run >= 0) {
                    nanos[run] = elapsed;
                    cpu[run] = cpuElapsed;
                    long bytesAfter = usedAfterGc();
                    retained = Math.max(retained, bytesAfter - bytesBefore + simulation.startBytes);
                }
                simulation.keepAlive(result);
            }
            Arrays.sort(nanos);
            Arrays.sort(cpu);
            double medianMs = nanos[nanos.length / 2] / 1e6;
            double cpuMs = cpu[cpu.length / 2] / 1e6;
            System.out.printf(Locale.ROOT, "%10d %12.2f %14.2f %12.2f %14.2f %12.2f %16.2f%n", size, medianMs,
                    medianMs * 1000 / size, cpuMs, cpuMs * 1000 / size, retained / 1e6, retained / 1024.0 / size);
        }
    }

    private static long usedAfterGc() {
        MemoryMXBean memory = ManagementFactory.getMemoryMXBean();
        for (int i = 0; i < 3; i++) {
            System.gc();
        }
        return memory.getHeapMemoryUsage().getUsed();
    }

    /** One group of simulated instances, started. */
    private static final class Simulation {
        final VirtualClock clock = new VirtualClock();
        final Orchestrator orchestrator;
        final long startBytes;
        Object sink;

        Simulation(int size) {
            long before = usedAfterGc();
            SimulatedInstance.Script script = SimulatedInstance.Script.builder()
                    .startDelay(Duration.ofSeconds(1)).readyDelay(Duration.ofSeconds(1)).build();
            orchestrator = Orchestrator.builder("bench", new SimulatedLauncher(clock, index -> script),
                    new SimulatedRouter(clock)).scheduler(clock).executor(Runnable::run).build();
            clock.runUntil(orchestrator.start(size));
            startBytes = usedAfterGc() - before;
        }

        SwapResult swap() {
            return clock.runUntil(orchestrator.swap(Plan.rolling(1, 0)));
        }

        void keepAlive(Object value) {
            sink = value;
        }
    }
}
