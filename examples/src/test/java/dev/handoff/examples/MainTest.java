package dev.handoff.examples;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

class MainTest {

    private final ByteArrayOutputStream out = new ByteArrayOutputStream();
    private final ByteArrayOutputStream err = new ByteArrayOutputStream();

    private int run(String... args) {
        return Main.run(args, new PrintStream(out, true, StandardCharsets.UTF_8),
                new PrintStream(err, true, StandardCharsets.UTF_8));
    }

    @Test
    void dispatchesWebSwapAndItsOptions() {
        assertThat(run("web-swap", "--help")).isEqualTo(0);
        assertThat(out.toString(StandardCharsets.UTF_8)).startsWith("usage: java -jar handoff-examples.jar web-swap");
        assertThat(run("web-swap", "--swaps=-1")).isEqualTo(2);
        assertThat(err.toString(StandardCharsets.UTF_8)).contains("--swaps must be between 0 and 1000, but was -1");
    }

    @Test
    void anUnknownOrMissingCommandExitsWithTwo() {
        assertThat(run("bogus")).isEqualTo(2);
        assertThat(err.toString(StandardCharsets.UTF_8)).contains("unknown command: bogus").contains("web-swap");
        assertThat(run()).isEqualTo(2);
        assertThat(run("help")).isEqualTo(0);
    }
}
