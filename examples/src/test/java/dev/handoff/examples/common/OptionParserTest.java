package dev.handoff.examples.common;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;

class OptionParserTest {

    private static List<OptionParser.Option> readAll(String... args) {
        OptionParser<IllegalArgumentException> parser =
                new OptionParser<>(args, Set.of("quiet"), IllegalArgumentException::new);
        List<OptionParser.Option> options = new ArrayList<>();
        while (parser.hasNext()) {
            options.add(parser.next());
        }
        return options;
    }

    @Test
    void readsValuesAfterAnEqualsSignOrAsTheNextArgumentAndFlagsWithoutOne() {
        assertThat(readAll("--size=3", "--name", "x", "--quiet", "-h")).containsExactly(
                new OptionParser.Option("size", "3", false),
                new OptionParser.Option("name", "x", false),
                new OptionParser.Option("quiet", null, false),
                new OptionParser.Option("help", null, true));
    }

    @Test
    void rejectsWhatIsNotAnOptionARepeatedOneAndAMissingValue() {
        assertThatThrownBy(() -> readAll("--"))
                .hasMessage("unexpected argument '--' (options look like --name=value)");
        assertThatThrownBy(() -> readAll("--size=1", "--size=2")).hasMessage("--size given twice");
        assertThatThrownBy(() -> readAll("--size")).hasMessage("--size needs a value");
    }

    @Test
    void checksWholeNumbersAndTheirRange() {
        OptionParser<IllegalArgumentException> parser =
                new OptionParser<>(new String[0], Set.of(), IllegalArgumentException::new);

        assertThat(parser.intValue("size", " 7 ", 0, 9)).isEqualTo(7);
        assertThatThrownBy(() -> parser.intValue("size", "x", 0, 9))
                .hasMessage("--size must be a whole number, but was 'x'");
        assertThatThrownBy(() -> parser.intValue("size", "10", 0, 9))
                .hasMessage("--size must be between 0 and 9, but was 10");
    }
}
