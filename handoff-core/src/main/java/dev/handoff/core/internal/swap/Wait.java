package dev.handoff.core.internal.swap;

import dev.handoff.api.StepTimeoutException;
import dev.handoff.api.SwapStep;
import dev.handoff.core.Scheduler;
import java.time.Duration;
import java.util.Objects;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.BiConsumer;
import java.util.function.Supplier;

/**
 * One bounded wait: a stage raced against a deadline on the scheduler. Whichever comes first hands its result to
 * the continuation, on the orchestrator's serial executor; the other is ignored. {@link #cancel()} drops the wait
 * (the continuation never runs) and cancels its timer.
 *
 * <p>Not API. Thread-safe.
 */
final class Wait {
    private final AtomicBoolean done = new AtomicBoolean();
    private volatile Scheduler.Cancellable timer;

    private Wait() {
    }

    /**
     * @param stage   what to wait for
     * @param timeout the deadline; the continuation gets a {@link StepTimeoutException} when it passes first
     * @param step    named in the timeout
     * @param id      the instance, named in the timeout
     * @param then    the continuation: (value, null) or (null, failure)
     */
    static <T> Wait on(Context context, CompletionStage<T> stage, Duration timeout, SwapStep step, String id,
                       BiConsumer<? super T, Throwable> then) {
        Wait wait = new Wait();
        wait.timer = context.scheduler().schedule(timeout, () -> {
            if (wait.done.compareAndSet(false, true)) {
                context.execute(() -> then.accept(null, new StepTimeoutException(step, id, timeout)));
            }
        });
        stage.whenComplete((value, failure) -> {
            if (wait.done.compareAndSet(false, true)) {
                wait.timer.cancel();
                context.execute(() -> then.accept(failure == null ? value : null, unwrap(failure)));
            }
        });
        return wait;
    }

    /**
     * @param delay how long to wait on the scheduler's clock
     * @param then  run on the serial executor when it has passed
     */
    static Wait delay(Context context, Duration delay, Runnable then) {
        Wait wait = new Wait();
        wait.timer = context.scheduler().schedule(delay, () -> {
            if (wait.done.compareAndSet(false, true)) {
                context.execute(then);
            }
        });
        return wait;
    }

    /** Drops the wait: its continuation never runs. */
    void cancel() {
        if (done.compareAndSet(false, true)) {
            Scheduler.Cancellable current = timer;
            if (current != null) {
                current.cancel();
            }
        }
    }

    /**
     * Calls an SPI method, turning a synchronous throw or a null stage into a failed stage, so that every
     * outcome of the call goes through one path.
     */
    static <T> CompletionStage<T> call(Supplier<? extends CompletionStage<T>> operation, String what) {
        try {
            CompletionStage<T> stage = operation.get();
            return Objects.requireNonNull(stage, () -> what + " returned null instead of a CompletionStage");
        } catch (RuntimeException | Error e) {
            return CompletableFuture.failedFuture(e);
        }
    }

    static Throwable unwrap(Throwable failure) {
        Throwable current = failure;
        while ((current instanceof CompletionException || current instanceof ExecutionException)
                && current.getCause() != null) {
            current = current.getCause();
        }
        return current;
    }

    /** Where waits take their time and run their continuations. */
    interface Context {
        Scheduler scheduler();

        void execute(Runnable task);
    }
}
