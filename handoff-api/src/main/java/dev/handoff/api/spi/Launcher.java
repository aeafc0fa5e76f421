package dev.handoff.api.spi;

import dev.handoff.api.Lifecycle;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;

/**
 * Step 1: creates a new instance that takes no workload until a router attaches it. Implemented by framework
 * integrators (an in-process Jetty server factory, a child JVM launcher); must be thread-safe.
 */
@FunctionalInterface
public interface Launcher {
    /**
     * @param instanceId the id the orchestrator gives the new instance; the returned handle's {@code id()} must
     *                   equal it
     * @return completes with the started instance (ready or not yet ready), or exceptionally when it could not
     *     start; the orchestrator applies the launch deadline and destroys an instance that arrives late
     */
    CompletionStage<Lifecycle> launch(String instanceId);

    /**
     * Optional (re-adoption): an orchestrator with a state directory calls this once, after it took the group's
     * lock and raised the epoch, before any {@link #launch} or {@link #reattach}. A launcher whose instances can
     * outlive the orchestrator (child processes under a lease) launches them so that a later orchestrator on the
     * same directory can {@link #reattach} them, and carries the epoch in every command it sends them. The default
     * does nothing: such instances die with, or are unreachable after, the orchestrator.
     *
     * @param binding the state directory, group, epoch and lease
     */
    default void bind(StateBinding binding) {
    }

    /**
     * Optional (re-adoption): finds an instance this launcher (or one configured the same way, in an earlier
     * process) launched under the same state directory and group, and takes control of it again. The instance keeps
     * running as it is (serving, draining, starting); the stage completes with a handle whose {@code state()} is the
     * instance's own. Called by a restarted orchestrator for every instance its journal records, after
     * {@link #bind(StateBinding)}.
     *
     * @param instanceId the instance's id, as given to {@link #launch}
     * @return completes with the handle; exceptionally when the instance is gone, refuses (a newer orchestrator
     *     holds it) or cannot be reached. The default: exceptionally with {@link UnsupportedOperationException}
     */
    default CompletionStage<Lifecycle> reattach(String instanceId) {
        return CompletableFuture.failedFuture(new UnsupportedOperationException(getClass().getName()
                + " cannot re-attach instances: instance " + instanceId + " is treated as gone"));
    }
}
