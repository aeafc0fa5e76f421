package dev.handoff.api.event;

import dev.handoff.api.SwapStep;
import java.time.Duration;
import java.time.Instant;
import java.util.Objects;
import java.util.Optional;

/**
 * One step of a swap started, completed or failed. Immutable.
 *
 * @param swapId     the swap
 * @param step       the step
 * @param phase      what happened to it
 * @param instanceId the instance the step acts on
 * @param release    the label of the release that instance runs
 * @param at         when, on the orchestrator's clock
 * @param elapsed    since the step started (zero for {@link Phase#STARTED})
 * @param failure    the cause, for {@link Phase#FAILED}
 */
public record SwapEvent(String swapId, SwapStep step, Phase phase, String instanceId, String release, Instant at,
                        Duration elapsed, Optional<Throwable> failure) {

    /** What happened to the step. */
    public enum Phase {
        /** The step began. */
        STARTED,
        /** The step succeeded. */
        COMPLETED,
        /** The step failed, timed out or was abandoned. */
        FAILED
    }

    /** Validates that no component is null. */
    public SwapEvent {
        Objects.requireNonNull(swapId, "swapId");
        Objects.requireNonNull(step, "step");
        Objects.requireNonNull(phase, "phase");
        Objects.requireNonNull(instanceId, "instanceId");
        Objects.requireNonNull(release, "release");
        Objects.requireNonNull(at, "at");
        Objects.requireNonNull(elapsed, "elapsed");
        Objects.requireNonNull(failure, "failure");
    }
}
