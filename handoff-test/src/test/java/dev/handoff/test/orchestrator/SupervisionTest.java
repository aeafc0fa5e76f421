package dev.handoff.test.orchestrator;

import static org.assertj.core.api.Assertions.assertThat;

import dev.handoff.api.Plan;
import dev.handoff.api.Release;
import dev.handoff.api.SwapOutcome;
import dev.handoff.api.event.MemberFailure;
import dev.handoff.api.event.SwapListener;
import dev.handoff.core.HandoffMetrics;
import dev.handoff.core.Orchestrator;
import dev.handoff.test.sim.SimulatedInstance;
import dev.handoff.test.sim.SimulatedInstance.Fault;
import dev.handoff.test.sim.SimulatedInstance.Script;
import dev.handoff.test.sim.SimulatedLauncher;
import dev.handoff.test.sim.SimulatedRouter;
import dev.handoff.test.sim.VirtualClock;

import io.micrometer.core.instrument.simple.SimpleMeterRegistry;

import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Consumer;
import java.util.function.IntFunction;

import org.junit.jupiter.api.Test;

/** Members are watched between swaps: a dead one is detached at once, reported, and replaced with a back-off. */
class SupervisionTest {

    private final VirtualClock clock = new VirtualClock();
    private final SimulatedRouter router = new SimulatedRouter(clock);
    private final SimpleMeterRegistry registry = new SimpleMeterRegistry();
    private final List<MemberFailure> failures = new CopyOnWriteArrayList<>();
    private SimulatedLauncher launcher;
    private Orchestrator orchestrator;

    private void build(IntFunction<Script> scripts, Consumer<Orchestrator.Builder> configure) {
        launcher = new SimulatedLauncher(clock, scripts);
        Orchestrator.Builder builder = Orchestrator.builder("web", Release.of("1.0", launcher), router)
                .scheduler(clock)
                .executor(Runnable::run)
                .meterRegistry(registry)
                .readyTimeout(Duration.ofSeconds(10))
                .listener(new SwapListener() {
                    @Override
                    public void onMemberFailure(MemberFailure failure) {
                        failures.add(failure);
                    }
                });
        configure.accept(builder);
        orchestrator = builder.build();
    }

    private SimulatedInstance member(int index) {
        return (SimulatedInstance) orchestrator.instances().get(index);
    }

    @Test
    void aMemberThatDiesBetweenSwapsIsDetachedReportedAndReplaced() {
        build(index -> Script.healthy(), builder -> { });
        clock.runUntil(orchestrator.start(2));
        SimulatedInstance victim = member(0);
        SimulatedInstance survivor = member(1);

        victim.crash();
        clock.runUntilIdle();

        assertThat(router.attached()).doesNotContain(victim.id()).contains(survivor.id()).hasSize(2);
        assertThat(orchestrator.instances()).hasSize(2).contains(survivor).doesNotContain(victim);
        assertThat(victim.destroyed()).isTrue();
        assertThat(failures).singleElement().satisfies(failure -> {
            assertThat(failure.instanceId()).isEqualTo(victim.id());
            assertThat(failure.release()).isEqualTo("1.0");
            assertThat(failure.replacing()).isTrue();
        });
        assertThat(registry.get(HandoffMetrics.MEMBERS_FAILED).counter().count()).isEqualTo(1.0);
        assertThat(orchestrator.releases()).containsExactly(Release.of("1.0", launcher));

        // and the healed group swaps as usual
        assertThat(clock.runUntil(orchestrator.swap(Plan.rolling(1, 0))).outcome()).isEqualTo(SwapOutcome.COMMITTED);
        assertThat(orchestrator.instances()).hasSize(2);
    }

    @Test
    void withReportOnlyTheDeadMemberIsDetachedAndNotReplaced() {
        build(index -> Script.healthy(), builder -> builder.onMemberFailure(Orchestrator.OnMemberFailure.REPORT));
        clock.runUntil(orchestrator.start(2));
        SimulatedInstance victim = member(0);

        victim.crash();
        clock.runUntilIdle();

        assertThat(orchestrator.instances()).hasSize(1).doesNotContain(victim);
        assertThat(router.attached()).hasSize(1);
        assertThat(launcher.launched()).hasSize(2);
        assertThat(failures).singleElement().extracting(MemberFailure::replacing).isEqualTo(false);
    }

