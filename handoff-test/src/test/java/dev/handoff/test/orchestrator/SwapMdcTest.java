package dev.handoff.test.orchestrator;

import static org.assertj.core.api.Assertions.assertThat;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import dev.handoff.api.Plan;
import dev.handoff.api.SwapOutcome;
import dev.handoff.api.SwapResult;
import dev.handoff.api.event.SwapEvent;
import dev.handoff.api.event.SwapListener;
import dev.handoff.core.Orchestrator;
import dev.handoff.test.sim.SimulatedInstance.Script;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.slf4j.LoggerFactory;
import org.slf4j.MDC;

/**
 * Log lines and listener calls of a swap carry its id in the MDC under {@code handoff.swap}, and the release it deploys
 * under {@code handoff.release}.
 */
class SwapMdcTest {

    private final ListAppender<ILoggingEvent> appender = new ListAppender<>();
    private final Logger orchestratorLogger = (Logger) LoggerFactory.getLogger(Orchestrator.class);
    private Level previousLevel;

    @BeforeEach
    void captureOrchestratorLogs() {
        previousLevel = orchestratorLogger.getLevel();
        orchestratorLogger.setLevel(Level.INFO);
        appender.start();
        orchestratorLogger.addAppender(appender);
    }

    @AfterEach
    void restoreLogging() {
        orchestratorLogger.detachAppender(appender);
        orchestratorLogger.setLevel(previousLevel);
    }

    @Test
    void givenASwap_whenItRuns_thenItsLogLinesAndEventsCarryTheSwapIdAndTheCallerMdcIsUntouched() {
        List<String> mdcSeenByListener = new CopyOnWriteArrayList<>();
        SwapListener mdcProbe = new SwapListener() {
            @Override
            public void onStep(SwapEvent event) {
                mdcSeenByListener.add(event.swapId() + "=" + MDC.get("handoff.swap"));
            }
        };
        Sim sim = new Sim(Duration.ZERO, Duration.ZERO, builder -> builder.listener(mdcProbe));
        sim.adopt(1, Script.healthy());
        MDC.put("handoff.swap", "caller-value");
        try {
            SwapResult result = sim.swap(Plan.oneForOne());

            assertThat(result.outcome()).isEqualTo(SwapOutcome.COMMITTED);
            assertThat(MDC.get("handoff.swap")).isEqualTo("caller-value");
            assertThat(mdcSeenByListener).isNotEmpty()
                    .allSatisfy(pair -> assertThat(pair).isEqualTo(result.swapId() + "=" + result.swapId()));
            List<ILoggingEvent> swapLines = appender.list.stream()
                    .filter(line -> line.getFormattedMessage().contains(result.swapId()))
                    .toList();
            assertThat(swapLines).isNotEmpty()
                    .allSatisfy(line -> assertThat(line.getMDCPropertyMap())
                            .containsEntry("handoff.swap", result.swapId())
                            .containsEntry("handoff.release", result.release()));
            assertThat(MDC.get("handoff.release")).isNull();
        } finally {
            MDC.remove("handoff.swap");
        }
    }

    @Test
    void givenAStart_whenItRuns_thenItsLogLinesAndEventsCarryItsIdLikeASwap() {
        List<String> mdcSeenByListener = new CopyOnWriteArrayList<>();
        SwapListener mdcProbe = new SwapListener() {
            @Override
            public void onStep(SwapEvent event) {
                mdcSeenByListener.add(event.swapId() + "=" + MDC.get("handoff.swap"));
            }
        };
        Sim sim = new Sim(Duration.ZERO, Duration.ZERO, builder -> builder.listener(mdcProbe));

        sim.clock.runUntil(sim.orchestrator.start(1));

        assertThat(mdcSeenByListener).isNotEmpty().containsOnly("web/start-1=web/start-1");
        assertThat(appender.list).filteredOn(line -> line.getFormattedMessage().contains("web/start-1")).isNotEmpty()
                .allSatisfy(line -> assertThat(line.getMDCPropertyMap()).containsEntry("handoff.swap", "web/start-1"));
    }
}
