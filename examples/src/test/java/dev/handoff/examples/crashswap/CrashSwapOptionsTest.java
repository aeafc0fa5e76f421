package dev.handoff.examples.crashswap;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.handoff.examples.CommandRun;

import org.junit.jupiter.api.Test;

class CrashSwapOptionsTest {

    @Test
    void reads_each_mode_and_the_options() throws Exception {
        CrashSwapOptions kills = CrashSwapOptions.parse(new String[] {"--member-kills=10", "--clients", "8",
            "--jobs-per-second=200", "--heal-timeout-seconds=20"});
        assertThat(kills).isEqualTo(new CrashSwapOptions(0, 10, 0, 8, 200, 20, false));
        assertThat(kills.killsMembers()).isTrue();
        CrashSwapOptions restarts = CrashSwapOptions.parse(new String[] {"--broker-restarts=3"});
        assertThat(restarts).isEqualTo(new CrashSwapOptions(0, 0, 3, 4, 400, 30, false));
        assertThat(restarts.killsMembers()).isFalse();
        CrashSwapOptions orchestratorKills = CrashSwapOptions.parse(new String[] {"--kills=10"});
        assertThat(orchestratorKills).isEqualTo(new CrashSwapOptions(10, 0, 0, 4, 400, 30, false));
        assertThat(orchestratorKills.killsOrchestrator()).isTrue();
    }

    @Test
    void refuses_bad_values_naming_the_option_and_the_value() {
        assertRefused("must be a whole number, but was 'ten'", "--member-kills=ten");
        assertRefused("--member-kills must be between 1 and 1000, but was 0", "--member-kills=0");
        assertRefused("--broker-restarts must be between 1 and 100, but was 101", "--broker-restarts=101");
        assertRefused("--clients must be between 1 and 256, but was -1", "--member-kills=1", "--clients=-1");
        assertRefused("unknown option --swaps", "--member-kills=1", "--swaps=2");
        assertRefused("--member-kills given twice", "--member-kills=1", "--member-kills=2");
        assertRefused("give one", "--member-kills=1", "--broker-restarts=1");
        assertRefused("give one", "--kills=1", "--member-kills=1");
        assertRefused("--kills must be between 1 and 1000, but was 0", "--kills=0");
        assertRefused("give --kills=N, --member-kills=N or --broker-restarts=N");
        assertRefused("unexpected argument 'kill'", "kill");
    }

    @Test
    void a_bad_option_exits_2_and_help_documents_every_option() {
        CommandRun bad = CommandRun.of(CrashSwap::run, "--member-kills=-3");
        assertThat(bad.status()).isEqualTo(2);
        assertThat(bad.err()).contains("--member-kills must be between 1 and 1000");
        CommandRun help = CommandRun.of(CrashSwap::run, "--help");
        assertThat(help.status()).isZero();
        assertThat(help.out()).contains("--member-kills=N", "--broker-restarts=N",
                "--kills=N", "--clients=C", "--jobs-per-second=J", "--heal-timeout-seconds=S", "--help",
                "RESULT crash-swap member_kills=N healed=H failed=F lost=L cut=C orphans=O",
                "RESULT crash-swap broker_restarts=N healed=H lost=L orphans=O",
                "RESULT crash-swap kills=N recovered=R failed=F lost=L orphans=O");
    }

    private static void assertRefused(String message, String... args) {
        assertThatThrownBy(() -> CrashSwapOptions.parse(args))
                .isInstanceOf(CrashSwapOptions.UsageException.class)
                .hasMessageContaining(message);
    }
}
