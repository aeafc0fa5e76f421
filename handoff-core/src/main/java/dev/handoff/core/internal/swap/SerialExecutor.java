package dev.handoff.core.internal.swap;

import java.util.Queue;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.Executor;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.atomic.AtomicBoolean;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.slf4j.MDC;

/**
 * Runs tasks one at a time, in submission order, on an underlying executor: every state change of an
 * orchestrator happens inside one of these tasks, so the swap state needs no locks. A task submitted from inside a
 * running task is queued behind it (a trampoline), which keeps a direct executor from recursing.
 *
 * <p>Not API. Thread-safe.
 */
public final class SerialExecutor {
    /** The MDC key carrying the swap id around each task. */
    public static final String MDC_KEY = "handoff.swap";
    /** The MDC key carrying the label of the release the swap deploys around each task. */
    public static final String MDC_RELEASE_KEY = "handoff.release";

    private static final Logger LOG = LoggerFactory.getLogger(SerialExecutor.class);

    private final Executor executor;
    private final Queue<Task> queue = new ConcurrentLinkedQueue<>();
    private final AtomicBoolean running = new AtomicBoolean();
    /** Set by {@link #halt()}: no task runs any more. */
    private volatile boolean halted;

    /** @param executor where the tasks run */
    public SerialExecutor(Executor executor) {
        this.executor = executor;
    }

    /**
     * @param swapId  put in the MDC under {@value #MDC_KEY} while the task runs
     * @param release put in the MDC under {@value #MDC_RELEASE_KEY} while the task runs; null for none
     * @param task    what to run
     */
    public void execute(String swapId, String release, Runnable task) {
        if (halted) {
            return;
        }
        queue.add(new Task(swapId, release, task));
        schedule();
    }

    /** Tests of the recovery ({@link CrashPoints}): drops the queued tasks, and every task given from now on. */
    void halt() {
        halted = true;
        queue.clear();
    }

    private void schedule() {
        if (running.compareAndSet(false, true)) {
            try {
                executor.execute(this::drain);
            } catch (RejectedExecutionException e) {
                // The executor was shut down (orchestrator closed) while work was still due: finish it here
                // rather than lose a step.
                drain();
            }
        }
    }

    private void drain() {
        try {
            Task task;
            while (!halted && (task = queue.poll()) != null) {
                run(task);
            }
        } finally {
            running.set(false);
        }
        if (!halted && !queue.isEmpty()) {
            schedule();
        }
    }

    private static void run(Task task) {
        String previous = MDC.get(MDC_KEY);
        String previousRelease = MDC.get(MDC_RELEASE_KEY);
        MDC.put(MDC_KEY, task.swapId);
        restore(MDC_RELEASE_KEY, task.release);
        try {
            task.runnable.run();
        } catch (RuntimeException | Error e) {
            LOG.error("unexpected failure in orchestrator task of swap {}", task.swapId, e);
        } finally {
            restore(MDC_KEY, previous);
            restore(MDC_RELEASE_KEY, previousRelease);
        }
    }

    private static void restore(String key, String value) {
        if (value == null) {
            MDC.remove(key);
        } else {
            MDC.put(key, value);
        }
    }

    private record Task(String swapId, String release, Runnable runnable) {
    }
}
