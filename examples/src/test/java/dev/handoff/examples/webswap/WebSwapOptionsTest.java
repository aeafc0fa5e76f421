package dev.handoff.examples.webswap;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.handoff.examples.CommandRun;
import java.util.List;
import org.junit.jupiter.api.Test;

class WebSwapOptionsTest {

    @Test
    void parsesEveryOptionInBothForms() throws Exception {
        WebSwapOptions options = WebSwapOptions.parse(
                new String[] {"--mode=naive,haproxy", "--swaps", "3", "--clients=4", "--seconds=9"});
        assertThat(options.modes()).containsExactly(Mode.NAIVE, Mode.HAPROXY);
        assertThat(options.swaps()).isEqualTo(3);
        assertThat(options.clients()).isEqualTo(4);
        assertThat(options.seconds()).isEqualTo(9);
        assertThat(options.help()).isFalse();
    }

    @Test
    void defaultsToEveryMode() throws Exception {
        WebSwapOptions options = WebSwapOptions.parse(new String[0]);
        assertThat(options.modes()).containsExactly(Mode.values());
        assertThat(WebSwapOptions.parse(new String[] {"--mode=all"}).modes()).containsExactly(Mode.values());
        assertThat(options.swaps()).isEqualTo(5);
        assertThat(options.clients()).isEqualTo(8);
        assertThat(options.seconds()).isEqualTo(40);
    }

    @Test
    void rejectsBadOptionsNamingTheOptionAndValue() {
        assertThatThrownBy(() -> WebSwapOptions.parse(new String[] {"--clients=0"}))
                .hasMessage("--clients must be between 1 and 256, but was 0");
        assertThatThrownBy(() -> WebSwapOptions.parse(new String[] {"--swaps=many"}))
                .hasMessage("--swaps must be a whole number, but was 'many'");
        assertThatThrownBy(() -> WebSwapOptions.parse(new String[] {"--mode=fast"}))
                .hasMessage("--mode must be all or a comma-separated list of naive, jetty-graceful, proxy, reuseport,"
                        + " haproxy, but was 'fast'");
        assertThatThrownBy(() -> WebSwapOptions.parse(new String[] {"--color=red"}))
                .hasMessage("unknown option --color (see --help)");
        assertThatThrownBy(() -> WebSwapOptions.parse(new String[] {"--seconds"}))
                .hasMessage("--seconds needs a value");
        assertThatThrownBy(() -> WebSwapOptions.parse(new String[] {"--seconds=1", "--seconds=2"}))
                .hasMessage("--seconds given twice");
        assertThatThrownBy(() -> WebSwapOptions.parse(new String[] {"naive"}))
                .hasMessage("unexpected argument 'naive' (options look like --name=value)");
        assertThatThrownBy(() -> WebSwapOptions.parse(new String[] {"--client=h3"}))
                .hasMessage("--client must be http1 or h2c, but was 'h3'");
        assertThatThrownBy(() -> WebSwapOptions.parse(new String[] {"--client=h2c"}))
                .hasMessage("--client=h2c needs --mode=proxy, reuseport or both (the others serve HTTP/1.1 only),"
                        + " but the modes were [naive, jetty-graceful, proxy, reuseport, haproxy]");
        assertThatThrownBy(() -> WebSwapOptions.parse(new String[] {"--report=/nonexistent-folder/r.html"}))
                .hasMessage("--report: the folder of '/nonexistent-folder/r.html' does not exist");
    }

    @Test
    void theH2cClientsAndTheReportAreOptions() throws Exception {
        WebSwapOptions options = WebSwapOptions.parse(new String[] {"--mode=reuseport,proxy", "--client=h2c",
            "--report=target/web-swap.html"});
        assertThat(options.h2c()).isTrue();
        assertThat(options.report()).isEqualTo(java.nio.file.Path.of("target/web-swap.html").toAbsolutePath());
        assertThat(WebSwapOptions.parse(new String[0]).h2c()).isFalse();
    }

    @Test
    void aBadOptionExitsWithTwoAndHelpDocumentsEveryOption() {
        CommandRun bad = CommandRun.of(WebSwap::run, "--clients=-1");
        assertThat(bad.status()).isEqualTo(2);
        assertThat(bad.err()).contains("--clients must be between 1 and 256, but was -1");

        CommandRun help = CommandRun.of(WebSwap::run, "--help");
        assertThat(help.status()).isEqualTo(0);
        String text = help.out();
        for (String option : List.of("--mode", "--swaps", "--clients", "--seconds", "--help")) {
            assertThat(text).contains(option);
        }
        for (Mode mode : Mode.values()) {
            assertThat(text).contains(mode.label());
        }
    }

    @Test
    void resultLinesHaveTheDocumentedShape() {
        LoadGenerator.LoadRecords records = new LoadGenerator.LoadRecords();
        for (int i = 1; i <= 100; i++) {
            records.success(i * 10_000_000L, i * 10_000_000L + i * 1_000_000L);
        }
        records.failure(FailureKind.REFUSED);
        records.failure(FailureKind.EOF_REUSED);
        RunResult result = RunResult.of(Mode.NAIVE, 2, records, List.of(new long[] {995_000_000L, 2_000_000_000L}));
        assertThat(result.resultLine()).isEqualTo(
                "RESULT mode=naive swaps=2 requests=102 failed=2 p50_ms=50.00 p99_ms=99.00 p99_during_swap_ms=100.00"
                        + " p99_steady_ms=90.00");
        assertThat(result.failuresLine()).isEqualTo(
                "FAILURES mode=naive refused=1 reset=0 eof_reused=1 eof_fresh=0 timeout=0 non_2xx=0 other=0");
    }
}
