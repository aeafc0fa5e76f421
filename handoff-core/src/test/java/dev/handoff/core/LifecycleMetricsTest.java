package dev.handoff.core;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.Tags;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;

import org.junit.jupiter.api.Test;

class LifecycleMetricsTest {

    private final SimpleMeterRegistry registry = new SimpleMeterRegistry();
    private final InFlightTracker requests = InFlightTracker.create("requests");
    private final InstanceLifecycle lifecycle = InstanceLifecycle.newBuilder("orders-v2").tracker(requests).build();

    @Test
    void stateGaugeIsOneForTheCurrentStateOnly() {
        new LifecycleMetrics(lifecycle).bindTo(registry);

        assertThat(state("starting")).isEqualTo(1.0);
        assertThat(state("ready")).isZero();

        lifecycle.markReady();

        assertThat(state("starting")).isZero();
        assertThat(state("ready")).isEqualTo(1.0);
        assertThat(registry.find(HandoffMetrics.LIFECYCLE_STATE).gauges()).hasSize(6);
    }

    @Test
    void inFlightGaugePerTracker() {
        new LifecycleMetrics(lifecycle).bindTo(registry);
        requests.tryAdmit();
        requests.tryAdmit();

        Gauge gauge = inFlight("requests");

        assertThat(gauge.value()).isEqualTo(2.0);
        assertThat(gauge.getId().getBaseUnit()).isEqualTo("units");
        assertThat(gauge.getId().getDescription()).isNotBlank();
    }

    @Test
    void refusedReleasesAreCountedPerTracker() {
        new LifecycleMetrics(lifecycle).bindTo(registry);
        int permit = requests.tryAdmit();
        requests.release(permit);

        assertThatThrownBy(() -> requests.release(permit)).isInstanceOf(IllegalStateException.class);

        assertThat(registry.get(HandoffMetrics.RELEASE_ERRORS).tags(HandoffMetrics.TAG_INSTANCE, "orders-v2",
                HandoffMetrics.TAG_TRACKER, "requests").functionCounter().count()).isEqualTo(1.0);
    }

    @Test
    void aTrackerCreatedAfterBindingGetsItsGauge() {
        new LifecycleMetrics(lifecycle).bindTo(registry);

        InFlightTracker background = lifecycle.tracker("background");
        background.tryAdmit();

        assertThat(inFlight("background").value()).isEqualTo(1.0);
    }

    @Test
    void extraTagsAreOnEveryMeter() {
        new LifecycleMetrics(lifecycle, Tags.of("application", "orders")).bindTo(registry);

        assertThat(registry.getMeters())
                .isNotEmpty()
                .allSatisfy(meter -> assertThat(meter.getId().getTag("application")).isEqualTo("orders"));
    }

    @Test
    void closeRemovesEveryMeterAndStopsWatchingTrackers() {
        LifecycleMetrics metrics = new LifecycleMetrics(lifecycle);
        metrics.bindTo(registry);

        metrics.close();
        lifecycle.tracker("background");
        metrics.close();

        assertThat(registry.getMeters()).isEmpty();
    }

    @Test
    void rejectsNullArguments() {
        assertThatThrownBy(() -> new LifecycleMetrics(null))
                .isInstanceOf(NullPointerException.class).hasMessage("lifecycle must not be null");
        assertThatThrownBy(() -> new LifecycleMetrics(lifecycle, null))
                .isInstanceOf(NullPointerException.class).hasMessage("extraTags must not be null");
        assertThatThrownBy(() -> new LifecycleMetrics(lifecycle).bindTo(null))
                .isInstanceOf(NullPointerException.class).hasMessage("registry must not be null");
    }

    private double state(String state) {
        return registry.get(HandoffMetrics.LIFECYCLE_STATE)
                .tags(HandoffMetrics.TAG_INSTANCE, "orders-v2", HandoffMetrics.TAG_STATE, state)
                .gauge()
                .value();
    }

    private Gauge inFlight(String tracker) {
        return registry.get(HandoffMetrics.IN_FLIGHT)
                .tags(HandoffMetrics.TAG_INSTANCE, "orders-v2", HandoffMetrics.TAG_TRACKER, tracker)
                .gauge();
    }
}
