package dev.handoff.api;

/**
 * Told of every state change of a {@link Lifecycle}. Called on the thread that caused the change, after the
 * new state is visible; an exception thrown here is logged by the lifecycle and never breaks it.
 */
@FunctionalInterface
public interface LifecycleListener {
    /**
     * @param from the state left
     * @param to   the state entered
     */
    void onStateChange(LifecycleState from, LifecycleState to);
}
