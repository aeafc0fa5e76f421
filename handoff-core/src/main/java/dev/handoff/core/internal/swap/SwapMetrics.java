package dev.handoff.core.internal.swap;

import dev.handoff.api.Plan;
import dev.handoff.api.Release;
import dev.handoff.api.SwapOutcome;
import dev.handoff.api.SwapStep;
import dev.handoff.core.HandoffMetrics;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import java.time.Duration;
import java.util.Locale;

/**
 * Records the orchestrator's meters ({@link HandoffMetrics}); does nothing without a registry.
 *
 * <p>Not API. Thread-safe (Micrometer's registries are).
 */
final class SwapMetrics {
    private final MeterRegistry registry;
    private final String group;
    private final Counter abandoned;
    private final Counter destroyFailures;
    private final Counter membersFailed;

    SwapMetrics(MeterRegistry registry, String group) {
        this.registry = registry;
        this.group = group;
        if (registry == null) {
            abandoned = null;
            destroyFailures = null;
            membersFailed = null;
        } else {
            abandoned = Counter.builder(HandoffMetrics.WORK_ABANDONED)
                    .description("Units of work abandoned when an instance was forced to stop at its drain deadline")
                    .baseUnit(HandoffMetrics.UNIT_WORK)
                    .tag(HandoffMetrics.TAG_GROUP, group)
                    .register(registry);
            destroyFailures = Counter.builder(HandoffMetrics.DESTROY_FAILURES)
                    .description("Instance destroys that threw, failed or timed out")
                    .baseUnit(HandoffMetrics.UNIT_FAILURES)
                    .tag(HandoffMetrics.TAG_GROUP, group)
                    .register(registry);
            membersFailed = Counter.builder(HandoffMetrics.MEMBERS_FAILED)
                    .description("Members that failed between swaps and were taken out of the group")
                    .baseUnit(HandoffMetrics.UNIT_INSTANCES)
                    .tag(HandoffMetrics.TAG_GROUP, group)
                    .register(registry);
        }
    }

    static String planTag(Plan plan) {
        return plan.kind().name().toLowerCase(Locale.ROOT).replace('_', '-');
    }

    void step(SwapStep step, boolean ok, Duration duration) {
        if (registry == null) {
            return;
        }
        Timer.builder(HandoffMetrics.STEP_DURATION)
                .description("Duration of one step of a swap")
                .tag(HandoffMetrics.TAG_GROUP, group)
                .tag(HandoffMetrics.TAG_STEP, step.name().toLowerCase(Locale.ROOT))
                .tag(HandoffMetrics.TAG_RESULT, ok ? HandoffMetrics.RESULT_OK : HandoffMetrics.RESULT_FAILED)
                .register(registry)
                .record(duration);
    }

    void swapEnded(Plan plan, Release release, SwapOutcome outcome, Duration duration) {
        if (registry == null) {
            return;
        }
        String outcomeTag = outcome.name().toLowerCase(Locale.ROOT);
        Counter.builder(HandoffMetrics.SWAPS)
                .description("Swaps ended, by outcome")
                .baseUnit(HandoffMetrics.UNIT_SWAPS)
                .tag(HandoffMetrics.TAG_GROUP, group)
                .tag(HandoffMetrics.TAG_PLAN, planTag(plan))
                .tag(HandoffMetrics.TAG_OUTCOME, outcomeTag)
                .tag(HandoffMetrics.TAG_RELEASE, release.label())
                .register(registry)
                .increment();
        Timer.builder(HandoffMetrics.SWAP_DURATION)
                .description("Duration of a swap, from its start to the last old instance destroyed")
                .tag(HandoffMetrics.TAG_GROUP, group)
                .tag(HandoffMetrics.TAG_PLAN, planTag(plan))
                .tag(HandoffMetrics.TAG_OUTCOME, outcomeTag)
                .tag(HandoffMetrics.TAG_RELEASE, release.label())
                .register(registry)
                .record(duration);
    }

    void abandoned(long units) {
        if (abandoned != null && units > 0) {
            abandoned.increment(units);
        }
    }

    void destroyFailed() {
        if (destroyFailures != null) {
            destroyFailures.increment();
        }
    }

    void memberFailed() {
        if (membersFailed != null) {
            membersFailed.increment();
        }
    }
}
