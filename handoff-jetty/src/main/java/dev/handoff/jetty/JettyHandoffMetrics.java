package dev.handoff.jetty;

import dev.handoff.core.HandoffMetrics;
import dev.handoff.core.LifecycleMetrics;

import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.Meter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Tag;
import io.micrometer.core.instrument.Tags;

import java.util.Objects;
import java.util.function.Consumer;

/**
 * Binds the gauges of one {@link JettyHandoff} to a Micrometer registry: those of its lifecycle
 * ({@link LifecycleMetrics}: requests in flight, the lifecycle state) and two that only the Jetty side knows, which
 * tell why a drain has not completed yet:
 *
 * {@value HandoffMetrics#IN_FLIGHT} with {@code tracker=}{@value HandoffMetrics#TRACKER_LATE_REQUESTS}: late requests
 * running (they arrived on a keep-alive connection after the intake closed, see {@link HandoffHandler}), and
 * {@value HandoffMetrics#JETTY_CONNECTIONS_OPEN}: application connections that may still bring a request (open,
 * and not half-closed by the server). Names, tags and units are in {@link HandoffMetrics}.
 *
 * <pre>{@code
 * JettyHandoffMetrics metrics = new JettyHandoffMetrics(handoff);
 * metrics.bindTo(registry);
 * ...
 * metrics.close();   // when the instance is destroyed
 * }</pre>
 *
 * <p>The gauges hold the handoff weakly, as Micrometer's gauges do, and {@link #close()} removes every meter this
 * binder registered. Thread-safe.
 */
public final class JettyHandoffMetrics extends LifecycleMetrics {

    private final JettyHandoff handoff;

    /** @param handoff the installed handoff whose gauges to bind */
    public JettyHandoffMetrics(JettyHandoff handoff) {
        this(handoff, Tags.empty());
    }

    /**
     * @param handoff   the installed handoff whose gauges to bind
     * @param extraTags added to every meter, e.g. the application's version
     * @throws NullPointerException when an argument is null
     */
    public JettyHandoffMetrics(JettyHandoff handoff, Iterable<Tag> extraTags) {
        super(Objects.requireNonNull(handoff, "handoff must not be null"), extraTags);
        this.handoff = handoff;
    }

    /** The late requests' gauge and the open connections' gauge. */
    @Override
    protected void bindMore(MeterRegistry registry, Tags tags, Consumer<Meter> keep) {
        keep.accept(Gauge.builder(HandoffMetrics.IN_FLIGHT, handoff, current -> current.handler().lateInFlight())
                .tags(tags)
                .tag(HandoffMetrics.TAG_TRACKER, HandoffMetrics.TRACKER_LATE_REQUESTS)
                .baseUnit(HandoffMetrics.UNIT_WORK)
                .description("Requests that arrived after the intake closed and are still running")
                .register(registry));
        keep.accept(Gauge.builder(HandoffMetrics.JETTY_CONNECTIONS_OPEN, handoff,
                        JettyHandoff::openApplicationConnections)
                .tags(tags)
                .baseUnit(HandoffMetrics.UNIT_CONNECTIONS)
                .description("Application connections that may still bring a request")
                .register(registry));
    }
}
