package dev.handoff.test.orchestrator;

import static org.assertj.core.api.Assertions.assertThat;

import dev.handoff.api.InstanceFailedException;
import dev.handoff.api.Lifecycle;
import dev.handoff.api.LifecycleState;
import dev.handoff.api.Plan;
import dev.handoff.api.SwapOutcome;
import dev.handoff.api.SwapResult;
import dev.handoff.api.SwapStep;
import dev.handoff.api.event.SwapEvent.Phase;
import dev.handoff.test.sim.SimulatedInstance;
import dev.handoff.test.sim.SimulatedInstance.Fault;
import dev.handoff.test.sim.SimulatedInstance.Script;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * Swaps over dead or dying members ("never empty"): a dead old instance is already retired (detached and destroyed,
 * never asked to stop accepting or drain), and a healthy new instance is never rolled back because its old one is
 * dead.
 */
class DeadMemberTest {

    @Test
    void aMemberThatCrashedBetweenSwapsIsRetiredAndItsHealthyReplacementKept() {
        // given a one-for-one group whose only member crashed between swaps: still a member, still attached
        Sim sim = new Sim(Duration.ofMillis(100), Duration.ZERO, builder -> { });
        SimulatedInstance old = sim.adopt(1, Script.healthy()).get(0);
        sim.crashWhen(SwapStep.LAUNCH, old); // dies as the swap starts: before the supervisor can see it

        // when the next swap runs
        SwapResult result = sim.swap(Plan.oneForOne());
        sim.clock.runUntilIdle();

        // then the dead member is detached and destroyed without stop-accepting or drain, and its healthy
        // replacement serves: the swap commits, recording that the old instance was found dead
        assertThat(result.outcome()).isEqualTo(SwapOutcome.COMMITTED);
        assertThat(result.retired()).containsExactly("old-1");
        assertThat(result.cause()).get().isInstanceOfSatisfying(InstanceFailedException.class, cause -> {
            assertThat(cause.instanceId()).isEqualTo("old-1");
            assertThat(cause).hasMessageContaining("dead");
        });
        assertThat(sim.log()).containsExactly(
                "LAUNCH STARTED web-1", "LAUNCH COMPLETED web-1",
                "AWAIT_READY STARTED web-1", "AWAIT_READY COMPLETED web-1",
                "ATTACH STARTED web-1", "ATTACH COMPLETED web-1",
                "DETACH STARTED old-1", "DETACH COMPLETED old-1",
                "DESTROY STARTED old-1", "DESTROY COMPLETED old-1");
        assertThat(old.callsAfterCrash()).isEmpty();
        assertThat(old.destroyed()).isTrue();
        assertThat(sim.router.attached()).containsExactly("web-1");
        assertThat(sim.orchestrator.instances()).extracting(Lifecycle::id).containsExactly("web-1");
        sim.checker.assertHolds();

        // and the group can be swapped again
        assertThat(sim.swap(Plan.oneForOne()).outcome()).isEqualTo(SwapOutcome.COMMITTED);
        assertThat(sim.orchestrator.instances()).extracting(Lifecycle::id).containsExactly("web-2");
        sim.checker.assertHolds();
    }

    @Test
    void aMemberStoppedBehindTheOrchestratorsBackIsDeadToo() {
        // given a member that stopped without the orchestrator destroying it (it exited on its own)
        Sim sim = new Sim(Duration.ofMillis(100), Duration.ZERO, builder -> { });
        SimulatedInstance old = sim.adopt(1, Script.healthy()).get(0);
        old.destroy();
        assertThat(old.state()).isEqualTo(LifecycleState.STOPPED);

        // when
        SwapResult result = sim.swap(Plan.oneForOne());

        // then it is retired as dead: never asked to stop accepting or drain
        assertThat(result.outcome()).isEqualTo(SwapOutcome.COMMITTED);
        assertThat(result.retired()).containsExactly("old-1");
        assertThat(sim.happened(SwapStep.DRAIN, Phase.STARTED)).isFalse();
        assertThat(sim.router.attached()).containsExactly("web-1");
        assertThat(sim.orchestrator.instances()).extracting(Lifecycle::id).containsExactly("web-1");
        sim.checker.assertHolds();
    }

