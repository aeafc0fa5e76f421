package dev.handoff.examples.demo;

import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/** How the demo's tiers shut down: every step bounded, and what went wrong collected rather than thrown. */
final class Closing {

    private Closing() {
    }

    /**
     * Waits for one shutdown step, at most {@code bound}; a failure, a timeout or an interrupt is added to
     * {@code problems} instead of thrown, so that the next step still runs.
     *
     * @param problems where a problem is added, as "action: what happened"
     * @param bound    how long the step may take
     * @param action   names the step in the problem
     * @param stage    the step
     */
    static void awaitQuietly(List<String> problems, Duration bound, String action, CompletionStage<?> stage) {
        try {
            stage.toCompletableFuture().get(bound.toMillis(), TimeUnit.MILLISECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            problems.add(action + ": interrupted");
        } catch (TimeoutException e) {
            problems.add(action + ": not done within " + bound);
        } catch (ExecutionException e) {
            problems.add(action + ": " + e.getCause());
        }
    }
}
