package dev.handoff.test.orchestrator;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import dev.handoff.api.HandoffException;
import dev.handoff.api.InstanceFailedException;
import dev.handoff.api.SwapOutcome;
import dev.handoff.api.SwapResult;
import dev.handoff.api.SwapStep;
import dev.handoff.api.event.SwapEvent;
import dev.handoff.core.HandoffMetrics;
import dev.handoff.core.Orchestrator;
import dev.handoff.test.sim.SimulatedInstance;
import dev.handoff.test.sim.SimulatedInstance.Script;
import java.time.Duration;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CompletionStage;
import org.junit.jupiter.api.Test;
import org.slf4j.LoggerFactory;

/** {@code start(count)} runs steps 1 to 3 through the machinery of a swap: events, timings, failure watch, metrics. */
class GroupStartTest {

    private static final Script SLOW = Script.builder().startDelay(Duration.ofSeconds(1))
            .readyDelay(Duration.ofSeconds(2)).build();

    @Test
    void givenAnEmptyGroup_whenItStarts_thenEachStepIsAnEventOfOneRunWithItsTimingAndMetrics() {
        // given
        Sim sim = new Sim(Duration.ofMillis(10), Duration.ZERO, index -> SLOW, builder -> { });

        // when
        sim.clock.runUntil(sim.orchestrator.start(2));

        // then
        assertThat(sim.log()).containsExactlyInAnyOrder(
                "LAUNCH STARTED web-1", "LAUNCH COMPLETED web-1", "LAUNCH STARTED web-2", "LAUNCH COMPLETED web-2",
                "AWAIT_READY STARTED web-1", "AWAIT_READY COMPLETED web-1",
                "AWAIT_READY STARTED web-2", "AWAIT_READY COMPLETED web-2",
                "ATTACH STARTED web-1", "ATTACH COMPLETED web-1", "ATTACH STARTED web-2", "ATTACH COMPLETED web-2");
        assertThat(sim.events).extracting(SwapEvent::swapId).containsOnly("web/start-1");
        assertThat(sim.ended).singleElement().satisfies(result -> {
            assertThat(result.swapId()).isEqualTo("web/start-1");
            assertThat(result.outcome()).isEqualTo(SwapOutcome.COMMITTED);
            assertThat(result.launched()).containsExactly("web-1", "web-2");
            assertThat(result.timings(SwapStep.LAUNCH)).extracting(timing -> timing.duration())
                    .containsOnly(Duration.ofSeconds(1));
            assertThat(result.timings(SwapStep.AWAIT_READY)).extracting(timing -> timing.duration())
                    .containsOnly(Duration.ofSeconds(2));
            assertThat(result.timings(SwapStep.ATTACH)).hasSize(2);
        });
        assertThat(sim.stepCount(SwapStep.ATTACH, HandoffMetrics.RESULT_OK)).isEqualTo(2);
        assertThat(sim.router.attached()).containsExactlyInAnyOrder("web-1", "web-2");
        sim.checker.assertHolds();
    }

    @Test
    void givenAStart_whenANewInstanceFailsBetweenReadinessAndTheAttach_thenTheStartFailsAndNothingIsLeft() {
        // given a router that takes 100 ms to confirm, and new instances ready after 1 s
        Sim sim = new Sim(Duration.ofMillis(100), Duration.ZERO,
                index -> Script.builder().readyDelay(Duration.ofSeconds(1)).build(), builder -> { });
        CompletionStage<?> start = sim.orchestrator.start(2);
        sim.clock.advance(Duration.ofMillis(1050));
        SimulatedInstance first = sim.launcher.instance("web-1");
        assertThat(first.isReady()).isTrue();

        // when it crashes while the router attaches it
        first.crash();

        // then the start fails with the crash, and every instance it launched is detached and destroyed
        assertThatThrownBy(() -> sim.clock.runUntil(start)).isInstanceOf(CompletionException.class)
                .hasCauseInstanceOf(HandoffException.class)
                .hasRootCauseInstanceOf(InstanceFailedException.class)
                .hasMessageContaining("starting group 'web' failed");
        sim.clock.runUntilIdle();
        assertThat(sim.launcher.launched()).hasSize(2).allMatch(SimulatedInstance::destroyed);
        assertThat(sim.router.attached()).isEmpty();
        assertThat(sim.orchestrator.instances()).isEmpty();
        assertThat(sim.ended).singleElement().extracting(SwapResult::outcome).isEqualTo(SwapOutcome.ROLLED_BACK);
        assertThat(sim.swaps("rolled_back")).isEqualTo(1.0);
        sim.checker.assertHolds();
    }

    @Test
    void givenAStart_whenEveryNewInstanceFailsBeforeItIsReady_thenTheRollbackBlamesNoRetiredPredecessor() {
        // given: instances that fail as they are awaited, together, as consumers do when their broker is down (a
        // supervisor's replacement of a whole group fails this way until the broker is back)
        ListAppender<ILoggingEvent> appender = new ListAppender<>();
        Logger orchestratorLogger = (Logger) LoggerFactory.getLogger(Orchestrator.class);
        appender.start();
        orchestratorLogger.addAppender(appender);
        try {
            Sim sim = new Sim(Duration.ZERO, Duration.ZERO,
                    index -> Script.builder().crashAt(SwapStep.AWAIT_READY).build(), builder -> { });

            // when
            CompletionStage<?> start = sim.orchestrator.start(2);

            // then: the start rolls back; the instance that failed while it was rolled back is not reported as one
            // that "failed after its predecessor null was retired"
            assertThatThrownBy(() -> sim.clock.runUntil(start)).isInstanceOf(CompletionException.class)
                    .hasRootCauseInstanceOf(InstanceFailedException.class);
            sim.clock.runUntilIdle();
            assertThat(sim.launcher.launched()).hasSize(2).allMatch(SimulatedInstance::destroyed);
            assertThat(sim.ended).singleElement().extracting(SwapResult::outcome).isEqualTo(SwapOutcome.ROLLED_BACK);
            assertThat(appender.list).extracting(ILoggingEvent::getFormattedMessage)
                    .noneMatch(line -> line.contains("predecessor"));
        } finally {
            orchestratorLogger.detachAppender(appender);
        }
    }
}
