package dev.handoff.test.sim;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

class SimulationExampleTest {

    @Test
    void theExampleRunsAndItsInvariantsHold() {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();

        SimulationExample.run(new PrintStream(bytes, true, StandardCharsets.UTF_8));

        String out = bytes.toString(StandardCharsets.UTF_8);
        assertThat(out).contains("web/swap-1 COMMITTED", "READMIT       COMPLETED web-4", "web/swap-2 ROLLED_BACK",
                "# invariants hold");
    }
}
