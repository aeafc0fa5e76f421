package dev.handoff.queue.internal;

import dev.handoff.core.HandoffMetrics;
import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.Meter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Tags;
import java.util.Map;
import java.util.function.Consumer;
import java.util.function.Function;
import java.util.function.ToLongFunction;

/**
 * The {@value HandoffMetrics#QUEUE_JOBS} counters every consumer's meter binder registers (this module's and the
 * broker adapters'), so that one dashboard serves every broker. Not API.
 */
public final class JobMeters {

    private JobMeters() {
    }

    /**
     * Registers one function counter per outcome, reading the consumer's counters when scraped.
     *
     * @param registry where to register
     * @param tags     the binder's tags
     * @param keep     gets each meter registered, for the binder's {@code close()}
     * @param consumer the consumer, held weakly by the meters
     * @param stats    reads the consumer's counters
     * @param outcomes the {@value HandoffMetrics#TAG_OUTCOME} tag values and their counts
     * @param <C>      the consumer's type
     * @param <S>      its counters' type
     */
    public static <C, S> void bindOutcomes(MeterRegistry registry, Tags tags, Consumer<Meter> keep, C consumer,
                                           Function<C, S> stats, Map<String, ToLongFunction<S>> outcomes) {
        outcomes.forEach((outcome, count) -> keep.accept(
                FunctionCounter.builder(HandoffMetrics.QUEUE_JOBS, consumer,
                                bound -> count.applyAsLong(stats.apply(bound)))
                        .tags(tags)
                        .tag(HandoffMetrics.TAG_OUTCOME, outcome)
                        .baseUnit(HandoffMetrics.UNIT_JOBS)
                        .description("Jobs settled by the consumer, by outcome")
                        .register(registry)));
    }
}
