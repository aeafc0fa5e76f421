package dev.handoff.core;

import dev.handoff.api.LifecycleState;

import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.Meter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Tag;
import io.micrometer.core.instrument.Tags;
import io.micrometer.core.instrument.binder.MeterBinder;

import java.util.List;
import java.util.Locale;
import java.util.Objects;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.Consumer;

/**
 * Binds the meters of one {@link InstanceLifecycle} to a Micrometer registry: {@value HandoffMetrics#IN_FLIGHT}
 * and {@value HandoffMetrics#RELEASE_ERRORS} per tracker (including trackers the instance creates after binding),
 * and {@value HandoffMetrics#LIFECYCLE_STATE} per state; names, tags and units are in {@link HandoffMetrics}.
 * Extra tags given to the constructor are added to every meter.
 *
 * <p><b>Lifetime.</b> The gauges hold the lifecycle and its trackers weakly: binding does not keep an instance
 * alive, and a gauge of a collected instance reports {@code NaN}. The lifecycle holds the registry (to add the
 * meters of a tracker created later) until {@link #close()}, which removes every meter this binder registered,
 * e.g. when the instance is destroyed.
 *
 * <p><b>Adapters</b> extend it to bind their own meters beside the lifecycle's ({@link #bindMore}); {@link #close()}
 * removes those too.
 *
 * <p>Thread-safe.
 */
public class LifecycleMetrics implements MeterBinder, AutoCloseable {

    private final InstanceLifecycle lifecycle;
    private final Tags tags;
    private final List<Binding> bindings = new CopyOnWriteArrayList<>();

    /**
     * @param lifecycle the instance to measure
     * @throws NullPointerException when {@code lifecycle} is null
     */
    public LifecycleMetrics(InstanceLifecycle lifecycle) {
        this(lifecycle, Tags.empty());
    }

    /**
     * @param lifecycle the instance to measure
     * @param extraTags added to every meter, e.g. the application's name
     * @throws NullPointerException when an argument is null
     */
    public LifecycleMetrics(InstanceLifecycle lifecycle, Iterable<Tag> extraTags) {
        this.lifecycle = Objects.requireNonNull(lifecycle, "lifecycle must not be null");
        this.tags = Tags.of(Objects.requireNonNull(extraTags, "extraTags must not be null"))
                .and(HandoffMetrics.TAG_INSTANCE, lifecycle.id());
    }

    /**
     * Registers the state gauges and one in-flight gauge per tracker, now and for every tracker the instance
     * creates later, until {@link #close()}.
     *
     * @param registry where to register
     * @throws NullPointerException when {@code registry} is null
     */
    @Override
    public final void bindTo(MeterRegistry registry) {
        Objects.requireNonNull(registry, "registry must not be null");
        Binding binding = new Binding(registry);
        for (LifecycleState state : LifecycleState.values()) {
            binding.meters.add(Gauge.builder(HandoffMetrics.LIFECYCLE_STATE, lifecycle,
                            current -> current.state() == state ? 1 : 0)
                    .tags(tags)
                    .tag(HandoffMetrics.TAG_STATE, state.name().toLowerCase(Locale.ROOT))
                    .description("1 when the instance is in this lifecycle state, 0 otherwise")
                    .register(registry));
        }
        bindMore(registry, tags, binding.meters::add);
        bindings.add(binding);
        lifecycle.watchTrackers(binding).forEach(binding);
    }

    /**
     * An adapter's own meters: called once per {@link #bindTo}, after the lifecycle's meters are registered.
     *
     * @param registry where to register
     * @param tags     the tags every meter of this binder carries (the instance's id and the extra tags)
     * @param keep     give it every meter registered, so that {@link #close()} removes it
     */
    protected void bindMore(MeterRegistry registry, Tags tags, Consumer<Meter> keep) {
        // the lifecycle's meters only
    }

    /** Removes every meter this binder registered, from every registry it was bound to. Idempotent. */
    @Override
    public final void close() {
        for (Binding binding : bindings) {
            lifecycle.unwatchTrackers(binding);
            binding.meters.forEach(binding.registry::remove);
            bindings.remove(binding);
        }
    }

    /** The meters registered in one registry; registers the gauge of each tracker it is given. */
    private final class Binding implements Consumer<InFlightTracker> {
        final MeterRegistry registry;
        final List<Meter> meters = new CopyOnWriteArrayList<>();

        Binding(MeterRegistry registry) {
            this.registry = registry;
        }

        @Override
        public void accept(InFlightTracker tracker) {
            meters.add(Gauge.builder(HandoffMetrics.IN_FLIGHT, tracker, InFlightTracker::inFlight)
                    .tags(tags)
                    .tag(HandoffMetrics.TAG_TRACKER, tracker.name())
                    .baseUnit(HandoffMetrics.UNIT_WORK)
                    .description("Units of work admitted and not yet finished in one intake of an instance")
                    .register(registry));
            meters.add(FunctionCounter.builder(HandoffMetrics.RELEASE_ERRORS, tracker, InFlightTracker::releaseErrors)
                    .tags(tags)
                    .tag(HandoffMetrics.TAG_TRACKER, tracker.name())
                    .baseUnit(HandoffMetrics.UNIT_ERRORS)
                    .description("Releases the tracker refused: a unit released twice, or without being admitted")
                    .register(registry));
        }
    }
}
