package dev.handoff.core.process;

import dev.handoff.api.LifecycleState;

import java.util.Objects;

/**
 * What a child's agent reported about its lifecycle in answer to a status request. Immutable.
 *
 * @param state    the child's lifecycle state
 * @param inFlight units of work in flight in the child
 */
public record ChildStatus(LifecycleState state, long inFlight) {
    /**
     * @param state    the child's lifecycle state
     * @param inFlight units of work in flight in the child
     * @throws NullPointerException     when {@code state} is null
     * @throws IllegalArgumentException when {@code inFlight} is negative
     */
    public ChildStatus {
        Objects.requireNonNull(state, "state must not be null");
        if (inFlight < 0) {
            throw new IllegalArgumentException("inFlight must be >= 0, but was " + inFlight);
        }
    }
}
