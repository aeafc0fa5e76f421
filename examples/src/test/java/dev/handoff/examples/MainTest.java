package dev.handoff.examples;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class MainTest {

    private static CommandRun run(String... args) {
        return CommandRun.of(Main::run, args);
    }

    @Test
    void dispatchesWebSwapAndItsOptions() {
        CommandRun help = run("web-swap", "--help");
        assertThat(help.status()).isEqualTo(0);
        assertThat(help.out()).startsWith("usage: java -jar handoff-examples.jar web-swap");
        CommandRun bad = run("web-swap", "--swaps=-1");
        assertThat(bad.status()).isEqualTo(2);
        assertThat(bad.err()).contains("--swaps must be between 0 and 1000, but was -1");
    }

    @Test
    void anUnknownOrMissingCommandExitsWithTwo() {
        CommandRun unknown = run("bogus");
        assertThat(unknown.status()).isEqualTo(2);
        assertThat(unknown.err()).contains("unknown command: bogus").contains("web-swap");
        assertThat(run().status()).isEqualTo(2);
        assertThat(run("help").status()).isEqualTo(0);
    }
}
