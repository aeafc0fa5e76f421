package dev.handoff.core;

import dev.handoff.api.LifecycleState;

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
 * Binds the gauges of one {@link InstanceLifecycle} to a Micrometer registry:
 *
 * <table>
 *   <caption>Meters</caption>
 *   <tr><th>name</th><th>type</th><th>tags</th><th>value</th></tr>
 *   <tr><td>{@value #IN_FLIGHT}</td><td>gauge, base unit {@value #UNITS}</td>
 *       <td>{@value #TAG_INSTANCE}, {@value #TAG_TRACKER}</td>
 *       <td>units of work admitted and not yet finished in that tracker (one gauge per tracker, including
 *       trackers the instance creates after binding)</td></tr>
 *   <tr><td>{@value #STATE}</td><td>gauge</td><td>{@value #TAG_INSTANCE}, {@value #TAG_STATE}</td>
 *       <td>1 for the instance's current state, 0 for the others (one gauge per state; the tag value is the
 *       state's name in lower case, e.g. {@code draining})</td></tr>
 * </table>
 *
 * <p>Extra tags given to the constructor are added to every meter.
 *
 * <p><b>Lifetime.</b> The gauges hold the lifecycle and its trackers weakly: binding does not keep an instance
 * alive, and a gauge of a collected instance reports {@code NaN}. The lifecycle holds the registry (to add the
 * gauge of a tracker created later) until {@link #close()}, which removes every meter this binder registered,
 * e.g. when the instance is destroyed.
 *
 * <p>Thread-safe.
 */
public final class LifecycleMetrics implements MeterBinder, AutoCloseable {

    /** Gauge: units of work in flight in one tracker of one instance. */
    public static final String IN_FLIGHT = "handoff.inflight";
    /** Gauge: 1 when the instance is in the state named by the {@value #TAG_STATE} tag, 0 otherwise. */
    public static final String STATE = "handoff.lifecycle.state";
    /** Tag: the instance's name ({@link InstanceLifecycle#id()}). */
    public static final String TAG_INSTANCE = "instance";
    /** Tag: the tracker's name ({@link InFlightTracker#name()}). */
    public static final String TAG_TRACKER = "tracker";
    /** Tag: a lifecycle state in lower case. */
    public static final String TAG_STATE = "state";
    /** Base unit of {@value #IN_FLIGHT}. */
    public static final String UNITS = "units";

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
                .and(TAG_INSTANCE, lifecycle.id());
    }

    /**
     * Registers the state gauges and one in-flight gauge per tracker, now and for every tracker the instance
     * creates later, until {@link #close()}.
     *
     * @param registry where to register
     * @throws NullPointerException when {@code registry} is null
     */
    @Override
    public void bindTo(MeterRegistry registry) {
        Objects.requireNonNull(registry, "registry must not be null");
        Binding binding = new Binding(registry);
        for (LifecycleState state : LifecycleState.values()) {
            binding.meters.add(Gauge.builder(STATE, lifecycle, current -> current.state() == state ? 1 : 0)
                    .tags(tags)
                    .tag(TAG_STATE, state.name().toLowerCase(Locale.ROOT))
                    .description("1 when the instance is in this lifecycle state, 0 otherwise")
                    .register(registry));
        }
        bindings.add(binding);
        lifecycle.watchTrackers(binding).forEach(binding);
    }

    /** Removes every meter this binder registered, from every registry it was bound to. Idempotent. */
    @Override
    public void close() {
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
            meters.add(Gauge.builder(IN_FLIGHT, tracker, InFlightTracker::inFlight)
                    .tags(tags)
                    .tag(TAG_TRACKER, tracker.name())
                    .baseUnit(UNITS)
                    .description("Units of work admitted and not yet finished in one intake of an instance")
                    .register(registry));
        }
    }
}
