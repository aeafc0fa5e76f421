package dev.handoff.test.orchestrator;

import static org.assertj.core.api.Assertions.assertThat;

import dev.handoff.api.Plan;
import dev.handoff.api.SwapOutcome;
import dev.handoff.api.SwapResult;
import dev.handoff.api.SwapStep;
import dev.handoff.api.Lifecycle;
import dev.handoff.api.LifecycleListener;
import dev.handoff.api.LifecycleState;
import dev.handoff.api.spi.Launcher;
import dev.handoff.api.spi.Router;
import dev.handoff.core.Orchestrator;
import java.time.Duration;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * The orchestrator on its defaults (the system scheduler, its own thread pool) with handles that complete on other
 * threads: a swap commits, and a drain that outlives its deadline is forced, without any sleep in the test.
 */
class RealThreadsTest {

    private final ScheduledExecutorService elsewhere = Executors.newScheduledThreadPool(2);

    @AfterEach
    void stop() {
        elsewhere.shutdownNow();
    }

    @Test
    void swapsCommitAndForceOnRealThreads() throws Exception {
        Set<String> attached = ConcurrentHashMap.newKeySet();
        List<String> threads = new CopyOnWriteArrayList<>();
        Router router = new Router() {
            @Override
            public CompletionStage<Void> attach(Lifecycle instance) {
                return later(() -> attached.add(instance.id()));
            }

            @Override
            public CompletionStage<Void> detach(Lifecycle instance) {
                return later(() -> attached.remove(instance.id()));
            }

            @Override
            public CompletionStage<Void> settled(Lifecycle instance) {
                return later(() -> { });
            }
        };
        Launcher launcher = id -> CompletableFuture.supplyAsync(() -> new ThreadedInstance(id, false), elsewhere);
        try (Orchestrator orchestrator = Orchestrator.builder("real", launcher, router)
                .drainTimeout(Duration.ofMillis(200))
                .listener(new dev.handoff.api.event.SwapListener() {
                    @Override
                    public void onStep(dev.handoff.api.event.SwapEvent event) {
                        threads.add(Thread.currentThread().getName());
                    }
                })
                .build()) {
            ThreadedInstance first = new ThreadedInstance("first", true);
            attached.add("first");
            orchestrator.adopt(first);

            SwapResult forced = orchestrator.swap(Plan.oneForOne()).toCompletableFuture().get(10, TimeUnit.SECONDS);
            SwapResult committed = orchestrator.swap(Plan.oneForOne()).toCompletableFuture().get(10, TimeUnit.SECONDS);

            assertThat(forced.outcome()).isEqualTo(SwapOutcome.FORCED);
            assertThat(forced.abandoned()).isEqualTo(3);
            assertThat(forced.timings(SwapStep.AWAIT_DRAINED).get(0).failure()).isPresent();
            assertThat(committed.outcome()).isEqualTo(SwapOutcome.COMMITTED);
            assertThat(attached).containsExactly("real-2");
            assertThat(threads).allMatch(name -> name.startsWith("handoff-real-"));
        }
    }

    private CompletionStage<Void> later(Runnable action) {
        CompletableFuture<Void> done = new CompletableFuture<>();
        elsewhere.schedule(() -> {
            action.run();
            done.complete(null);
        }, 5, TimeUnit.MILLISECONDS);
        return done;
    }

    /** Completes on another thread; one whose drain never completes holds 3 units until forced. */
    private final class ThreadedInstance implements Lifecycle {
        private final String id;
        private final boolean hangs;
        private final CompletableFuture<Void> failure = new CompletableFuture<>();

        ThreadedInstance(String id, boolean hangs) {
            this.id = id;
            this.hangs = hangs;
        }

        @Override
        public String id() {
            return id;
        }

        @Override
        public CompletionStage<Void> whenReady() {
            return later(() -> { });
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
            // states are not simulated here
        }

        @Override
        public void removeListener(LifecycleListener listener) {
            // states are not simulated here
        }

        @Override
        public CompletionStage<Void> failure() {
            return failure;
        }

        @Override
        public CompletionStage<Void> stopAccepting() {
            return later(() -> { });
        }

        @Override
        public CompletionStage<Void> resumeAccepting() {
            return later(() -> { });
        }

        @Override
        public CompletionStage<Void> drain() {
            return hangs ? new CompletableFuture<>() : later(() -> { });
        }

        @Override
        public long inFlight() {
            return hangs ? 3 : 0;
        }

        @Override
        public CompletionStage<Long> forceStop() {
            return CompletableFuture.supplyAsync(() -> 3L, elsewhere);
        }

        @Override
        public CompletionStage<Void> destroy() {
            return later(() -> { });
        }
    }
}
