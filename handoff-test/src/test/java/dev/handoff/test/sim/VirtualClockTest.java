package dev.handoff.test.sim;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.handoff.core.Scheduler;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import org.junit.jupiter.api.Test;

class VirtualClockTest {

    private final VirtualClock clock = new VirtualClock(Instant.parse("2030-01-01T00:00:00Z"));

    @Test
    void advanceRunsDueTasksInTimeOrderThenScheduleOrder() {
        List<String> ran = new ArrayList<>();
        clock.schedule(Duration.ofSeconds(2), () -> ran.add("b@" + clock.elapsed()));
        clock.schedule(Duration.ofSeconds(1), () -> ran.add("a@" + clock.elapsed()));
        clock.schedule(Duration.ofSeconds(2), () -> ran.add("c@" + clock.elapsed()));
        clock.schedule(Duration.ofSeconds(5), () -> ran.add("late"));

        clock.advance(Duration.ofSeconds(3));

        assertThat(ran).containsExactly("a@PT1S", "b@PT2S", "c@PT2S");
        assertThat(clock.now()).isEqualTo(Instant.parse("2030-01-01T00:00:03Z"));
        assertThat(clock.pendingTasks()).isEqualTo(1);
    }

    @Test
    void cancelledTasksNeverRunAndDoNotMoveTheClock() {
        List<String> ran = new ArrayList<>();
        Scheduler.Cancellable cancelled = clock.schedule(Duration.ofHours(1), () -> ran.add("cancelled"));
        clock.schedule(Duration.ofSeconds(1), () -> ran.add("kept"));
        cancelled.cancel();

        assertThat(clock.runUntilIdle()).isEqualTo(1);
        assertThat(ran).containsExactly("kept");
        assertThat(clock.elapsed()).isEqualTo(Duration.ofSeconds(1));
    }

    @Test
    void runUntilJumpsToEachNextTaskUntilTheStageCompletes() {
        CompletableFuture<String> done = new CompletableFuture<>();
        clock.schedule(Duration.ofSeconds(30), () -> clock.schedule(Duration.ofSeconds(30), () -> done.complete("x")));
        clock.schedule(Duration.ofHours(2), () -> { });

        assertThat(clock.runUntil(done)).isEqualTo("x");
        assertThat(clock.elapsed()).isEqualTo(Duration.ofMinutes(1));
        assertThat(clock.pendingTasks()).isEqualTo(1);
    }

    @Test
    void runUntilOnAStageNothingCanCompleteSaysSo() {
        CompletableFuture<Void> never = new CompletableFuture<>();

        assertThatThrownBy(() -> clock.runUntil(never)).isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("no task is scheduled on the virtual clock");
    }

    @Test
    void runUntilRethrowsTheStagesFailure() {
        CompletableFuture<Void> failing = new CompletableFuture<>();
        clock.schedule(Duration.ofSeconds(1), () -> failing.completeExceptionally(new IllegalStateException("boom")));

        assertThatThrownBy(() -> clock.runUntil(failing)).isInstanceOf(CompletionException.class)
                .hasRootCauseMessage("boom");
    }

    @Test
    void badArgumentsAreNamed() {
        assertThatThrownBy(() -> clock.advance(Duration.ofSeconds(-1))).isInstanceOf(IllegalArgumentException.class)
                .hasMessage("duration must be >= 0, but was PT-1S");
        assertThatThrownBy(() -> clock.schedule(null, () -> { })).isInstanceOf(NullPointerException.class)
                .hasMessage("delay must not be null");
        assertThatThrownBy(() -> new VirtualClock(null)).isInstanceOf(NullPointerException.class)
                .hasMessage("start must not be null");
    }
}
