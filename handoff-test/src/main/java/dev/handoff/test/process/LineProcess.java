package dev.handoff.test.process;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStreamWriter;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.Predicate;

/**
 * A process driven line by line, as the tests and tools drive an orchestrator in a JVM of its own (to kill it with
 * SIGKILL): commands go to its standard input, its standard output is read into a queue of lines by a daemon
 * thread, its standard error is appended to a log file. Thread-safe.
 */
public final class LineProcess {

    private final Process process;
    private final Writer commands;
    private final BlockingQueue<String> lines = new LinkedBlockingQueue<>();
    private final Path log;

    private LineProcess(Process process, Path log) {
        this.process = process;
        this.log = log;
        this.commands = new OutputStreamWriter(process.getOutputStream(), StandardCharsets.UTF_8);
    }

    /**
     * @param command the command line
     * @param log     where its standard error goes (appended)
     * @return the started process
     * @throws IOException when it cannot be started
     */
    public static LineProcess start(List<String> command, Path log) throws IOException {
        Objects.requireNonNull(log, "log must not be null");
        Process process = new ProcessBuilder(command)
                .redirectError(ProcessBuilder.Redirect.appendTo(log.toFile()))
                .start();
        LineProcess started = new LineProcess(process, log);
        BufferedReader reader = new BufferedReader(new InputStreamReader(process.getInputStream(),
                StandardCharsets.UTF_8));
        Thread thread = new Thread(() -> {
            try {
                for (String line = reader.readLine(); line != null; line = reader.readLine()) {
                    started.lines.add(line);
                }
            } catch (IOException e) {
                // the process was killed
            }
        }, "line-process-" + process.pid());
        thread.setDaemon(true);
        thread.start();
        return started;
    }

    /** @return the process */
    public Process process() {
        return process;
    }

    /**
     * @param line written to its standard input, with a newline
     * @throws IOException when it cannot be written (the process is gone)
     */
    public void send(String line) throws IOException {
        synchronized (commands) {
            commands.write(line + "\n");
            commands.flush();
        }
    }

    /**
     * @param wanted  the line to wait for
     * @param timeout how long
     * @return the next line {@code wanted}, dropping the others before it
     * @throws TimeoutException     when none came within {@code timeout} (naming the log and whether it lives)
     * @throws InterruptedException when interrupted
     */
    public String awaitLine(Predicate<String> wanted, Duration timeout) throws InterruptedException,
            TimeoutException {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (true) {
            String line = lines.poll(Math.max(0, deadline - System.nanoTime()), TimeUnit.NANOSECONDS);
            if (line == null) {
                throw new TimeoutException("no awaited line from process " + process.pid() + " within " + timeout
                        + " (see " + log + "); it is " + (process.isAlive() ? "alive"
                        : "dead, status " + process.exitValue()));
            }
            if (wanted.test(line)) {
                return line;
            }
        }
    }

    /** Drops the lines read and not yet awaited. */
    public void clearLines() {
        lines.clear();
    }
}