    /** The old instance dies during a step of its retirement (steps 4 to 6), its replacement healthy and attached. */
    @ParameterizedTest(name = "old dies at {0}")
    @EnumSource(value = SwapStep.class, names = {"DETACH", "DRAIN", "AWAIT_DRAINED"})
    void anOldInstanceThatDiesDuringItsRetirementIsDestroyedAndItsReplacementKept(SwapStep step) {
        // given an old instance serving long work, which dies during a step of its retirement (50 ms into step 4:
        // told to stop accepting, its detach not yet confirmed)
        Sim sim = new Sim(Duration.ofMillis(100), Duration.ZERO, builder -> { });
        SimulatedInstance old = sim.adopt(1, Script.healthy()).get(0);
        old.submit(Duration.ofSeconds(10));
        sim.crashWhen(step, old, step == SwapStep.DETACH ? Duration.ofMillis(50) : Duration.ZERO);

        // when
        SwapResult result = sim.swap(Plan.oneForOne());
        sim.clock.runUntilIdle();

        // then re-admission is not tried: the new instance stays, the old one is destroyed
        SimulatedInstance fresh = sim.launcher.instance("web-1");
        assertThat(old.crashed()).isTrue();
        assertThat(result.outcome()).isEqualTo(SwapOutcome.COMMITTED);
        assertThat(result.retired()).containsExactly("old-1");
        assertThat(result.abandoned()).isZero();
        assertThat(result.cause()).get().isInstanceOf(InstanceFailedException.class);
        assertThat(sim.happened(SwapStep.READMIT, Phase.STARTED)).as(sim.log().toString()).isFalse();
        assertThat(sim.happened(SwapStep.ROLLBACK, Phase.STARTED)).as(sim.log().toString()).isFalse();
        assertThat(old.destroyed()).isTrue();
        assertThat(old.callsAfterCrash()).isEmpty();
        assertThat(fresh.destroyed()).isFalse();
        assertThat(fresh.isReady()).isTrue();
        assertThat(sim.router.attached()).containsExactly("web-1");
        assertThat(sim.orchestrator.instances()).extracting(Lifecycle::id).containsExactly("web-1");
        sim.checker.assertHolds();
    }

    @Test
    void anOldInstanceThatDiesDuringThePropagationDelayIsDestroyedAtOnce() {
        // given a router that confirms in 100 ms and keeps routing for 1 s after a detach
        Sim sim = new Sim(Duration.ofMillis(100), Duration.ofSeconds(1), builder -> { });
        SimulatedInstance old = sim.adopt(1, Script.healthy()).get(0);
        sim.crashWhen(SwapStep.DETACH, old, Duration.ofMillis(500));

        // when the old instance dies while the swap waits out the propagation delay
        SwapResult result = sim.swap(Plan.oneForOne());

        // then the swap does not drain a corpse: it destroys it at once (attach confirmed at 100 ms, detach at 200 ms,
        // the crash at 600 ms) and commits
        assertThat(result.outcome()).isEqualTo(SwapOutcome.COMMITTED);
        assertThat(sim.happened(SwapStep.DRAIN, Phase.STARTED)).isFalse();
        assertThat(result.timings(SwapStep.DESTROY)).singleElement().satisfies(timing -> assertThat(timing.start())
                .isEqualTo(result.start().plus(Duration.ofMillis(600))));
        assertThat(old.destroyed()).isTrue();
        assertThat(sim.orchestrator.instances()).extracting(Lifecycle::id).containsExactly("web-1");
        sim.checker.assertHolds();
    }

    @Test
    void whenTheNewInstanceFailsBesideADeadOldOneBothAreRemovedAndTheSwapRollsBack() {
        // given a dead member, and a replacement that crashes as the dead member's retirement starts
        Sim sim = new Sim(Duration.ofMillis(100), Duration.ZERO, builder -> { });
        sim.scripts.put(0, Script.builder().crashAt(SwapStep.DETACH).build());
        SimulatedInstance old = sim.adopt(1, Script.healthy()).get(0);
        sim.crashWhen(SwapStep.LAUNCH, old); // dies as the swap starts: before the supervisor can see it

        // when
        SwapResult result = sim.swap(Plan.oneForOne());
        sim.clock.runUntilIdle();

        // then the existing rule applies (the new instance failed before its old one was destroyed: rolled back),
        // with nothing to re-admit: both are detached and destroyed, and no healthy instance is left out
        SimulatedInstance fresh = sim.launcher.instance("web-1");
        assertThat(result.outcome()).isEqualTo(SwapOutcome.ROLLED_BACK);
        assertThat(result.cause()).get().isInstanceOf(InstanceFailedException.class);
        assertThat(sim.happened(SwapStep.READMIT, Phase.STARTED)).isFalse();
        assertThat(old.destroyed()).isTrue();
        assertThat(fresh.destroyed()).isTrue();
        assertThat(old.callsAfterCrash()).isEmpty();
        assertThat(fresh.callsAfterCrash()).isEmpty();
        // the swap left the group empty; once it has ended, the supervisor restores its size
        assertThat(sim.router.attached()).containsExactly("web-2");
        assertThat(sim.orchestrator.instances()).extracting(Lifecycle::id).containsExactly("web-2");
        sim.checker.assertHolds();
    }

    @Test
    void anOldInstanceThatDiesWhileBeingReadmittedIsDestroyedWithItsFailedReplacement() {
        // given a replacement that crashes while the old instance drains, and an old instance that dies as its
        // re-admission starts
        Sim sim = new Sim(Duration.ofMillis(100), Duration.ZERO, builder -> { });
        sim.scripts.put(0, Script.builder().crashAt(SwapStep.AWAIT_DRAINED).build());
        SimulatedInstance old = sim.adopt(1, Script.healthy()).get(0);
        old.submit(Duration.ofSeconds(10));
        sim.crashWhen(SwapStep.READMIT, old);

        // when
        SwapResult result = sim.swap(Plan.oneForOne());
        sim.clock.runUntilIdle();

        // then
        assertThat(result.outcome()).isEqualTo(SwapOutcome.ROLLED_BACK);
        assertThat(old.destroyed()).isTrue();
        assertThat(sim.launcher.instance("web-1").destroyed()).isTrue();
        assertThat(old.callsAfterCrash()).isEmpty();
        // the swap left the group empty; once it has ended, the supervisor restores its size
        assertThat(sim.router.attached()).containsExactly("web-2");
        assertThat(sim.orchestrator.instances()).extracting(Lifecycle::id).containsExactly("web-2");
        sim.checker.assertHolds();
    }

