package dev.handoff.test.orchestrator;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.handoff.api.HandoffException;
import dev.handoff.api.LifecycleState;
import dev.handoff.api.Member;
import dev.handoff.api.Plan;
import dev.handoff.api.Release;
import dev.handoff.api.SwapInProgressException;
import dev.handoff.api.SwapOutcome;
import dev.handoff.core.Orchestrator;
import dev.handoff.test.sim.SimulatedInstance;
import dev.handoff.test.sim.SimulatedInstance.Fault;
import dev.handoff.test.sim.SimulatedInstance.Script;
import dev.handoff.test.sim.SimulatedLauncher;
import dev.handoff.test.sim.SimulatedRouter;
import dev.handoff.test.sim.VirtualClock;

import java.time.Duration;
import java.util.concurrent.CompletableFuture;

import org.junit.jupiter.api.Test;

/** Joining running instances: the orchestrator waits for readiness and attaches them itself, all or nothing. */
class JoinTest {

    private final VirtualClock clock = new VirtualClock();
    private final SimulatedRouter router = new SimulatedRouter(clock);
    private final SimulatedLauncher launcher = new SimulatedLauncher(clock);
    private final Release v10 = Release.of("1.0", launcher);
    private final Orchestrator orchestrator = Orchestrator.builder("web", v10, router)
            .scheduler(clock)
            .executor(Runnable::run)
            .readyTimeout(Duration.ofSeconds(10))
            .build();

    @Test
    void aJoinedInstanceIsAttachedByTheOrchestratorAndBecomesAMemberOfTheCurrentRelease() {
        SimulatedInstance running = SimulatedInstance.launch("existing", clock,
                Script.builder().readyDelay(Duration.ofSeconds(2)).build());

        clock.runUntil(orchestrator.join(running));

        assertThat(router.attached()).containsExactly("existing");
        assertThat(orchestrator.members()).containsExactly(new Member(running, v10));
        assertThat(clock.runUntil(orchestrator.swap(Plan.oneForOne())).outcome()).isEqualTo(SwapOutcome.COMMITTED);
        assertThat(running.destroyed()).as("retired by the swap").isTrue();
    }

    @Test
    void whenOneInstanceIsNeverReadyNothingJoinsAndTheOthersAreDetachedButLeftRunning() {
        SimulatedInstance healthy = SimulatedInstance.running("healthy", clock);
        SimulatedInstance stuck = SimulatedInstance.launch("stuck", clock,
                Script.builder().fault(Fault.NEVER_READY).build());

        CompletableFuture<Void> joined = orchestrator.join(healthy, stuck).toCompletableFuture();
        clock.advance(Duration.ofSeconds(11));

        assertThat(joined).isCompletedExceptionally();
        assertThatThrownBy(joined::join).hasCauseInstanceOf(HandoffException.class)
                .hasMessageContaining("instance(s) [healthy, stuck] could not join group 'web'")
                .hasMessageContaining("AWAIT_READY");
        assertThat(orchestrator.members()).isEmpty();
        assertThat(router.attached()).isEmpty();
        assertThat(healthy.destroyed()).isFalse();
        assertThat(healthy.state()).isEqualTo(LifecycleState.READY);
        assertThat(stuck.destroyed()).isFalse();
    }

    @Test
    void aJoinHoldsTheGroupLikeASwap() {
        SimulatedInstance slow = SimulatedInstance.launch("slow", clock,
                Script.builder().readyDelay(Duration.ofSeconds(5)).build());
        CompletableFuture<Void> joined = orchestrator.join(slow).toCompletableFuture();

        assertThatThrownBy(() -> orchestrator.join(SimulatedInstance.running("other", clock)))
                .isInstanceOf(SwapInProgressException.class);
        assertThatThrownBy(() -> orchestrator.join(slow)).isInstanceOf(SwapInProgressException.class);

        clock.runUntil(joined);
        assertThatThrownBy(() -> orchestrator.join(slow)).isInstanceOf(IllegalArgumentException.class)
                .hasMessage("instance 'slow' is already in group 'web': an instance cannot be adopted twice");
    }

    @Test
    void joinedInstancesAreLeftRunningWhenTheOrchestratorCloses() {
        SimulatedInstance running = SimulatedInstance.running("existing", clock);
        clock.runUntil(orchestrator.join(running));

        orchestrator.close();

        assertThat(running.destroyed()).isFalse();
    }
}
