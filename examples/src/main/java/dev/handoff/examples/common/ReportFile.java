package dev.handoff.examples.common;

import dev.handoff.examples.report.SwapReport;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.function.Function;

/** The {@code --report=FILE} option the tools share. */
public final class ReportFile {

    private ReportFile() {
    }

    /**
     * @param value        the option's value
     * @param usageProblem makes the tool's usage exception from a message
     * @param <E>          the tool's usage exception
     * @return the file, absolute
     * @throws E when the value is missing or blank, names a folder, or a file in a folder that does not exist
     */
    public static <E extends Exception> Path parse(String value, Function<String, E> usageProblem) throws E {
        if (value == null || value.isBlank()) {
            throw usageProblem.apply("--report needs a file name, e.g. --report=report.html");
        }
        Path file = Path.of(value).toAbsolutePath();
        if (Files.isDirectory(file)) {
            throw usageProblem.apply("--report must name a file, but '" + value + "' is a folder");
        }
        if (file.getParent() != null && !Files.isDirectory(file.getParent())) {
            throw usageProblem.apply("--report: the folder of '" + value + "' does not exist");
        }
        return file;
    }

    /**
     * Writes the page to the option's file and prints {@code report: FILE}.
     *
     * @param page    the page
     * @param file    the option's file
     * @param command the command's name, for the error
     * @param out     where {@code report: FILE} goes
     * @param err     where {@code ERROR COMMAND: the report could not be written: ...} goes
     * @return whether the page was written
     */
    public static boolean write(SwapReport page, Path file, String command, PrintStream out, PrintStream err) {
        try {
            page.write(file);
            out.println("report: " + file);
            return true;
        } catch (IOException e) {
            err.println("ERROR " + command + ": the report could not be written: " + e.getMessage());
            return false;
        }
    }
}
