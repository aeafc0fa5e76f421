package dev.handoff.benchmarks;

import dev.handoff.core.InFlightTracker;

import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.LongAdder;

import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Threads;
import org.openjdk.jmh.annotations.Warmup;

/**
 * The hot path of the in-flight tracker, admit then release, beside a bare {@link LongAdder} increment then
 * decrement in the same run: single-threaded, and contended by two threads sharing one tracker (or one adder).
 * Target: the tracker within 1.5x of the bare {@code LongAdder}.
 *
 * <p>Run: {@code java -jar benchmarks/target/benchmarks.jar InFlightTracker}
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(1)
public class InFlightTrackerBenchmark {

    private InFlightTracker tracker;
    private LongAdder adder;

    /** Fresh, open tracker and zeroed adder for each trial. */
    @Setup
    public void setUp() {
        tracker = InFlightTracker.create("benchmark");
        adder = new LongAdder();
    }

    /** @return the permit, so that the admit is not eliminated */
    @Benchmark
    @Threads(1)
    public int trackerAdmitRelease() {
        return admitRelease();
    }

    /** Bare {@code LongAdder}: the baseline of {@link #trackerAdmitRelease()}. */
    @Benchmark
    @Threads(1)
    public void longAdderIncrementDecrement() {
        incrementDecrement();
    }

    /** @return the permit; two threads share the tracker */
    @Benchmark
    @Threads(2)
    public int trackerAdmitReleaseContended() {
        return admitRelease();
    }

    /** Bare {@code LongAdder} shared by two threads: the baseline of {@link #trackerAdmitReleaseContended()}. */
    @Benchmark
    @Threads(2)
    public void longAdderIncrementDecrementContended() {
        incrementDecrement();
    }

    private int admitRelease() {
        int permit = tracker.tryAdmit();
        tracker.release(permit);
        return permit;
    }

    private void incrementDecrement() {
        adder.increment();
        adder.decrement();
    }
}
