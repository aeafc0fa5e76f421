package dev.handoff.core.internal.process;

import dev.handoff.core.internal.process.LineChannel.ProtocolViolation;
import dev.handoff.core.internal.process.Protocol.Command;
import dev.handoff.core.internal.process.Protocol.CommandLine;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class CommandLineTest {

    @Test
    void aCommandIsWrittenWithItsEpochAndSwapIdAndReadBackTheSame() throws Exception {
        CommandLine line = new CommandLine(Command.STOP_ACCEPTING, 3, "web/swap-7");

        assertThat(line.wire()).isEqualTo("STOP_ACCEPTING epoch=3 swap=web/swap-7");
        assertThat(CommandLine.parse(line.wire())).isEqualTo(line);
        assertThat(CommandLine.parse("STATUS?")).isEqualTo(new CommandLine(Command.STATUS, 0, null));
        assertThat(CommandLine.parse("DRAIN swap=q/heal-2 epoch=5"))
                .isEqualTo(new CommandLine(Command.DRAIN, 5, "q/heal-2"));
        assertThat(new CommandLine(Command.EXIT, 0, null).wire()).isEqualTo("EXIT");
    }

    @Test
    void aSwapIdCannotBreakTheLine() throws Exception {
        CommandLine line = new CommandLine(Command.DRAIN, 0, "my swap\nEXIT");

        assertThat(line.wire()).isEqualTo("DRAIN swap=my_swap_EXIT");
        assertThat(CommandLine.parse(line.wire()).swapId()).isEqualTo("my_swap_EXIT");
        assertThat(new CommandLine(Command.DRAIN, 0, "x".repeat(500)).swapId()).hasSize(200);
    }

    @Test
    void anythingElseAfterTheCommandIsRefusedNamingWhatIsAllowed() {
        for (String bad : new String[] {"STOP_ACCEPTING please", "DRAIN epoch=0", "DRAIN epoch=-2", "DRAIN epoch=x",
                "DRAIN swap=", "DRAIN epoch=1 epoch=2", "DRAIN swap=a swap=b", "DRAIN  epoch=1"}) {
            assertThatThrownBy(() -> CommandLine.parse(bad)).as(bad)
                    .isInstanceOf(ProtocolViolation.class)
                    .hasMessageContaining("takes no argument other than epoch=<positive number> and swap=<id>");
        }
        assertThatThrownBy(() -> CommandLine.parse("LAUNCH")).isInstanceOf(ProtocolViolation.class)
                .hasMessageStartingWith("unknown command 'LAUNCH'");
    }
}
