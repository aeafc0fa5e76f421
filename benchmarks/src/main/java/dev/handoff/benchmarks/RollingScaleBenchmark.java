package dev.handoff.benchmarks;

import dev.handoff.api.Plan;
import dev.handoff.api.SwapOutcome;
import dev.handoff.api.SwapResult;
import dev.handoff.core.Orchestrator;
import dev.handoff.test.sim.SimulatedInstance;
import dev.handoff.test.sim.SimulatedLauncher;
import dev.handoff.test.sim.SimulatedRouter;
import dev.handoff.test.sim.VirtualClock;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;

/**
 * How the cost of a rolling swap grows with the group: {@code rolling(maxSurge=1, maxUnavailable=0)} over 10 to
 * 10,000 simulated instances on the virtual clock (start 1 s, ready 1 s, drains immediate; virtual time is free,
 * so what is measured is the orchestrator's and the simulation's CPU and allocation). Each invocation gets a fresh
 * group, started outside the measurement. Run with {@code -prof gc} for the allocation per swap
 * ({@code gc.alloc.rate.norm}, bytes per operation); both should grow linearly with {@code instances}.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@Warmup(iterations = 3, time = 3)
@Measurement(iterations = 5, time = 3)
@Fork(value = 1, jvmArgsAppend = {"-Xmx2g", "-Dorg.slf4j.simpleLogger.defaultLogLevel=warn"})
public class RollingScaleBenchmark {

    @Param({"10", "100", "1000", "10000"})
    public int instances;

    private VirtualClock clock;
    private Orchestrator orchestrator;

    @Setup(Level.Invocation)
    public void startGroup() {
        clock = new VirtualClock();
        SimulatedInstance.Script script = SimulatedInstance.Script.builder()
                .startDelay(Duration.ofSeconds(1)).readyDelay(Duration.ofSeconds(1)).build();
        SimulatedLauncher launcher = new SimulatedLauncher(clock, index -> script);
        SimulatedRouter router = new SimulatedRouter(clock);
        orchestrator = Orchestrator.builder("bench", launcher, router)
                .scheduler(clock)
                .executor(Runnable::run)
                .build();
        clock.runUntil(orchestrator.start(instances));
    }

    @Benchmark
    public SwapResult rollingSwap() {
        SwapResult result = clock.runUntil(orchestrator.swap(Plan.rolling(1, 0)));
        if (result.outcome() != SwapOutcome.COMMITTED || result.retired().size() != instances) {
            throw new IllegalStateException("rolling swap did not commit: " + result.outcome());
        }
        return result;
    }
}
