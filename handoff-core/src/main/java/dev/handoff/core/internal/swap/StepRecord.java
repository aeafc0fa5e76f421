package dev.handoff.core.internal.swap;

import dev.handoff.api.StepTiming;
import dev.handoff.api.SwapStep;
import java.time.Duration;
import java.time.Instant;
import java.util.Optional;

/** One step as it runs; becomes a {@link StepTiming}. Not API; confined to the serial executor. */
final class StepRecord {
    final SwapStep step;
    final String instanceId;
    final Instant start;
    Duration duration;
    Throwable failure;
    boolean ended;

    StepRecord(SwapStep step, String instanceId, Instant start) {
        this.step = step;
        this.instanceId = instanceId;
        this.start = start;
    }

    StepTiming toTiming(Instant now) {
        Duration measured = ended ? duration : Duration.between(start, now);
        return new StepTiming(step, instanceId, start, measured, Optional.ofNullable(failure));
    }
}
