package dev.handoff.examples.report;

import static org.assertj.core.api.Assertions.assertThat;

import dev.handoff.api.Plan;
import dev.handoff.api.StepTiming;
import dev.handoff.api.SwapOutcome;
import dev.handoff.api.SwapResult;
import dev.handoff.api.SwapStep;
import dev.handoff.api.StepTimeoutException;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The page of {@link SwapReport}, parsed as XML (no browser needed: see {@link ReportPage}): every swap and every
 * step of each is in it, rollback, re-admission and forced stops are marked, failures are drawn and counted.
 */
class SwapReportTest {

    private static final List<SwapStep> SEVEN = List.of(SwapStep.LAUNCH, SwapStep.AWAIT_READY, SwapStep.ATTACH,
            SwapStep.DETACH, SwapStep.DRAIN, SwapStep.AWAIT_DRAINED, SwapStep.DESTROY);

    @Test
    void everySwapAndEachOfItsStepsIsInThePageWithRollbackReadmissionAndForcedStopsMarked(@TempDir Path folder)
            throws Exception {
        SwapReport report = SwapReport.start("test <run> & \"quotes\"");
        Instant t0 = Instant.now();
        report.swap("web", result("web/swap-1", SwapOutcome.COMMITTED, t0, SEVEN, null));
        report.swap("web", result("web/swap-2", SwapOutcome.FORCED, t0.plusMillis(200), SEVEN,
                SwapStep.AWAIT_DRAINED));
        report.swap("queue", result("queue/swap-1", SwapOutcome.ROLLED_BACK, t0.plusMillis(400),
                List.of(SwapStep.LAUNCH, SwapStep.AWAIT_READY, SwapStep.ATTACH, SwapStep.DETACH, SwapStep.READMIT,
                        SwapStep.ROLLBACK), SwapStep.AWAIT_READY));
        long now = System.nanoTime();
        for (int i = 0; i < 100; i++) {
            report.success("requests", now + i * 1_000_000L);
        }
        report.failure("requests", "reset", now);
        report.aside("requests", "connect_refused_405", 1);
        report.inFlight("web-1", now, 3);
        report.inFlight("web-1", now + 50_000_000L, 0);
        report.note("RESULT test swaps=3");
        Path file = folder.resolve("report.html");

        report.write(file);

        ReportPage page = ReportPage.read(file);
        assertThat(page.swaps()).containsOnlyKeys("web/swap-1", "web/swap-2", "queue/swap-1");
        for (String swap : List.of("web/swap-1", "web/swap-2")) {
            assertThat(page.swaps().get(swap)).containsExactlyInAnyOrder("launch", "await_ready", "attach", "detach",
                    "drain", "await_drained", "destroy");
        }
        assertThat(page.swaps().get("queue/swap-1")).contains("rollback", "readmit");
        assertThat(page.text()).contains(">rollback</text>", ">re-admission</text>", ">forced stop</text>",
                "requests: 100 succeeded, <span class=\"bad\">1 failed</span> (reset 1)",
                "counted apart: connect_refused_405 1", "RESULT test swaps=3", "data-instance=\"web-1\"",
                "test &lt;run&gt; &amp; &quot;quotes&quot;", "class=\"failure\"", "class=\"cut-over\"");
    }

    private static SwapResult result(String id, SwapOutcome outcome, Instant start, List<SwapStep> steps,
                                     SwapStep failing) {
        List<StepTiming> timings = new ArrayList<>();
        Instant at = start;
        for (SwapStep step : steps) {
            String instance = step.number() >= 4 && step.number() <= 7 || step == SwapStep.READMIT ? "old" : "new";
            Optional<Throwable> failure = step == failing
                    ? Optional.of(new StepTimeoutException(step, instance, Duration.ofMillis(5)))
                    : Optional.empty();
            timings.add(new StepTiming(step, instance, at, Duration.ofMillis(10), failure));
            at = at.plusMillis(12);
        }
        return new SwapResult(id, Plan.oneForOne(), "1.1", outcome, start, Duration.between(start, at), timings,
                List.of("new"), List.of("old"), outcome == SwapOutcome.FORCED ? 2 : 0, Optional.empty());
    }
}
