package dev.handoff.api;

import java.util.EnumSet;
import java.util.Set;

/**
 * The states of one instance, as the application embedded in it sees them.
 *
 * <pre>
 * STARTING -&gt; READY -&gt; DRAINING -&gt; DRAINED -&gt; STOPPED
 *                  ^------'   (re-admission: resumeAccepting)
 * any state -&gt; FAILED
 * </pre>
 *
 * <p>Every allowed transition is listed by {@link #canTransitionTo(LifecycleState)}; an implementation that is
 * asked for any other transition throws an {@link IllegalStateException} naming both states. This enum is
 * immutable and thread-safe.
 */
public enum LifecycleState {
    /** Started, not yet able to take work; the readiness signal is down. */
    STARTING,
    /** Able to take work; the readiness signal is up. */
    READY,
    /** Told to stop accepting: readiness is down; work already admitted, or still arriving before the
     *  intake closes, is served. */
    DRAINING,
    /** The intake is closed and the last unit of in-flight work has finished. */
    DRAINED,
    /** Resources released; terminal. */
    STOPPED,
    /** Failed; terminal. */
    FAILED;

    /**
     * Whether an instance in this state may move to {@code next}. A transition to the same state is not a
     * transition (callers treat it as a no-op) and returns {@code false}.
     *
     * @param next the state asked for
     * @return {@code true} when the transition is allowed
     * @throws NullPointerException if {@code next} is null
     */
    public boolean canTransitionTo(LifecycleState next) {
        if (next == null) {
            throw new NullPointerException("next must not be null");
        }
        return allowedNext().contains(next);
    }

    /** @return whether no transition leaves this state */
    public boolean isTerminal() {
        return this == STOPPED || this == FAILED;
    }

    private Set<LifecycleState> allowedNext() {
        switch (this) {
            case STARTING:
                return EnumSet.of(READY, DRAINING, STOPPED, FAILED);
            case READY:
                return EnumSet.of(DRAINING, STOPPED, FAILED);
            case DRAINING:
                return EnumSet.of(READY, DRAINED, STOPPED, FAILED);
            case DRAINED:
                return EnumSet.of(READY, STOPPED, FAILED);
            default:
                return EnumSet.noneOf(LifecycleState.class);
        }
    }
}
