package dev.handoff.core;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.Test;

class InFlightTrackerTest {

    private final InFlightTracker tracker = InFlightTracker.create("requests");

    @Test
    void admitsAndReleases() {
        int first = tracker.tryAdmit();
        int second = tracker.tryAdmit();

        assertThat(first).isNotEqualTo(InFlightTracker.REFUSED);
        assertThat(second).isNotEqualTo(InFlightTracker.REFUSED);
        assertThat(tracker.inFlight()).isEqualTo(2);

        tracker.release(first);
        assertThat(tracker.inFlight()).isEqualTo(1);
        tracker.release(second);
        assertThat(tracker.inFlight()).isZero();
        assertThat(tracker.isClosed()).isFalse();
    }

    @Test
    void permitMayBeReleasedFromAnotherThread() throws Exception {
        int permit = tracker.tryAdmit();

        CompletableFuture.runAsync(() -> tracker.release(permit)).get(10, TimeUnit.SECONDS);

        assertThat(tracker.inFlight()).isZero();
    }

    @Test
    void refusesAfterClose() {
        tracker.close();

        assertThat(tracker.tryAdmit()).isEqualTo(InFlightTracker.REFUSED);
        assertThat(tracker.inFlight()).isZero();
        assertThat(tracker.isClosed()).isTrue();
    }

    @Test
    void drainCompletesAtOnceWhenEmpty() {
        CompletionStage<Void> drain = tracker.close();

        assertThat(drain.toCompletableFuture()).isCompleted();
    }

    @Test
    void drainCompletesOnLastRelease() {
        int first = tracker.tryAdmit();
        int second = tracker.tryAdmit();

        CompletableFuture<Void> drain = tracker.close().toCompletableFuture();
        assertThat(drain).isNotDone();

        tracker.release(first);
        assertThat(drain).isNotDone();
        tracker.release(second);
        assertThat(drain).isCompleted();
    }

    @Test
    void refusedAdmitDoesNotHoldTheDrain() {
        int permit = tracker.tryAdmit();
        CompletableFuture<Void> drain = tracker.close().toCompletableFuture();

        assertThat(tracker.tryAdmit()).isEqualTo(InFlightTracker.REFUSED);
        tracker.release(permit);

        assertThat(drain).isCompleted();
    }

    @Test
    void closeIsIdempotent() {
        tracker.tryAdmit();

        CompletionStage<Void> first = tracker.close();
        CompletionStage<Void> second = tracker.close();

        assertThat((Object) second).isSameAs(first);
    }

    @Test
    void reopenAdmitsAgainAndTheNextCloseHasItsOwnDrain() {
        int before = tracker.tryAdmit();
        CompletableFuture<Void> firstDrain = tracker.close().toCompletableFuture();

        tracker.reopen();
        int after = tracker.tryAdmit();

        assertThat(tracker.isClosed()).isFalse();
        assertThat(after).isNotEqualTo(InFlightTracker.REFUSED);
        assertThat(tracker.inFlight()).isEqualTo(2);

        CompletableFuture<Void> secondDrain = tracker.close().toCompletableFuture();
        assertThat(secondDrain).isNotSameAs(firstDrain).isNotDone();
        tracker.release(before);
        tracker.release(after);
        assertThat(secondDrain).isCompleted();
    }

    @Test
    void reopenWhenOpenIsANoOp() {
        tracker.reopen();

        assertThat(tracker.isClosed()).isFalse();
        assertThat(tracker.tryAdmit()).isNotEqualTo(InFlightTracker.REFUSED);
    }

    @Test
    void rejectsABadPermit() {
        assertThatThrownBy(() -> tracker.release(InFlightTracker.REFUSED))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("permit must be a value returned by tryAdmit(), but was -1");
        assertThatThrownBy(() -> tracker.release(Integer.MAX_VALUE))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("but was " + Integer.MAX_VALUE);
        assertThat(tracker.inFlight()).isZero();
    }

    @Test
    void rejectsABadName() {
        assertThatThrownBy(() -> InFlightTracker.create(null))
                .isInstanceOf(NullPointerException.class)
                .hasMessage("name must not be null");
        assertThatThrownBy(() -> InFlightTracker.create("  "))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("name must not be blank, but was '  '");
    }

    @Test
    void describesItself() {
        tracker.tryAdmit();

        assertThat(tracker.name()).isEqualTo("requests");
        assertThat(tracker).hasToString("InFlightTracker[requests, inFlight=1, open]");
    }
}
