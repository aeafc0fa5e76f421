package dev.handoff.test.sim;

import static org.assertj.core.api.Assertions.assertThat;

import dev.handoff.api.InstanceFailedException;
import dev.handoff.api.LifecycleState;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CompletionStage;
import org.junit.jupiter.api.Test;

/** A crashed simulated instance answers like a dead process. */
class SimulatedInstanceTest {

    private final VirtualClock clock = new VirtualClock();

    @Test
    void aCrashedInstanceRefusesStopAcceptingDrainAndResumeAcceptingNamingTheCrash() {
        // given a serving instance
        SimulatedInstance instance = SimulatedInstance.running("a", clock);

        // when it crashes
        instance.crash();

        // then it is dead: not ready, its failure known, and every call that needs a live process fails
        assertThat(instance.isReady()).isFalse();
        assertThat(instance.state()).isEqualTo(LifecycleState.FAILED);
        assertThat(instance.failure().toCompletableFuture()).isCompletedExceptionally();
        assertCrashNamed(instance.stopAccepting(), "instance a: cannot stop accepting: it crashed (simulated crash)");
        assertCrashNamed(instance.drain(), "instance a: cannot drain: it crashed (simulated crash)");
        assertCrashNamed(instance.resumeAccepting(), "instance a: cannot resume accepting: it crashed (simulated crash)");
        assertThat(instance.state()).isEqualTo(LifecycleState.FAILED);
        assertThat(instance.callsAfterCrash()).containsExactly(
                "instance a was asked to stop accepting at PT0S, after it crashed",
                "instance a was asked to drain at PT0S, after it crashed",
                "instance a was asked to resume accepting at PT0S, after it crashed");
    }

    @Test
    void aDestroyOfACrashedInstanceSucceedsReleasingNothing() {
        SimulatedInstance instance = SimulatedInstance.running("a", clock);
        instance.submit(Duration.ofSeconds(1));
        instance.crash();

        CompletionStage<Void> destroyed = instance.destroy();

        assertThat(destroyed.toCompletableFuture()).isCompleted().isNotCompletedExceptionally();
        assertThat(instance.destroyed()).isTrue();
        assertThat(instance.state()).isEqualTo(LifecycleState.FAILED);
        assertThat(instance.lostInCrash()).isEqualTo(1);
        assertThat(instance.cutByDestroy()).isZero();
    }

    @Test
    void aDrainInProgressFailsWhenTheInstanceCrashes() {
        // given an instance draining one unit of work
        SimulatedInstance instance = SimulatedInstance.running("a", clock);
        instance.submit(Duration.ofSeconds(10));
        CompletionStage<Void> drained = instance.drain();
        clock.advance(Duration.ofSeconds(1));

        // when it crashes before the work is done
        instance.crash();

        // then drain-complete never comes: the drain fails naming the crash
        assertCrashNamed(drained, "instance a: cannot drain: it crashed (simulated crash)");
        assertThat(instance.state()).isEqualTo(LifecycleState.FAILED);
    }

    @Test
    void aDestroyedInstanceRefusesStopAcceptingNamingItsState() {
        SimulatedInstance instance = SimulatedInstance.running("a", clock);
        instance.destroy();

        assertThat(instance.stopAccepting().toCompletableFuture()).isCompletedExceptionally();
        assertThat(failureOf(instance.stopAccepting())).isInstanceOf(IllegalStateException.class)
                .hasMessage("instance a is STOPPED and cannot stop accepting");
    }

    private static void assertCrashNamed(CompletionStage<?> stage, String message) {
        assertThat(failureOf(stage)).isInstanceOf(InstanceFailedException.class).hasMessage(message)
                .cause().hasMessage("instance a: simulated crash");
    }

    private static Throwable failureOf(CompletionStage<?> stage) {
        CompletableFuture<?> future = stage.toCompletableFuture();
        assertThat(future).isCompletedExceptionally();
        try {
            future.join();
        } catch (CompletionException e) {
            return e.getCause();
        }
        throw new AssertionError("not failed");
    }
}
