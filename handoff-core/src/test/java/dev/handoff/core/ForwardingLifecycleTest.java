package dev.handoff.core;

import static dev.handoff.api.LifecycleState.DRAINED;
import static dev.handoff.api.LifecycleState.DRAINING;
import static dev.handoff.api.LifecycleState.READY;
import static dev.handoff.api.LifecycleState.STARTING;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.handoff.api.Lifecycle;
import dev.handoff.api.LifecycleListener;
import dev.handoff.api.LifecycleState;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

class ForwardingLifecycleTest {

    private final InFlightTracker requests = InFlightTracker.create("requests");
    private final InstanceLifecycle delegate = InstanceLifecycle.builder("orders-v2").tracker(requests).build();

    @Test
    void forwardsEveryCallToTheDelegate() {
        Lifecycle forwarding = new ForwardingLifecycle(delegate) { };
        List<String> changes = new ArrayList<>();
        LifecycleListener listener = (from, to) -> changes.add(from + "->" + to);
        forwarding.addListener(listener);

        assertThat(forwarding.state()).isEqualTo(STARTING);
        assertThat(forwarding.isReady()).isFalse();
        CompletionStage<Void> ready = forwarding.whenReady();
        assertThat(ready.toCompletableFuture()).isNotDone();

        delegate.markReady();
        assertThat(forwarding.state()).isEqualTo(READY);
        assertThat(forwarding.isReady()).isTrue();
        assertThat(ready.toCompletableFuture()).isCompleted();

        int permit = requests.tryAdmit();
        assertThat(forwarding.inFlight()).isEqualTo(1);

        forwarding.stopAccepting();
        assertThat(delegate.state()).isEqualTo(DRAINING);
        forwarding.resumeAccepting();
        assertThat(delegate.state()).isEqualTo(READY);

        forwarding.stopAccepting();
        CompletionStage<Void> drained = forwarding.drain();
        assertThat(drained.toCompletableFuture()).isNotDone();
        requests.release(permit);
        assertThat(drained.toCompletableFuture()).isCompleted();
        assertThat(forwarding.inFlight()).isZero();
        assertThat(delegate.state()).isEqualTo(DRAINED);

        forwarding.removeListener(listener);
        delegate.stop();
        assertThat(changes).containsExactly("STARTING->READY", "READY->DRAINING", "DRAINING->READY",
                "READY->DRAINING", "DRAINING->DRAINED");
    }

    @Test
    void anOverrideReplacesOnlyItsOwnCall() {
        AtomicInteger stops = new AtomicInteger();
        Lifecycle forwarding = new ForwardingLifecycle(delegate) {
            @Override
            public void stopAccepting() {
                stops.incrementAndGet();
            }
        };
        delegate.markReady();

        forwarding.stopAccepting();

        assertThat(stops).hasValue(1);
        assertThat(forwarding.state()).isEqualTo(LifecycleState.READY);
    }

    @Test
    void rejectsANullDelegate() {
        assertThatThrownBy(() -> new ForwardingLifecycle(null) { })
                .isInstanceOf(NullPointerException.class)
                .hasMessage("delegate must not be null");
    }
}
