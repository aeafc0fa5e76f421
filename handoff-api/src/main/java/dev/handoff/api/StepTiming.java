package dev.handoff.api;

import java.time.Duration;
import java.time.Instant;
import java.util.Objects;
import java.util.Optional;

/**
 * When one step of a swap ran, for which instance, how long it took and whether it succeeded. Immutable.
 *
 * @param step       the step
 * @param instanceId the instance the step acted on
 * @param start      when the step started, on the orchestrator's clock
 * @param duration   how long it took
 * @param failure    why it failed; empty when it succeeded
 */
public record StepTiming(SwapStep step, String instanceId, Instant start, Duration duration,
                         Optional<Throwable> failure) {
    /** Validates that no component is null. */
    public StepTiming {
        Objects.requireNonNull(step, "step");
        Objects.requireNonNull(instanceId, "instanceId");
        Objects.requireNonNull(start, "start");
        Objects.requireNonNull(duration, "duration");
        Objects.requireNonNull(failure, "failure");
    }

    /** @return whether the step succeeded */
    public boolean succeeded() {
        return failure.isEmpty();
    }
}
