package dev.handoff.core;

import java.time.Duration;
import java.time.Instant;
import java.util.Objects;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Time for handoff: the current instant and delayed tasks. Injected everywhere a deadline or a delay exists, so
 * that production uses {@link #system()} and tests use the simulation kit's virtual clock, where a 30 s drain
 * deadline passes in microseconds. Implementations are thread-safe.
 */
public interface Scheduler {

    /** @return the current instant on this scheduler's clock */
    Instant now();

    /**
     * Runs {@code task} once, {@code delay} from now. A task must be short: it runs on the scheduler's thread.
     *
     * @param delay how long from now; zero or negative runs it as soon as possible
     * @param task  what to run
     * @return a handle to cancel it
     */
    Cancellable schedule(Duration delay, Runnable task);

    /** A scheduled task that has not run yet can be cancelled. */
    @FunctionalInterface
    interface Cancellable {
        /** Cancels the task if it has not run; a no-op otherwise. */
        void cancel();
    }

    /**
     * @return the shared scheduler on the system clock, backed by one daemon thread named
     *     {@code handoff-scheduler}
     */
    static Scheduler system() {
        return SystemScheduler.INSTANCE;
    }
}

/** The system clock and one daemon thread; shared, never shut down (it holds no resource beyond the thread). */
final class SystemScheduler implements Scheduler {
    static final SystemScheduler INSTANCE = new SystemScheduler();

    private final ScheduledExecutorService executor;

    private SystemScheduler() {
        AtomicInteger count = new AtomicInteger();
        ScheduledThreadPoolExecutor pool = new ScheduledThreadPoolExecutor(1, runnable -> {
            Thread thread = new Thread(runnable, "handoff-scheduler-" + count.incrementAndGet());
            thread.setDaemon(true);
            return thread;
        });
        // Most tasks are deadlines cancelled when the awaited step completes: drop them from the queue at once
        // instead of keeping each one until its (often minutes away) time.
        pool.setRemoveOnCancelPolicy(true);
        executor = pool;
    }

    @Override
    public Instant now() {
        return Instant.now();
    }

    @Override
    public Cancellable schedule(Duration delay, Runnable task) {
        Objects.requireNonNull(delay, "delay");
        Objects.requireNonNull(task, "task");
        ScheduledFuture<?> future = executor.schedule(task, Math.max(0, saturatedNanos(delay)), TimeUnit.NANOSECONDS);
        return () -> future.cancel(false);
    }

    /** A delay beyond what nanoseconds hold (about 292 years, {@code ChronoUnit.FOREVER}, say) is as good as never. */
    private static long saturatedNanos(Duration delay) {
        try {
            return delay.toNanos();
        } catch (ArithmeticException e) {
            return delay.isNegative() ? 0 : Long.MAX_VALUE;
        }
    }
}
