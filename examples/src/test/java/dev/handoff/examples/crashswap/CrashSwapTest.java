package dev.handoff.examples.crashswap;

import static org.assertj.core.api.Assertions.assertThat;

import dev.handoff.examples.CommandRun;

import java.util.regex.Matcher;
import java.util.regex.Pattern;

import org.junit.jupiter.api.Test;

/**
 * One short real run of each mode: child JVMs, a throwaway HAProxy and a throwaway RabbitMQ node, killed or
 * restarted for real; each run starts and stops its own, so the tests share nothing.
 */
class CrashSwapTest {

    private static final Pattern MEMBER_KILLS = Pattern.compile("^RESULT crash-swap member_kills=(\\d+) healed=(\\d+) "
            + "failed=(\\d+) lost=(\\d+) cut=(\\d+) orphans=(\\d+)$", Pattern.MULTILINE);
    private static final Pattern BROKER_RESTARTS = Pattern.compile("^RESULT crash-swap broker_restarts=(\\d+) "
            + "healed=(\\d+) lost=(\\d+) orphans=(\\d+)$", Pattern.MULTILINE);

    private static final Pattern KILLS = Pattern.compile("^RESULT crash-swap kills=(\\d+) recovered=(\\d+) "
            + "failed=(\\d+) lost=(\\d+) orphans=(\\d+)$", Pattern.MULTILINE);

    @Test
    void an_orchestrator_killed_mid_swap_twice_is_restarted_and_recovers_with_no_failed_request_and_no_lost_job() {
        // given: the orchestrator in a JVM of its own, a web group behind HAProxy and a queue group on RabbitMQ
        // when: its JVM is killed with SIGKILL at a random step of a swap, twice, and started again each time
        CommandRun run = CommandRun.of(CrashSwap::run, "--kills=2", "--clients=2", "--jobs-per-second=200");

        // then
        Matcher result = run.find(KILLS);
        assertThat(result.group(1)).as("kills").isEqualTo("2");
        assertThat(result.group(2)).as("recovered").isEqualTo("2");
        assertThat(result.group(3)).as("failed").isEqualTo("0");
        assertThat(result.group(4)).as("lost").isEqualTo("0");
        assertThat(result.group(5)).as("orphans").isEqualTo("0");
        assertThat(run.status()).as("exit status; output:%n%s", run.output()).isZero();
    }

    @Test
    void two_members_killed_with_sigkill_are_each_replaced_with_no_failed_request_and_no_lost_job() {
        // given: a web group behind HAProxy and a queue group on RabbitMQ, 2 members each, under load
        // when: one web member, then one queue member, is killed with SIGKILL
        CommandRun run = CommandRun.of(CrashSwap::run, "--member-kills=2", "--clients=2", "--jobs-per-second=200");

        // then
        Matcher result = run.find(MEMBER_KILLS);
        assertThat(result.group(1)).as("member_kills").isEqualTo("2");
        assertThat(result.group(2)).as("healed").isEqualTo("2");
        assertThat(result.group(3)).as("failed").isEqualTo("0");
        assertThat(result.group(4)).as("lost").isEqualTo("0");
        assertThat(result.group(6)).as("orphans").isEqualTo("0");
        assertThat(run.status()).as("exit status; output:%n%s", run.output()).isZero();
    }

    @Test
    void a_broker_restart_is_healed_by_the_supervisor_with_no_lost_job() {
        // given: a queue group of 2 child consumers on RabbitMQ, jobs flowing
        // when: the node is stopped and started again
        CommandRun run = CommandRun.of(CrashSwap::run, "--broker-restarts=1", "--jobs-per-second=200");

        // then
        Matcher result = run.find(BROKER_RESTARTS);
        assertThat(result.group(1)).as("broker_restarts").isEqualTo("1");
        assertThat(result.group(2)).as("healed").isEqualTo("1");
        assertThat(result.group(3)).as("lost").isEqualTo("0");
        assertThat(result.group(4)).as("orphans").isEqualTo("0");
        assertThat(run.status()).as("exit status; output:%n%s", run.output()).isZero();
    }
}
