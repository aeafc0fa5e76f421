package dev.handoff.test.sim;

import dev.handoff.core.Scheduler;
import dev.handoff.core.internal.Durations;
import java.time.Duration;
import java.time.Instant;
import java.util.Comparator;
import java.util.Objects;
import java.util.TreeSet;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CompletionStage;

/**
 * A {@link Scheduler} whose time moves only when told to: a 30 s drain deadline passes in microseconds, and a
 * test is deterministic. Tasks run on the thread that moves the clock, in time order (ties in the order they were
 * scheduled). Pair it with a direct executor ({@code Runnable::run}) so that everything a test starts runs on the
 * test's thread.
 *
 * <pre>{@code
 * VirtualClock clock = new VirtualClock();
 * Orchestrator orchestrator = Orchestrator.builder("web", launcher, router)
 *         .scheduler(clock).executor(Runnable::run).build();
 * SwapResult result = clock.runUntil(orchestrator.swap(Plan.oneForOne()));
 * }</pre>
 *
 * <p>Thread-safe: tasks may be scheduled and cancelled from any thread; tasks run outside the clock's lock, on the
 * thread calling {@link #advance}, {@link #runUntil} or {@link #runUntilIdle}.
 */
public final class VirtualClock implements Scheduler {

    /** How many tasks {@link #runUntil} and {@link #runUntilIdle} run before deciding that a run never ends. */
    public static final long MAX_TASKS_PER_RUN = 50_000_000L;

    private static final Comparator<Task> ORDER = Comparator.<Task>comparingLong(task -> task.due)
            .thenComparingLong(task -> task.sequence);

    private final Instant origin;
    private final TreeSet<Task> tasks = new TreeSet<>(ORDER);
    private long nowNanos;
    private long sequence;

    /** A clock starting at 2026-01-01T00:00:00Z. */
    public VirtualClock() {
        this(Instant.parse("2026-01-01T00:00:00Z"));
    }

    /**
     * @param start the clock's first instant
     * @throws NullPointerException when {@code start} is null
     */
    public VirtualClock(Instant start) {
        this.origin = Objects.requireNonNull(start, "start must not be null");
    }

    @Override
    public synchronized Instant now() {
        return origin.plusNanos(nowNanos);
    }

    /** @return time elapsed since the clock's start */
    public synchronized Duration elapsed() {
        return Duration.ofNanos(nowNanos);
    }

    /**
     * @throws NullPointerException when an argument is null
     */
    @Override
    public Scheduler.Cancellable schedule(Duration delay, Runnable task) {
        Objects.requireNonNull(delay, "delay must not be null");
        Objects.requireNonNull(task, "task must not be null");
        Task scheduled;
        synchronized (this) {
            long due = delay.isNegative() ? nowNanos : nowNanos + saturatedNanos(delay);
            scheduled = new Task(due, sequence++, task);
            tasks.add(scheduled);
        }
        return () -> {
            synchronized (this) {
                tasks.remove(scheduled);
            }
        };
    }

    /** @return tasks scheduled and not yet run nor cancelled */
    public synchronized int pendingTasks() {
        return tasks.size();
    }

    /**
     * Moves the clock forward by {@code duration}, running every task due by then in time order; the clock reads
     * each task's due time while it runs, and {@code now + duration} at the end.
     *
     * @param duration how far; zero runs the tasks due now
     * @throws NullPointerException     when null
     * @throws IllegalArgumentException when negative
     */
    public void advance(Duration duration) {
        Durations.nonNegative("duration", duration);
        long target;
        synchronized (this) {
            target = nowNanos + saturatedNanos(duration);
        }
        Task task;
        while ((task = pollDueBy(target)) != null) {
            task.runnable.run();
        }
        synchronized (this) {
            nowNanos = Math.max(nowNanos, target);
        }
    }

    /**
     * Runs tasks, jumping the clock to each next one, until {@code stage} completes.
     *
     * @param stage what to wait for
     * @param <T>   its value's type
     * @return its value
     * @throws CompletionException   when the stage completed exceptionally (the cause is the stage's failure)
     * @throws IllegalStateException when the stage is not complete and no task is scheduled: nothing on this clock
     *                               can complete it (a deadlock, a wait without a deadline, or work left to another
     *                               thread); or when more than {@link #MAX_TASKS_PER_RUN} tasks ran
     */
    public <T> T runUntil(CompletionStage<T> stage) {
        Objects.requireNonNull(stage, "stage must not be null");
        CompletableFuture<T> future = stage.toCompletableFuture();
        long ran = 0;
        while (!future.isDone()) {
            Task task = pollNext();
            if (task == null) {
                throw new IllegalStateException("runUntil: the stage is not complete and no task is scheduled on the"
                        + " virtual clock at " + elapsed() + ": nothing can complete it (a deadlock, a wait without a"
                        + " deadline, or work left to another thread)");
            }
            if (++ran > MAX_TASKS_PER_RUN) {
                throw new IllegalStateException("runUntil: ran " + MAX_TASKS_PER_RUN + " tasks without the stage"
                        + " completing; the simulation does not converge");
            }
            task.runnable.run();
        }
        return future.join();
    }

    /**
     * Runs every task, jumping the clock to each next one, until none is scheduled.
     *
     * @return how many tasks ran
     * @throws IllegalStateException when more than {@link #MAX_TASKS_PER_RUN} tasks ran (a task that keeps
     *                               rescheduling itself, such as traffic left running)
     */
    public long runUntilIdle() {
        long ran = 0;
        Task task;
        while ((task = pollNext()) != null) {
            if (++ran > MAX_TASKS_PER_RUN) {
                throw new IllegalStateException("runUntilIdle: ran " + MAX_TASKS_PER_RUN + " tasks and the clock is"
                        + " still busy; a task keeps rescheduling itself");
            }
            task.runnable.run();
        }
        return ran;
    }

    private synchronized Task pollDueBy(long target) {
        if (tasks.isEmpty() || tasks.first().due > target) {
            return null;
        }
        Task task = tasks.pollFirst();
        nowNanos = Math.max(nowNanos, task.due);
        return task;
    }

    private synchronized Task pollNext() {
        Task task = tasks.pollFirst();
        if (task != null) {
            nowNanos = Math.max(nowNanos, task.due);
        }
        return task;
    }

    private static long saturatedNanos(Duration duration) {
        try {
            return duration.toNanos();
        } catch (ArithmeticException e) {
            return Long.MAX_VALUE / 2;
        }
    }

    @Override
    public String toString() {
        return "VirtualClock[" + elapsed() + ", " + pendingTasks() + " pending]";
    }

    private static final class Task {
        final long due;
        final long sequence;
        final Runnable runnable;

        Task(long due, long sequence, Runnable runnable) {
            this.due = due;
            this.sequence = sequence;
            this.runnable = runnable;
        }
    }
}
