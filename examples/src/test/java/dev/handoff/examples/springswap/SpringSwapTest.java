package dev.handoff.examples.springswap;

import static org.assertj.core.api.Assertions.assertThat;

import dev.handoff.examples.CommandRun;

import java.util.regex.Matcher;
import java.util.regex.Pattern;

import org.junit.jupiter.api.Test;

/**
 * {@code spring-swap}: bad options are refused with exit status 2 and nothing started; one short real run (the
 * sample Boot application on Jetty as child JVMs behind a throwaway HAProxy, a throwaway RabbitMQ node) loses
 * nothing.
 */
class SpringSwapTest {

    private static final Pattern RESULT = Pattern.compile("^RESULT spring server=(\\w+) swaps=(\\d+) requests=(\\d+) "
            + "failed=(\\d+) jobs=(\\d+) lost=(\\d+) duplicated=(\\d+)$", Pattern.MULTILINE);

    @Test
    void badOptionsAreRefusedWithTheirValue() {
        assertThat(run("--server=undertow").status()).isEqualTo(2);
        assertThat(run("--server=undertow").output()).contains("--server must be tomcat, jetty or all, but was 'undertow'");
        assertThat(run("--swaps=0").output()).contains("--swaps must be in 1..100, but was 0");
        assertThat(run("--clients=x").output()).contains("--clients must be a number, but was 'x'");
        assertThat(run("--bogus").output()).contains("unknown option --bogus");
        assertThat(run("--baseline", "--swaps=-3").output()).contains("--swaps must be in 1..100, but was -3");
        CommandRun help = run("--help");
        assertThat(help.status()).isZero();
        assertThat(help.output()).startsWith("usage: java -jar handoff-examples.jar spring-swap");
    }

    @Test
    void oneSwapOfTheSampleBootApplicationOnJettyFailsNoRequestAndLosesNoJob() {
        CommandRun run = run("--server=jetty", "--swaps=1", "--clients=2", "--jobs-per-second=50");

        Matcher result = run.find(RESULT);
        assertThat(result.group(1)).isEqualTo("jetty");
        assertThat(result.group(2)).as("swaps").isEqualTo("1");
        assertThat(Long.parseLong(result.group(3))).as("requests").isPositive();
        assertThat(result.group(4)).as("failed").isEqualTo("0");
        assertThat(Long.parseLong(result.group(5))).as("jobs").isPositive();
        assertThat(result.group(6)).as("lost").isEqualTo("0");
        assertThat(result.group(7)).as("duplicated").isEqualTo("0");
        assertThat(run.output()).contains("jetty: setup: " + SpringSwap.SETUP);
        assertThat(run.status()).as("exit status; output:%n%s", run.output()).isZero();
    }

    private static CommandRun run(String... args) {
        return CommandRun.of(SpringSwap::run, args);
    }
}
