package dev.handoff.core;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.catchThrowable;

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
        assertThat(tracker.releaseErrors()).isEqualTo(2);
    }

    @Test
    void refusesADoubleRelease() {
        int permit = tracker.tryAdmit();
        tracker.release(permit);

        assertThatThrownBy(() -> tracker.release(permit))
                .isInstanceOf(IllegalStateException.class)
                .hasMessage("double release or release without admit in tracker 'requests': permit " + permit
                        + " has no unit in flight; refused, the count is unchanged");
        assertThat(tracker.inFlight()).isZero();
        assertThat(tracker.releaseErrors()).isOne();
    }

    @Test
    void refusesAReleaseWithoutAnyAdmit() {
        assertThatThrownBy(() -> tracker.release(0))
                .isInstanceOf(IllegalStateException.class)
                .hasMessage("double release or release without admit in tracker 'requests': permit 0"
                        + " has no unit in flight; refused, the count is unchanged");
        assertThat(tracker.inFlight()).isZero();
        assertThat(tracker.releaseErrors()).isOne();

        int permit = tracker.tryAdmit();
        assertThat(tracker.inFlight()).as("the refused release left no credit behind").isOne();
        tracker.release(permit);
        assertThat(tracker.inFlight()).isZero();
    }

    @Test
    void aReleaseWithoutAdmitDoesNotFireTheDrainWhileAUnitRuns() {
        int running = tracker.tryAdmit();
        CompletableFuture<Void> drain = tracker.close().toCompletableFuture();
        // Always a permit of this tracker (it has two cells or more, a power of two), never the running one's.
        int nothingInFlight = running ^ 1;

        // As a caller that swallows the exception would: the drain must still wait for the running unit.
        Throwable refused = catchThrowable(() -> tracker.release(nothingInFlight));

        assertThat(drain).as("drain while a unit runs").isNotDone();
        assertThat(tracker.inFlight()).isOne();
        assertThat(refused).isInstanceOf(IllegalStateException.class);
        tracker.release(running);
        assertThat(drain).isCompleted();
        assertThat(tracker.releaseErrors()).isOne();
    }

    @Test
    void aDoubleReleaseDoesNotFireTheDrainWhileAUnitOfAnotherThreadRuns() throws Exception {
        int mine = tracker.tryAdmit();
        int other = admitOnAnotherCellThan(mine);
        tracker.release(other);
        CompletableFuture<Void> drain = tracker.close().toCompletableFuture();

        Throwable refused = catchThrowable(() -> tracker.release(other));

        assertThat(drain).as("drain while a unit runs").isNotDone();
        assertThat(tracker.inFlight()).isOne();
        assertThat(refused)
                .isInstanceOf(IllegalStateException.class)
                .hasMessageStartingWith("double release or release without admit in tracker 'requests'");
        tracker.release(mine);
        assertThat(drain).isCompleted();
    }

    @Test
    void countsEveryRefusedReleaseAndNothingElse() {
        int first = tracker.tryAdmit();
        int second = tracker.tryAdmit();
        tracker.release(first);
        tracker.release(second);
        assertThat(tracker.releaseErrors()).isZero();

        assertThatThrownBy(() -> tracker.release(second)).isInstanceOf(IllegalStateException.class);
        assertThatThrownBy(() -> tracker.release(second)).isInstanceOf(IllegalStateException.class);
        assertThatThrownBy(() -> tracker.release(InFlightTracker.REFUSED))
                .isInstanceOf(IllegalArgumentException.class);

        assertThat(tracker.releaseErrors()).isEqualTo(3);
        assertThat(tracker.inFlight()).isZero();
        assertThat(tracker).hasToString("InFlightTracker[requests, inFlight=0, open, releaseErrors=3]");
    }

    @Test
    void reopenKeepsTheReleaseErrors() {
        assertThatThrownBy(() -> tracker.release(0)).isInstanceOf(IllegalStateException.class);
        tracker.close();
        tracker.reopen();

        assertThat(tracker.releaseErrors()).isOne();
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

    /**
     * Admits a unit on a new thread whose permit differs from {@code permit}. Threads get cells round-robin by
     * id, and of two threads created one after the other at least one is on another cell; a few more attempts
     * absorb threads the JVM may create meanwhile.
     */
    private int admitOnAnotherCellThan(int permit) throws Exception {
        for (int attempt = 0; attempt < 16; attempt++) {
            int[] admitted = new int[1];
            Thread thread = new Thread(() -> admitted[0] = tracker.tryAdmit());
            thread.start();
            thread.join(10_000);
            assertThat(thread.isAlive()).as("admitting thread finished").isFalse();
            if (admitted[0] != permit) {
                return admitted[0];
            }
            tracker.release(admitted[0]);
        }
        throw new AssertionError("no thread got a cell other than " + permit + " in 16 attempts");
    }
}
