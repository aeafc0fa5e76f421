package dev.handoff.examples.readme;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.Test;

/** The README's join example is a {@code main} that ends on its own, and the README shows it as tested. */
class JoinExampleTest {

    @Test
    void theMainJoinsDeploysReleaseOnePointOneAndEndsOnItsOwn() throws Exception {
        Path java = Path.of(System.getProperty("java.home"), "bin", "java");
        Path output = Files.createTempFile("join-example", ".log");
        Process process = new ProcessBuilder(List.of(java.toString(), "-cp", System.getProperty("java.class.path"),
                JoinExample.class.getName()))
                .redirectErrorStream(true)
                .redirectOutput(output.toFile())
                .start();
        try {
            boolean ended = process.waitFor(90, TimeUnit.SECONDS);
            String log = Files.readString(output, StandardCharsets.UTF_8);
            assertThat(ended).as("the program ends by itself once its orchestrators are closed; output:%n%s", log)
                    .isTrue();
            assertThat(process.exitValue()).as(log).isZero();
            assertThat(log).contains("release 1.0\n", "COMMITTED release 1.1\n", "web releases [1.0, 1.1]\n",
                    "job-1 done by 1.1\n");
        } finally {
            process.destroyForcibly();
            Files.deleteIfExists(output);
        }
    }

    @Test
    void theReadmeShowsTheExampleAsTested() throws IOException {
        ReadmeSnippet.assertReadmeShows("JoinExample.java");
    }
}
