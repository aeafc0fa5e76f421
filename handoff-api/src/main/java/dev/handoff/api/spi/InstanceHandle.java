package dev.handoff.api.spi;

import java.util.concurrent.CompletionStage;

/**
 * The orchestrator's grip on one instance: an in-process component, a child process or a remote unit. Framework
 * integrators implement it; the orchestrator calls it, bounding every returned stage with a deadline of its own,
 * so an implementation never needs a timeout of its own but must never block the calling thread for long.
 *
 * <p>The orchestrator calls the methods in this order for a new instance: {@link #awaitReady()}, then (when it
 * is retired by a later swap) {@link #stopAccepting()}, {@link #drain()}, possibly {@link #forceStop()} and
 * finally {@link #destroy()}. {@link #resumeAccepting()} may follow {@code stopAccepting} or {@code drain} when the
 * replacement failed. {@link #destroy()} may come at any point, and more than once. Implementations must be
 * thread-safe.
 */
public interface InstanceHandle {

    /** @return a stable id, unique within the orchestrator, used in events, logs and metric tags */
    String id();

    /**
     * Step 2. Event-driven where the instance can signal; polling only for remote instances.
     *
     * @return completes when the instance is ready to take work; completes exceptionally when it fails before
     *     that. May never complete (an instance that is never ready): the orchestrator applies the deadline.
     */
    CompletionStage<Void> awaitReady();

    /**
     * Watches for a failure after launch: a crash, an exit, a FAILED state.
     *
     * @return a stage that completes (normally or not) only when the instance has failed; it stays incomplete
     *     while the instance is healthy and after a clean destroy
     */
    CompletionStage<Void> failure();

    /**
     * Step 4: readiness goes down and clients are told to go elsewhere (for HTTP, {@code Connection: close} and
     * idle connections closed). Work that still arrives before the router's detach takes effect is served,
     * not refused. Idempotent.
     *
     * @return completes when the instance has taken the instruction
     */
    CompletionStage<Void> stopAccepting();

    /**
     * Re-admission: the instance accepts work again, as before {@link #stopAccepting()}. Called only when the
     * replacement failed before this instance was destroyed.
     *
     * @return completes when the instance accepts again; exceptionally when it cannot
     */
    CompletionStage<Void> resumeAccepting();

    /**
     * Steps 5 and 6, called after the router confirmed the detach: the intake closes (nothing is admitted
     * after it) and the stage completes when the work in flight has finished.
     *
     * @return the drain-complete signal; the orchestrator applies the drain deadline
     */
    CompletionStage<Void> drain();

    /** @return units of work in flight now (best effort for remote instances) */
    long inFlight();

    /**
     * The drain deadline passed: abandon what is still running (interrupt handlers, requeue jobs, cut
     * requests) so that {@link #destroy()} can follow.
     *
     * @return completes with the number of units of work abandoned
     */
    CompletionStage<Long> forceStop();

    /**
     * Step 7, or the rollback of a new instance: stop and release every resource. Idempotent.
     *
     * @return completes when the instance is gone; exceptionally when releasing failed (reported, never
     *     swallowed, by the orchestrator)
     */
    CompletionStage<Void> destroy();
}
