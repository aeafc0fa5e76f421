package dev.handoff.test.orchestrator;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import dev.handoff.api.Plan;
import dev.handoff.api.SwapOutcome;
import dev.handoff.api.SwapResult;
import dev.handoff.core.Orchestrator;
import dev.handoff.test.sim.SimulatedInstance;
import dev.handoff.test.sim.SimulatedInstance.Fault;
import dev.handoff.test.sim.SimulatedInstance.Script;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import org.junit.jupiter.api.Test;

/** What {@code close()} does to the group's instances: by default, the ones it launched are destroyed. */
class OrchestratorCloseTest {

    @Test
    void givenAStartedAndSwappedGroup_whenTheOrchestratorCloses_thenTheInstancesItLaunchedAreDestroyed() {
        // given a group started by the orchestrator and swapped once
        Sim sim = new Sim();
        sim.clock.runUntil(sim.orchestrator.start(2));
        assertThat(sim.swap(Plan.rolling(1, 0)).outcome()).isEqualTo(SwapOutcome.COMMITTED);
        List<SimulatedInstance> serving = List.of(sim.launcher.instance("web-3"), sim.launcher.instance("web-4"));
        assertThat(serving).noneMatch(SimulatedInstance::destroyed);

        // when
        sim.orchestrator.close();

        // then nothing it launched runs on: a program can end
        assertThat(sim.launcher.launched()).hasSize(4).allMatch(SimulatedInstance::destroyed);
        assertThat(sim.orchestrator.instances()).isEmpty();
        assertThat(sim.destroyFailures()).isZero();
    }

    @Test
    void givenTheLeaveRunningPolicy_whenTheOrchestratorCloses_thenNoInstanceIsTouched() {
        Sim sim = new Sim(Duration.ZERO, Duration.ZERO, builder -> builder.onClose(Orchestrator.OnClose.LEAVE_RUNNING));
        sim.clock.runUntil(sim.orchestrator.start(2));

        sim.orchestrator.close();

        assertThat(sim.launcher.launched()).hasSize(2).noneMatch(SimulatedInstance::destroyed);
        assertThat(sim.router.attached()).containsExactlyInAnyOrder("web-1", "web-2");
    }

    @Test
    void givenAGroupOfAdoptedAndLaunchedInstances_whenItCloses_thenOnlyTheLaunchedOnesAreDestroyedByDefault() {
        // given two adopted instances, the second of which a halted rolling swap left in place
        Sim sim = new Sim();
        sim.scripts.put(1, Script.builder().fault(Fault.NEVER_READY).build());
        List<SimulatedInstance> adopted = sim.adopt(2, Script.healthy());
        assertThat(sim.swap(Plan.rolling(1, 0)).outcome()).isEqualTo(SwapOutcome.ROLLED_BACK);
        assertThat(sim.router.attached()).containsExactlyInAnyOrder("web-1", "old-2");

        // when
        sim.orchestrator.close();

        // then
        assertThat(sim.launcher.instance("web-1").destroyed()).isTrue();
        assertThat(adopted.get(1).destroyed()).isFalse();
        assertThat(sim.orchestrator.instances()).containsExactly(adopted.get(1));
    }

    @Test
    void givenTheDestroyAllPolicy_whenTheOrchestratorCloses_thenAdoptedInstancesAreDestroyedToo() {
        Sim sim = new Sim(Duration.ZERO, Duration.ZERO, builder -> builder.onClose(Orchestrator.OnClose.DESTROY_ALL));
        List<SimulatedInstance> adopted = sim.adopt(2, Script.healthy());

        sim.orchestrator.close();

        assertThat(adopted).allMatch(SimulatedInstance::destroyed);
        assertThat(sim.orchestrator.instances()).isEmpty();
    }

    @Test
    void givenARunningSwap_whenTheOrchestratorCloses_thenTheSwapEndsAndItsInstancesAreDestroyedAfterIt() {
        // given a swap waiting for its new instance to be ready
        Sim sim = new Sim();
        sim.scripts.put(1, Script.builder().readyDelay(Duration.ofSeconds(2)).build());
        sim.clock.runUntil(sim.orchestrator.start(1));
        CompletionStage<SwapResult> running = sim.orchestrator.swap(Plan.oneForOne());
        sim.clock.advance(Duration.ofSeconds(1));

        // when
        sim.orchestrator.close();

        // then close does not wait for the swap, which commits; then what it launched is destroyed
        assertThat(sim.launcher.instance("web-2").destroyed()).isFalse();
        assertThat(sim.clock.runUntil(running).outcome()).isEqualTo(SwapOutcome.COMMITTED);
        sim.clock.runUntilIdle();
        assertThat(sim.launcher.launched()).hasSize(2).allMatch(SimulatedInstance::destroyed);
        assertThatThrownBy(() -> sim.orchestrator.start(1)).isInstanceOf(IllegalStateException.class)
                .hasMessage("the orchestrator of group 'web' is closed");
    }

    @Test
    void givenADestroyThatHangs_whenTheOrchestratorCloses_thenCloseEndsAtTheDestroyDeadlineAndReportsIt() {
        // given a launched instance whose destroy never completes
        Sim sim = new Sim();
        sim.scripts.put(0, Script.builder().fault(Fault.DESTROY_HANGS).build());
        sim.clock.runUntil(sim.orchestrator.start(1));
        assertThat(sim.clock.pendingTasks()).isZero();

        // when the orchestrator closes (on another thread: close blocks, and the virtual clock must move on)
        CompletableFuture<Void> closing = CompletableFuture.runAsync(sim.orchestrator::close);
        await().atMost(Duration.ofSeconds(10)).until(() -> sim.clock.pendingTasks() > 0);
        sim.clock.advance(Duration.ofSeconds(5));

        // then close returns once the destroy deadline has passed, and the failure is counted
        await().atMost(Duration.ofSeconds(10)).until(closing::isDone);
        assertThat(closing).isCompleted();
        assertThat(sim.destroyFailures()).isEqualTo(1.0);
        assertThat(sim.orchestrator.instances()).isEmpty();
    }
}
