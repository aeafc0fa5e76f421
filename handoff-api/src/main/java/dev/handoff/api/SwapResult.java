package dev.handoff.api;

import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Objects;
import java.util.Optional;

/**
 * The result of one swap (one plan run), or of a group's start ({@link Plan#start()}): its outcome, each step's timing,
 * the work abandoned and the cause of a failure. Immutable.
 *
 * @param swapId     the swap's id, also in every event and log line of the swap (MDC key {@code handoff.swap})
 * @param plan       the plan that ran
 * @param release    the label of the {@link Release} the swap deployed (or the start launched)
 * @param outcome    how it ended
 * @param start      when it started, on the orchestrator's clock
 * @param duration   from the start to the end of the last step (the last old instance destroyed)
 * @param steps      every step run, in the order they started
 * @param launched   ids of the instances launched by this swap (including any rolled back)
 * @param retired    ids of the old instances destroyed by this swap
 * @param abandoned  units of work abandoned at drain deadlines, summed over the old instances (and any new instance
 *                   that served and was then rolled back)
 * @param cause      why the swap rolled back or was forced; for a COMMITTED swap, a failure reported after the
 *                   cut-over (a destroy that threw, an old instance found dead); empty when nothing failed. Further failures (a destroy that
 *                   threw during rollback, say) are attached to it as suppressed exceptions.
 */
public record SwapResult(String swapId, Plan plan, String release, SwapOutcome outcome, Instant start, Duration duration,
                         List<StepTiming> steps, List<String> launched, List<String> retired, long abandoned,
                         Optional<Throwable> cause) {
    /** Validates and copies. */
    public SwapResult {
        Objects.requireNonNull(swapId, "swapId");
        Objects.requireNonNull(plan, "plan");
        Objects.requireNonNull(release, "release");
        Objects.requireNonNull(outcome, "outcome");
        Objects.requireNonNull(start, "start");
        Objects.requireNonNull(duration, "duration");
        steps = List.copyOf(steps);
        launched = List.copyOf(launched);
        retired = List.copyOf(retired);
        Objects.requireNonNull(cause, "cause");
        if (abandoned < 0) {
            throw new IllegalArgumentException("abandoned must be >= 0, but was " + abandoned);
        }
    }

    /**
     * The cut-over: how long after the start of the swap the workload began to move from the old instances to the
     * new ones, that is when step 4 ({@link SwapStep#DETACH}: stop-accepting, then the router's detach) started
     * for the first old instance, every new instance it replaces being attached by then. The same moment for every
     * router; what the router does within step 4 differs (see the architecture page).
     *
     * @return the cut-over's offset from {@link #start()}; empty when no old instance was detached (a start, or a
     *     swap rolled back before step 4)
     */
    public Optional<Duration> cutOver() {
        return steps.stream().filter(t -> t.step() == SwapStep.DETACH).map(StepTiming::start).min(Instant::compareTo)
                .map(detach -> Duration.between(start, detach));
    }

    /**
     * @param step the step
     * @return the timings of that step, for every instance it ran on, in order
     */
    public List<StepTiming> timings(SwapStep step) {
        return steps.stream().filter(t -> t.step() == step).toList();
    }
}
