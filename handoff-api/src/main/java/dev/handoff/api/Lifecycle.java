package dev.handoff.api;

import java.util.concurrent.CompletionStage;

/**
 * The application side of the swap contract: the hooks an instance embeds so that an orchestrator (or a
 * platform such as Kubernetes) can replace it without losing work.
 *
 * <ul>
 *   <li><b>readiness</b>: {@link #isReady()} and {@link #whenReady()}: the instance can take work;</li>
 *   <li><b>stop-accepting</b>: {@link #stopAccepting()}: readiness goes down at once and clients are told to
 *       go elsewhere, but work that still reaches the instance is served, not refused, until {@link #drain()}
 *       closes the intake;</li>
 *   <li><b>drain-complete</b>: {@link #drain()}: closes the intake (nothing is admitted after it) and
 *       completes when the last unit of in-flight work admitted before it has finished.</li>
 * </ul>
 *
 * <p>Implementations are thread-safe; every method may be called from any thread, and the state-changing
 * methods are idempotent.
 */
public interface Lifecycle {

    /** @return the current state; never null */
    LifecycleState state();

    /** @return whether the instance is READY: it can take work and has not been told to stop accepting */
    boolean isReady();

    /**
     * @return a stage that completes when the instance first becomes READY, or completes exceptionally when it
     *     fails or stops before that. It never times out by itself: the caller bounds the wait.
     */
    CompletionStage<Void> whenReady();

    /**
     * Tells the instance to stop accepting: READY (or STARTING) moves to DRAINING, readiness goes down, listeners
     * are told. Work that still arrives is admitted and counted until {@link #drain()} closes the intake.
     * Idempotent; a no-op in DRAINING, DRAINED and the terminal states.
     */
    void stopAccepting();

    /**
     * Re-admission: takes a DRAINING or DRAINED instance back to READY and reopens its intake, for the case
     * where its replacement failed before this instance was destroyed. A no-op when already READY.
     *
     * @throws IllegalStateException when the instance is STARTING, STOPPED or FAILED
     */
    void resumeAccepting();

    /**
     * Closes the intake and returns the drain-complete signal: the stage completes when every unit of work
     * admitted before the close has finished, and the state moves to DRAINED. Moves to DRAINING first if
     * {@link #stopAccepting()} was not called. Idempotent: repeated calls return the same stage until
     * {@link #resumeAccepting()} opens a new intake.
     *
     * @return the drain-complete stage; it never times out by itself
     * @throws IllegalStateException when the instance is STOPPED or FAILED
     */
    CompletionStage<Void> drain();

    /** @return units of work admitted and not yet finished, summed over every tracker of this instance */
    long inFlight();

    /** @param listener told of every later state change; must not be null */
    void addListener(LifecycleListener listener);

    /** @param listener removed if present */
    void removeListener(LifecycleListener listener);
}
