package dev.handoff.examples.webswap;

import static org.assertj.core.api.Assertions.assertThat;

import dev.handoff.examples.CommandRun;
import dev.handoff.examples.report.ReportPage;
import java.nio.file.Path;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * One short real run of web-swap behind the front door: the probing client's CONNECTs (refused by the front door
 * with 405) and forged forwarding headers are counted apart and make no request fail; the report holds the swap.
 */
class WebSwapTest {

    @Test
    void probesAreCountedApartAndNoRequestFailsBehindTheFrontDoor(@TempDir Path folder) throws Exception {
        Path report = folder.resolve("web-swap.html");

        CommandRun run = CommandRun.of(WebSwap::run, "--mode=proxy", "--swaps=1", "--clients=2", "--seconds=3",
                "--report=" + report);

        String output = run.out();
        assertThat(run.status()).as("stdout:%n%s%nstderr:%n%s", output, run.err()).isZero();
        assertThat(output).containsPattern("(?m)^RESULT mode=proxy swaps=1 requests=\\d+ failed=0 ");
        Matcher probes = Pattern.compile("(?m)^PROBES mode=proxy connect_405=(\\d+) forged_forwarding_200=(\\d+)$")
                .matcher(output);
        assertThat(probes.find()).as("a PROBES line with only 405s and 200s in:%n%s", output).isTrue();
        assertThat(Long.parseLong(probes.group(1))).isPositive();
        assertThat(Long.parseLong(probes.group(2))).isPositive();
        assertThat(output).containsPattern("(?m)^STEPS mode=proxy swaps=1 median detach_ms=\\d+ drain_ms=\\d+"
                + " await_drained_ms=\\d+ drained_ms=\\d+$");
        ReportPage page = ReportPage.read(report);
        assertThat(page.swaps()).containsOnlyKeys("web-swap-proxy/swap-1");
        assertThat(page.swaps().get("web-swap-proxy/swap-1")).containsExactlyInAnyOrder("launch", "await_ready",
                "attach", "detach", "drain", "await_drained", "destroy");
        assertThat(page.text()).contains("counted apart: connect_405 ");
    }
}
