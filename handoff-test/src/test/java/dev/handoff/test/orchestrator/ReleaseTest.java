package dev.handoff.test.orchestrator;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.handoff.api.Member;
import dev.handoff.api.Plan;
import dev.handoff.api.Release;
import dev.handoff.api.SwapOutcome;
import dev.handoff.api.SwapResult;
import dev.handoff.api.SwapStep;
import dev.handoff.api.event.SwapEvent;
import dev.handoff.api.event.SwapListener;
import dev.handoff.core.HandoffMetrics;
import dev.handoff.core.Orchestrator;
import dev.handoff.test.sim.SimulatedInstance.Fault;
import dev.handoff.test.sim.SimulatedInstance.Script;
import dev.handoff.test.sim.SimulatedLauncher;
import dev.handoff.test.sim.SimulatedRouter;
import dev.handoff.test.sim.VirtualClock;

import io.micrometer.core.instrument.simple.SimpleMeterRegistry;

import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;

import org.junit.jupiter.api.Test;

/** A swap names the release it deploys; the group knows what each member runs and can go back in one call. */
class ReleaseTest {

    private final VirtualClock clock = new VirtualClock();
    private final SimulatedRouter router = new SimulatedRouter(clock);
    private final SimulatedLauncher launcherOf10 = new SimulatedLauncher(clock);
    private final SimulatedLauncher launcherOf11 = new SimulatedLauncher(clock);
    private final SimulatedLauncher neverReady = new SimulatedLauncher(clock,
            index -> Script.builder().fault(Fault.NEVER_READY).build());
    private final Release v10 = Release.of("1.0", launcherOf10);
    private final Release v11 = Release.of("1.1", launcherOf11);
    private final List<SwapEvent> events = new CopyOnWriteArrayList<>();
    private final SimpleMeterRegistry registry = new SimpleMeterRegistry();
    private final Orchestrator orchestrator = Orchestrator.builder("web", v10, router)
            .scheduler(clock)
            .executor(Runnable::run)
            .meterRegistry(registry)
            .readyTimeout(Duration.ofSeconds(10))
            .listener(new SwapListener() {
                @Override
                public void onStep(SwapEvent event) {
                    events.add(event);
                }
            })
            .build();

    private SwapResult run(java.util.concurrent.CompletionStage<SwapResult> swap) {
        return clock.runUntil(swap);
    }

    private List<String> releasesOfMembers() {
        return orchestrator.members().stream().map(member -> member.release().label()).toList();
    }

    @Test
    void aSwapDeploysTheReleaseItNamesAndEveryViewSaysWhichReleaseEachInstanceRuns() {
        run(orchestrator.start(2));
        assertThat(releasesOfMembers()).containsExactly("1.0", "1.0");
        events.clear();

        SwapResult result = run(orchestrator.swap(v11, Plan.rolling(1, 0)));

        assertThat(result.outcome()).isEqualTo(SwapOutcome.COMMITTED);
        assertThat(result.release()).isEqualTo("1.1");
        assertThat(launcherOf10.launched()).hasSize(2);
        assertThat(launcherOf11.launched()).hasSize(2);
        assertThat(releasesOfMembers()).containsExactly("1.1", "1.1");
        assertThat(orchestrator.members()).extracting(Member::instance)
                .containsExactlyElementsOf(orchestrator.instances());
        assertThat(orchestrator.release()).isEqualTo(v11);
        assertThat(orchestrator.releases()).containsExactly(v10, v11);
        assertThat(events).filteredOn(event -> event.step() == SwapStep.LAUNCH)
                .extracting(SwapEvent::release).containsOnly("1.1");
        assertThat(events).filteredOn(event -> event.step() == SwapStep.DRAIN)
                .extracting(SwapEvent::release).containsOnly("1.0");
        assertThat(registry.get(HandoffMetrics.SWAPS).tag(HandoffMetrics.TAG_RELEASE, "1.1").counter().count())
                .isEqualTo(1.0);
    }

    @Test
    void swapBackDeploysThePreviousReleaseAndTwiceReturnsLikeARolloutUndo() {
        run(orchestrator.start(1));
        run(orchestrator.swap(v11, Plan.oneForOne()));

        SwapResult back = run(orchestrator.swapBack(Plan.oneForOne()));

        assertThat(back.outcome()).isEqualTo(SwapOutcome.COMMITTED);
        assertThat(back.release()).isEqualTo("1.0");
        assertThat(releasesOfMembers()).containsExactly("1.0");
        assertThat(launcherOf10.launched()).hasSize(2);
        assertThat(orchestrator.releases()).containsExactly(v10, v11, v10);

        run(orchestrator.swapBack(Plan.oneForOne()));
        assertThat(releasesOfMembers()).containsExactly("1.1");
    }

    @Test
    void swapBackWithOneReleaseOnlyIsRefusedAndStartsNothing() {
        run(orchestrator.start(1));

        assertThatThrownBy(() -> orchestrator.swapBack(Plan.oneForOne()))
                .isInstanceOf(IllegalStateException.class)
                .hasMessage("group 'web' has no previous release: it has run only '1.0'");
        assertThat(launcherOf10.launched()).hasSize(1);
    }

    @Test
    void aRolledBackReleaseIsNotTheGroupsRelease() {
        run(orchestrator.start(1));

        SwapResult result = run(orchestrator.swap(Release.of("1.2-broken", neverReady), Plan.oneForOne()));

        assertThat(result.outcome()).isEqualTo(SwapOutcome.ROLLED_BACK);
        assertThat(result.release()).isEqualTo("1.2-broken");
        assertThat(orchestrator.release()).isEqualTo(v10);
        assertThat(orchestrator.releases()).containsExactly(v10);
        assertThat(releasesOfMembers()).containsExactly("1.0");
    }

    @Test
    void theHistoryKeepsTheLastReleasesOnly() {
        run(orchestrator.start(1));
        for (int i = 1; i <= Orchestrator.RELEASE_HISTORY + 3; i++) {
            run(orchestrator.swap(Release.of("2." + i, launcherOf11), Plan.oneForOne()));
        }

        assertThat(orchestrator.releases()).hasSize(Orchestrator.RELEASE_HISTORY);
        assertThat(orchestrator.release().label()).isEqualTo("2." + (Orchestrator.RELEASE_HISTORY + 3));
        assertThat(orchestrator.releases().get(0).label()).isEqualTo("2.4");
    }

    @Test
    void adoptedInstancesRunTheReleaseTheOrchestratorWasBuiltWith() {
        var running = dev.handoff.test.sim.SimulatedInstance.running("web-a", clock);
        clock.runUntil(router.attach(running));

        orchestrator.adopt(running);

        assertThat(orchestrator.members()).containsExactly(new Member(running, v10));
    }
}
