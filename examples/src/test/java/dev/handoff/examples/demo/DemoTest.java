package dev.handoff.examples.demo;

import static org.assertj.core.api.Assertions.assertThat;

import dev.handoff.examples.CommandRun;
import dev.handoff.examples.report.ReportPage;
import java.nio.file.Path;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Runs the demo in this JVM, small: one swap of each kind (in-process web, child-JVM web, queue) under a few
 * seconds of load, with real sockets, a real child JVM and the in-memory queue.
 */
class DemoTest {

    private static final Pattern RESULT = Pattern.compile(
            "^RESULT demo swaps=(\\d+) requests=(\\d+) failed=(\\d+) jobs=(\\d+) lost=(\\d+) duplicated=(\\d+)$",
            Pattern.MULTILINE);

    @Test
    void swapsEachKindUnderLoadWithoutAFailedRequestOrALostOrDuplicatedJob(@TempDir Path folder) throws Exception {
        Path reportFile = folder.resolve("demo.html");

        CommandRun run = CommandRun.of(Demo::run, "--web-swaps=1", "--child-swaps=1", "--queue-swaps=1",
                "--clients=2", "--jobs=300", "--seconds=6", "--report=" + reportFile);

        String output = run.out();
        assertThat(run.status()).as("exit status; stdout:%n%s%nstderr:%n%s", output, run.err()).isEqualTo(0);
        Matcher result = RESULT.matcher(output);
        assertThat(result.find()).as("a RESULT line in:%n%s", output).isTrue();
        assertThat(output.strip()).endsWith(result.group());
        assertThat(result.group(1)).as("swaps").isEqualTo("3");
        assertThat(Long.parseLong(result.group(2))).as("requests").isPositive();
        assertThat(result.group(3)).as("failed").isEqualTo("0");
        assertThat(result.group(4)).as("jobs").isEqualTo("300");
        assertThat(result.group(5)).as("lost").isEqualTo("0");
        assertThat(result.group(6)).as("duplicated").isEqualTo("0");
        // every step shown live, and a timeline per swap in the report
        for (String step : List.of("1/7 launch", "2/7 await_ready", "3/7 attach", "4/7 detach", "5/7 drain",
                "6/7 await_drained", "7/7 destroy")) {
            assertThat(output).contains("web/swap-1   " + step, "web/swap-2   " + step, "queue/swap-1 " + step);
        }
        assertThat(output).contains("swap 3/3: web, in-process web-2 -> a new child JVM")
                .contains("web/swap-2 swap 3 (web, to child JVM) from in-process web-2: COMMITTED")
                .contains("child JVMs launched 1")
                .doesNotContain("\u001b[");
        // the HTML report: every swap of the run with each of its seven steps (parsed as XML, no browser needed)
        assertThat(output).contains("report: " + reportFile.toAbsolutePath());
        ReportPage page = ReportPage.read(reportFile);
        assertThat(page.swaps()).containsOnlyKeys("web/swap-1", "web/swap-2", "queue/swap-1");
        page.swaps().forEach((swap, steps) -> assertThat(steps).as(swap).containsExactlyInAnyOrder("launch",
                "await_ready", "attach", "detach", "drain", "await_drained", "destroy"));
        assertThat(page.text()).contains("requests: ", "jobs: 300 succeeded", "data-instance=\"web-1\"",
                "data-instance=\"queue-1\"", result.group());
        // no child JVM outlives the demo
        assertThat(ProcessHandle.current().children().filter(ProcessHandle::isAlive)
                .filter(child -> child.info().commandLine().orElse("").contains(ChildWebApp.class.getName())))
                .isEmpty();
    }
}
