package dev.handoff.benchmarks;

import dev.handoff.api.Plan;
import dev.handoff.api.SwapOutcome;
import dev.handoff.api.SwapResult;
import dev.handoff.api.Lifecycle;
import dev.handoff.api.LifecycleListener;
import dev.handoff.api.LifecycleState;
import dev.handoff.api.spi.Launcher;
import dev.handoff.api.spi.Router;
import dev.handoff.core.Orchestrator;
import dev.handoff.core.Scheduler;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
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
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

/**
 * The orchestrator's own cost for one one-for-one swap: the new instance is ready at once, the old one has nothing
 * in flight, the router confirms at once, so what is measured is the seven steps' machinery (events, deadlines on
 * the real {@link Scheduler#system()} scheduled and cancelled, state, result), not any instance's start. Target:
 * median under 1 ms ({@code p0.50} of the sample-time output).
 *
 * <p>{@code executor=direct}: continuations run on the calling thread (the swap completes inside {@code swap()});
 * {@code executor=pool}: the orchestrator's default daemon pool, so each swap includes thread handoffs and the
 * benchmark thread waits on the result. The orchestrator's INFO lines (two per swap) are turned off
 * ({@code simpleLogger} level warn) so that console output does not dominate what is measured.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.SampleTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
@Fork(value = 1, jvmArgsAppend = "-Dorg.slf4j.simpleLogger.defaultLogLevel=warn")
public class SwapOverheadBenchmark {

    @Param({"direct", "pool"})
    public String executor;

    private Orchestrator orchestrator;

    @Setup(Level.Trial)
    public void setUp() {
        Orchestrator.Builder builder = Orchestrator.builder("bench", new ImmediateLauncher(), new ImmediateRouter());
        if ("direct".equals(executor)) {
            builder.executor(Runnable::run);
        }
        orchestrator = builder.build();
        orchestrator.adopt(new ImmediateInstance("seed"));
    }

    @TearDown(Level.Trial)
    public void tearDown() {
        orchestrator.close();
    }

    @Benchmark
    public SwapResult oneForOneSwap() {
        SwapResult result = orchestrator.swap(Plan.oneForOne()).toCompletableFuture().join();
        if (result.outcome() != SwapOutcome.COMMITTED) {
            throw new IllegalStateException("swap did not commit: " + result);
        }
        return result;
    }

    /** Launches instances that are ready at once. */
    static final class ImmediateLauncher implements Launcher {
        @Override
        public CompletionStage<Lifecycle> launch(String instanceId) {
            return CompletableFuture.completedFuture(new ImmediateInstance(instanceId));
        }
    }

    /** Confirms attach and detach at once. */
    static final class ImmediateRouter implements Router {
        private static final CompletableFuture<Void> DONE = CompletableFuture.completedFuture(null);

        @Override
        public CompletionStage<Void> attach(Lifecycle instance) {
            return DONE;
        }

        @Override
        public CompletionStage<Void> detach(Lifecycle instance) {
            return DONE;
        }

        @Override
        public CompletionStage<Void> settled(Lifecycle instance) {
            return CompletableFuture.completedFuture(null);
        }
    }

    /** Ready at once, nothing in flight, every operation completes at once. */
    static final class ImmediateInstance implements Lifecycle {
        private static final CompletableFuture<Void> DONE = CompletableFuture.completedFuture(null);
        private static final CompletableFuture<Long> NONE = CompletableFuture.completedFuture(0L);

        private final String id;
        private final CompletableFuture<Void> failure = new CompletableFuture<>();

        ImmediateInstance(String id) {
            this.id = id;
        }

        @Override
        public String id() {
            return id;
        }

        @Override
        public CompletionStage<Void> whenReady() {
            return DONE;
        }

        @Override
        public LifecycleState state() {
            return LifecycleState.READY;
        }

        @Override
        public boolean isReady() {
            return true;
        }

        @Override
        public void addListener(LifecycleListener listener) {
            // no state changes to tell of
        }

        @Override
        public void removeListener(LifecycleListener listener) {
            // no state changes to tell of
        }

        @Override
        public CompletionStage<Void> failure() {
            return failure;
        }

        @Override
        public CompletionStage<Void> stopAccepting() {
            return DONE;
        }

        @Override
        public CompletionStage<Void> resumeAccepting() {
            return DONE;
        }

        @Override
        public CompletionStage<Void> drain() {
            return DONE;
        }

        @Override
        public long inFlight() {
            return 0;
        }

        @Override
        public CompletionStage<Long> forceStop() {
            return NONE;
        }

        @Override
        public CompletionStage<Void> destroy() {
            return DONE;
        }
    }
}
