package dev.handoff.api;

import java.util.concurrent.CompletionStage;

/**
 * One instance and the whole swap contract it plays: the one object that the orchestrator, a router, the SIGTERM
 * sequence, the probes, the metrics and a child process's agent all drive. There is no second view of an instance
 * that could skip part of it.
 *
 * <ul>
 *   <li><b>readiness</b> (step 2): {@link #isReady()} and {@link #whenReady()}: the instance can take work;</li>
 *   <li><b>stop-accepting</b> (step 4): {@link #stopAccepting()}: readiness goes down at once and clients are told
 *       to go elsewhere (for HTTP, {@code Connection: close} and idle connections closed; for a queue consumer,
 *       the subscription cancelled and unstarted deliveries returned), but work that still reaches the instance
 *       is served, not refused, until {@link #drain()} closes the intake;</li>
 *   <li><b>drain-complete</b> (steps 5 and 6): {@link #drain()} closes the intake (nothing is admitted after
 *       it) and completes when the last unit of in-flight work admitted before it has finished;</li>
 *   <li><b>re-admission</b>: {@link #resumeAccepting()}, when the replacement failed before this instance was
 *       destroyed;</li>
 *   <li><b>the end</b>: {@link #forceStop()} at a drain deadline, {@link #destroy()} (step 7), and
 *       {@link #failure()}, which tells of a failure at any time.</li>
 * </ul>
 *
 * <p>In-process instances extend {@code dev.handoff.core.InstanceLifecycle}, which implements every transition
 * once (and finally) and lets an adapter add its own behaviour in protected hooks; remote or simulated instances
 * may implement this interface directly.
 *
 * <p><b>Asynchronous, never blocking.</b> Every method returns at once; the stages never time out by themselves
 * (the caller, usually the orchestrator, bounds every wait). A method that cannot act in the current state
 * returns a stage that completes exceptionally, naming the state, rather than throwing. The order for a new
 * instance is {@link #whenReady()}, then (when a later swap retires it) {@link #stopAccepting()},
 * {@link #drain()}, possibly {@link #forceStop()}, and {@link #destroy()}; {@code destroy} may come at any point
 * and more than once.
 *
 * <p>Implementations are thread-safe; every method may be called from any thread, and the state-changing
 * methods are idempotent.
 */
public interface Lifecycle {

    /** @return the instance's id: unique within its group, used in events, logs, metric tags; never null */
    String id();

    /** @return the current state; never null */
    LifecycleState state();

    /** @return whether the instance is READY: it can take work and has not been told to stop accepting */
    boolean isReady();

    /**
     * Step 2. Event-driven where the instance can signal; polling only for remote instances.
     *
     * @return a stage that completes when the instance first becomes READY, or completes exceptionally when it
     *     fails or stops before that. It may never complete (an instance that is never ready): the caller bounds
     *     the wait
     */
    CompletionStage<Void> whenReady();

    /**
     * Watches for a failure at any time after creation: a crash, an exit, a lost connection, a FAILED state.
     *
     * @return a stage that completes (normally or not) only when the instance has failed; it stays incomplete
     *     while the instance is healthy and after a clean stop or destroy
     */
    CompletionStage<Void> failure();

    /**
     * Step 4: READY (or STARTING) moves to DRAINING, readiness goes down, clients are told to go elsewhere; work
     * that still arrives is admitted and counted until {@link #drain()} closes the intake. Idempotent: a
     * repeated call returns a stage that completes with the first one.
     *
     * @return completes when the instance has carried the instruction out (for a queue consumer: its
     *     subscription is cancelled and its unstarted deliveries returned); exceptionally when the instance is
     *     STOPPED or FAILED
     */
    CompletionStage<Void> stopAccepting();

    /**
     * Re-admission: takes a DRAINING or DRAINED instance back to READY and reopens its intake, for the case
     * where its replacement failed before this instance was destroyed. A drain still running is abandoned (its
     * stage completes exceptionally). On a READY instance it makes sure the intake is open (a queue consumer
     * whose router attaches it this way subscribes); idempotent.
     *
     * @return completes when the instance accepts again; exceptionally when it cannot (STARTING, STOPPED,
     *     FAILED, or its intake could not be reopened, in which case it is FAILED)
     */
    CompletionStage<Void> resumeAccepting();

    /**
     * Steps 5 and 6, called after the router confirmed the detach: closes the intake and returns the
     * drain-complete signal, which completes when every unit of work admitted before the close has finished;
     * the state then moves to DRAINED. Moves to DRAINING first if {@link #stopAccepting()} was not called.
     * Idempotent: repeated calls return the same stage until {@link #resumeAccepting()} opens a new intake.
     *
     * @return the drain-complete stage; exceptionally when the instance is STOPPED or FAILED, fails or stops
     *     first, or is re-admitted first
     */
    CompletionStage<Void> drain();

    /** @return units of work admitted and not yet finished (best effort for remote instances) */
    long inFlight();

    /**
     * The drain deadline passed: abandon what is still running (interrupt handlers, return jobs to their queue,
     * cut requests) so that {@link #destroy()} can follow.
     *
     * @return completes with the number of units of work abandoned
     */
    CompletionStage<Long> forceStop();

    /**
     * Step 7, or the rollback of a new instance: stop and release every resource; the state moves to STOPPED
     * (unless FAILED). Idempotent: every call returns a stage that completes with the first one.
     *
     * @return completes when the instance is gone; exceptionally when releasing failed (reported, never
     *     swallowed, by the orchestrator)
     */
    CompletionStage<Void> destroy();

    /** @param listener told of every later state change; must not be null */
    void addListener(LifecycleListener listener);

    /** @param listener removed if present */
    void removeListener(LifecycleListener listener);
}
