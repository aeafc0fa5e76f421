package dev.handoff.examples.readme;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.stream.Collectors;

/** Checks that the README shows an example's code as it is compiled and tested. */
final class ReadmeSnippet {

    private ReadmeSnippet() {
    }

    /**
     * Asserts that README.md holds the lines of the example between {@code // README:begin} and
     * {@code // README:end}, without the method body's 8 spaces of indentation.
     *
     * @param source the example's file in this package, e.g. {@code JoinExample.java}
     * @throws IOException when a file cannot be read
     */
    static void assertReadmeShows(String source) throws IOException {
        String code = Files.readString(Path.of("src", "main", "java", "dev", "handoff", "examples", "readme",
                source), StandardCharsets.UTF_8);
        String example = code.substring(code.indexOf("// README:begin\n") + "// README:begin\n".length(),
                code.indexOf("        // README:end"));
        String unindented = example.lines().map(line -> line.length() >= 8 ? line.substring(8) : line.strip())
                .collect(Collectors.joining("\n"));
        assertThat(Files.readString(Path.of("..", "README.md"), StandardCharsets.UTF_8)).contains(unindented);
    }
}
