package dev.handoff.examples.demo;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.handoff.examples.CommandRun;
import dev.handoff.examples.demo.Demo.Target;
import org.junit.jupiter.api.Test;

class DemoOptionsTest {

    @Test
    void parsesEveryOptionInBothForms() throws Exception {
        DemoOptions options = DemoOptions.parse(new String[] {"--web-swaps=2", "--child-swaps", "1",
            "--queue-swaps=5", "--clients", "3", "--jobs=100", "--seconds=7", "--verbose"});
        assertThat(options).isEqualTo(new DemoOptions(2, 1, 5, 3, 100, 7, true, false, null));
        assertThat(options.swaps()).isEqualTo(8);
    }

    @Test
    void hasDefaultsForEveryOption() throws Exception {
        DemoOptions options = DemoOptions.parse(new String[0]);
        assertThat(options).isEqualTo(DemoOptions.defaults());
        assertThat(options).isEqualTo(new DemoOptions(3, 3, 4, 4, 3000, 30, false, false, null));
        assertThat(DemoOptions.parse(new String[] {"--jobs=5", "--help"}).help()).isTrue();
    }

    @Test
    void rejectsBadOptionsNamingTheOptionAndValue() {
        assertThatThrownBy(() -> DemoOptions.parse(new String[] {"--clients=0"}))
                .hasMessage("--clients must be between 1 and 64, but was 0");
        assertThatThrownBy(() -> DemoOptions.parse(new String[] {"--web-swaps=-1"}))
                .hasMessage("--web-swaps must be between 0 and 100, but was -1");
        assertThatThrownBy(() -> DemoOptions.parse(new String[] {"--jobs=lots"}))
                .hasMessage("--jobs must be a whole number, but was 'lots'");
        assertThatThrownBy(() -> DemoOptions.parse(new String[] {"--seconds=0"}))
                .hasMessage("--seconds must be between 1 and 3600, but was 0");
        assertThatThrownBy(() -> DemoOptions.parse(new String[] {"--colour=red"}))
                .hasMessage("unknown option --colour (see --help)");
        assertThatThrownBy(() -> DemoOptions.parse(new String[] {"--seconds"}))
                .hasMessage("--seconds needs a value");
        assertThatThrownBy(() -> DemoOptions.parse(new String[] {"--jobs=1", "--jobs=2"}))
                .hasMessage("--jobs given twice");
        assertThatThrownBy(() -> DemoOptions.parse(new String[] {"--verbose=yes"}))
                .hasMessage("--verbose takes no value, but was given 'yes'");
        assertThatThrownBy(() -> DemoOptions.parse(new String[] {"web"}))
                .hasMessage("unexpected argument 'web' (options look like --name=value)");
        assertThatThrownBy(() -> DemoOptions.parse(new String[] {"--web-swaps=0", "--child-swaps=0",
            "--queue-swaps=0"}))
                .hasMessage("--web-swaps, --child-swaps and --queue-swaps must not all be 0: there would be nothing"
                        + " to show");
    }

    @Test
    void aBadOptionExitsWithTwoAndStartsNothing() {
        CommandRun run = CommandRun.of(Demo::run, "--clients=-1");
        assertThat(run.status()).isEqualTo(2);
        assertThat(run.err())
                .contains("demo: --clients must be between 1 and 64, but was -1")
                .contains("demo --help");
        assertThat(run.out()).isEmpty();
    }

    @Test
    void helpDocumentsEveryOptionAndTheResultLine() {
        CommandRun run = CommandRun.of(Demo::run, "--help");
        assertThat(run.status()).isEqualTo(0);
        assertThat(run.out())
                .startsWith("usage: java -jar handoff-examples.jar demo")
                .contains("--web-swaps=N", "--child-swaps=N", "--queue-swaps=N", "--clients=C", "--jobs=J",
                        "--seconds=S", "--verbose", "--help")
                .contains("in-memory queue lives in this JVM")
                .contains("RESULT demo swaps=N requests=R failed=F jobs=J lost=L duplicated=D");
    }

    @Test
    void scheduleAlternatesWebSwapsAndSpreadsTheQueueSwaps() throws Exception {
        assertThat(Demo.schedule(DemoOptions.parse(new String[] {"--web-swaps=2", "--child-swaps=2",
            "--queue-swaps=2"})))
                .containsExactly(Target.WEB_IN_PROCESS, Target.QUEUE, Target.WEB_CHILD, Target.WEB_IN_PROCESS,
                        Target.QUEUE, Target.WEB_CHILD);
        assertThat(Demo.schedule(DemoOptions.parse(new String[] {"--web-swaps=0", "--child-swaps=2",
            "--queue-swaps=0"})))
                .containsExactly(Target.WEB_CHILD, Target.WEB_CHILD);
        assertThat(Demo.schedule(DemoOptions.parse(new String[] {"--web-swaps=3", "--child-swaps=1",
            "--queue-swaps=1"})))
                .containsExactly(Target.WEB_IN_PROCESS, Target.WEB_CHILD, Target.QUEUE, Target.WEB_IN_PROCESS,
                        Target.WEB_IN_PROCESS);
        assertThat(Demo.schedule(DemoOptions.defaults())).hasSize(10)
                .filteredOn(target -> target == Target.QUEUE).hasSize(4);
    }
}