    @Test
    void aFailedReplacementOfADeadMemberLeavesItUntouched() {
        // given a dead member whose replacement is never ready
        Sim sim = new Sim(Duration.ofMillis(100), Duration.ZERO, builder -> { });
        sim.scripts.put(0, Script.builder().fault(Fault.NEVER_READY).build());
        SimulatedInstance old = sim.adopt(1, Script.healthy()).get(0);
        sim.crashWhen(SwapStep.LAUNCH, old); // dies as the swap starts: before the supervisor can see it

        // when
        SwapResult result = sim.swap(Plan.oneForOne());

        // then steps 1 to 3 failed: rolled back, the swap left the dead old instance untouched
        assertThat(result.outcome()).isEqualTo(SwapOutcome.ROLLED_BACK);
        assertThat(old.callsAfterCrash()).isEmpty();

        // and once the swap has ended, the supervisor retires it and restores the group's size
        sim.clock.runUntilIdle();
        assertThat(old.destroyed()).isTrue();
        assertThat(sim.orchestrator.instances()).extracting(Lifecycle::id).containsExactly("web-2");
        assertThat(sim.router.attached()).containsExactly("web-2");
        sim.checker.assertHolds();
    }

    @Test
    void aRollingSwapRetiringFirstRetiresADeadMemberWithoutStopAcceptingOrDrain() {
        // given three members, the second dead, and a plan that retires before it launches
        Sim sim = new Sim(Duration.ofMillis(100), Duration.ZERO, builder -> { });
        List<SimulatedInstance> olds = sim.adopt(3, Script.healthy());
        sim.crashWhen(SwapStep.LAUNCH, olds.get(1)); // dies as the swap starts

        // when
        SwapResult result = sim.swap(Plan.rolling(0, 1));
        sim.clock.runUntilIdle();

        // then
        assertThat(result.outcome()).isEqualTo(SwapOutcome.COMMITTED);
        assertThat(result.retired()).containsExactlyInAnyOrder("old-1", "old-2", "old-3");
        assertThat(olds.get(1).callsAfterCrash()).isEmpty();
        assertThat(sim.orchestrator.instances()).hasSize(3).allMatch(Lifecycle::isReady);
        sim.checker.assertHolds();
    }

    @Test
    void aBlueGreenSwapRetiresADeadMemberAndCommits() {
        Sim sim = new Sim(Duration.ofMillis(100), Duration.ZERO, builder -> { });
        List<SimulatedInstance> olds = sim.adopt(2, Script.healthy());
        sim.crashWhen(SwapStep.LAUNCH, olds.get(0)); // dies as the swap starts

        SwapResult result = sim.swap(Plan.blueGreen());
        sim.clock.runUntilIdle();

        assertThat(result.outcome()).isEqualTo(SwapOutcome.COMMITTED);
        assertThat(result.retired()).containsExactlyInAnyOrder("old-1", "old-2");
        assertThat(olds.get(0).callsAfterCrash()).isEmpty();
        assertThat(sim.orchestrator.instances()).extracting(Lifecycle::id).containsExactlyInAnyOrder("web-1", "web-2");
        sim.checker.assertHolds();
    }

    @Test
    void aBlueGreenRollbackKeepsTheAttachedReplacementOfADeadMember() {
        // given two members, the first dead; the replacement of the second is never ready
        Sim sim = new Sim(Duration.ofMillis(100), Duration.ZERO, builder -> { });
        sim.scripts.put(1, Script.builder().fault(Fault.NEVER_READY).build());
        List<SimulatedInstance> olds = sim.adopt(2, Script.healthy());
        sim.crashWhen(SwapStep.LAUNCH, olds.get(0)); // dies as the swap starts

        // when the blue-green swap rolls back
        SwapResult result = sim.swap(Plan.blueGreen());
        sim.clock.runUntilIdle();

        // then the live old instance serves on, and the dead one's healthy replacement is not rolled back: there is
        // nothing to return to in its place
        assertThat(result.outcome()).isEqualTo(SwapOutcome.ROLLED_BACK);
        assertThat(olds.get(0).destroyed()).isTrue();
        assertThat(olds.get(1).isReady()).isTrue();
        assertThat(sim.launcher.instance("web-1").isReady()).isTrue();
        assertThat(sim.launcher.instance("web-2").destroyed()).isTrue();
        assertThat(sim.orchestrator.instances()).extracting(Lifecycle::id).containsExactlyInAnyOrder("old-2", "web-1");
        assertThat(sim.router.attached()).containsExactlyInAnyOrder("old-2", "web-1");
        sim.checker.assertHolds();
    }
}
