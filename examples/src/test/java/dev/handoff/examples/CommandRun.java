package dev.handoff.examples;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * One run of an example command in the test's JVM, with what it printed on standard output and standard error.
 *
 * @param status the exit status
 * @param out    standard output
 * @param err    standard error
 */
public record CommandRun(int status, String out, String err) {

    /** A command's entry point, as {@code WebSwap.run}, {@code Main.run}, ... */
    @FunctionalInterface
    public interface Command {
        /**
         * @param args the arguments
         * @param out  standard output
         * @param err  standard error
         * @return the exit status
         */
        int run(String[] args, PrintStream out, PrintStream err);
    }

    /**
     * @param command the command
     * @param args    its arguments
     * @return the run, once the command returned
     */
    public static CommandRun of(Command command, String... args) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        int status = command.run(args, new PrintStream(out, true, StandardCharsets.UTF_8),
                new PrintStream(err, true, StandardCharsets.UTF_8));
        return new CommandRun(status, out.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8));
    }

    /** @return standard output, then standard error */
    public String output() {
        return out + err;
    }

    /**
     * Asserts that the output holds the pattern.
     *
     * @param pattern what to find in {@link #output()}
     * @return the matcher at its first match
     */
    public Matcher find(Pattern pattern) {
        Matcher matcher = pattern.matcher(output());
        assertThat(matcher.find()).as("%s in:%n%s", pattern, output()).isTrue();
        return matcher;
    }
}