    @Test
    void replacementsThatCannotStartBackOffUpToTheBoundAndTheGroupHealsOnceTheyCan() {
        // given: instance 3 onwards fail to start until the "broker" is back
        AtomicBoolean brokerDown = new AtomicBoolean();
        build(index -> brokerDown.get() ? Script.builder().fault(Fault.FAILS_TO_START).build() : Script.healthy(),
                builder -> builder.replaceBackoff(Duration.ofSeconds(1), Duration.ofSeconds(8)));
        clock.runUntil(orchestrator.start(1));
        brokerDown.set(true);

        // when the member dies and every replacement fails for a minute
        member(0).crash();
        List<Instant> attempts = new CopyOnWriteArrayList<>();
        Instant start = clock.now();
        for (int i = 0; i < 60; i++) {
            int before = launcher.launched().size();
            clock.advance(Duration.ofSeconds(1));
            if (launcher.launched().size() > before) {
                attempts.add(clock.now());
            }
        }

        // then: the first replacement came at once, and the waits between tries doubled up to 8 s, never more
        assertThat(orchestrator.instances()).isEmpty();
        assertThat(launcher.launched().size()).isBetween(8, 12);
        for (int i = 1; i < attempts.size(); i++) {
            assertThat(Duration.between(attempts.get(i - 1), attempts.get(i))).isLessThanOrEqualTo(
                    Duration.ofSeconds(9));
        }
        assertThat(Duration.between(start, attempts.get(attempts.size() - 1))).isGreaterThan(Duration.ofSeconds(40));

        // when the broker is back, the next try heals the group with no call from the user
        brokerDown.set(false);
        clock.advance(Duration.ofSeconds(9));
        assertThat(orchestrator.instances()).hasSize(1);
        assertThat(router.attached()).hasSize(1);
    }

    @Test
    void aReplacementThatDiesYoungBacksOffInsteadOfSpinning() {
        build(index -> index == 0 ? Script.healthy()
                        : Script.builder().crashAfterReady(Duration.ofMillis(100)).build(),
                builder -> builder.replaceBackoff(Duration.ofSeconds(1), Duration.ofSeconds(30)));
        clock.runUntil(orchestrator.start(1));

        member(0).crash();
        clock.advance(Duration.ofSeconds(30));

        // at once, then after 1, 2, 4, 8 s and (within 30 s) 16 s at most: six launches, not hundreds
        assertThat(launcher.launched().size()).isBetween(4, 7);
    }

    @Test
    void aMemberThatLeavesReadyForLongerThanTheThresholdIsReplacedAndOneThatComesBackIsKept() {
        build(index -> Script.healthy(), builder -> builder.readinessLossThreshold(Duration.ofSeconds(5)));
        clock.runUntil(orchestrator.start(2));
        SimulatedInstance wanders = member(0);
        SimulatedInstance returns = member(1);

        // someone else tells both to stop accepting (a platform's SIGTERM, an operator)
        wanders.stopAccepting();
        returns.stopAccepting();
        clock.advance(Duration.ofSeconds(2));
        returns.resumeAccepting();
        clock.advance(Duration.ofSeconds(4));

        assertThat(orchestrator.instances()).hasSize(2).contains(returns).doesNotContain(wanders);
        assertThat(failures).singleElement().satisfies(failure -> {
            assertThat(failure.instanceId()).isEqualTo(wanders.id());
            assertThat(failure.cause()).hasMessageContaining("has not been READY for PT5S");
        });
    }

    @Test
    void aMemberFailedForLeavingReadyIsDestroyedOnlyAfterTheRoutersHandOver() {
        // given a member that leaves READY while alive, with the router's hand-over of it held (a proxy's requests)
        build(index -> Script.healthy(), builder -> builder.readinessLossThreshold(Duration.ofSeconds(5))
                .detachTimeout(Duration.ofSeconds(30)));
        clock.runUntil(orchestrator.start(2));
        SimulatedInstance wanders = member(0);
        router.holdSettled(wanders.id());
        wanders.stopAccepting();

        // when the supervisor fails it: detached, but not destroyed while the hand-over runs
        clock.advance(Duration.ofSeconds(6));
        assertThat(router.attached()).doesNotContain(wanders.id());
        assertThat(wanders.destroyed()).isFalse();

        // then destroyed once it ends
        router.settle(wanders.id());
        clock.advance(Duration.ofSeconds(1));
        assertThat(wanders.destroyed()).isTrue();
    }

    @Test
    void aMemberThatDiesWhileASwapHoldsTheGroupIsLeftToThatSwapThenCheckedWhenItLetsGo() {
        build(index -> index == 2 ? Script.builder().readyDelay(Duration.ofSeconds(5)).build() : Script.healthy(),
                builder -> { });
        clock.runUntil(orchestrator.start(2));
        SimulatedInstance bystander = member(1);
        var swap = orchestrator.swap(Plan.rolling(1, 0)).toCompletableFuture();

        bystander.crash();
        clock.runUntil(swap);
        clock.runUntilIdle();

        assertThat(orchestrator.instances()).hasSize(2).doesNotContain(bystander);
        assertThat(orchestrator.instances()).allSatisfy(instance -> assertThat(instance.isReady()).isTrue());
    }
}
