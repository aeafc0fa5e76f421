package dev.handoff.core.internal.journal;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/** A child JVM running {@link JournalChild} on a state directory; every wait on it is bounded. */
final class OtherJvm implements AutoCloseable {

    static final int REFUSED = JournalChild.REFUSED;
    private static final Duration WAIT = Duration.ofSeconds(60);

    private final Process process;
    private final BufferedReader output;

    private OtherJvm(Process process) {
        this.process = process;
        this.output = new BufferedReader(new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8));
    }

    /** What a child that tried to open the directory printed, and how it exited. */
    record Outcome(String line, int exitCode) {
    }

    /** Runs a child that opens the directory and closes it at once (or is refused), and waits for its end. */
    static Outcome tryToOpen(Path directory, String group) throws IOException {
        try (OtherJvm child = start("try", directory, group)) {
            String line = child.readLine();
            return new Outcome(line, child.exitCode());
        }
    }

    /** Starts a child that opens the directory and holds it until {@link #release()}; returns once it holds it. */
    static OtherJvm hold(Path directory, String group) throws IOException {
        OtherJvm child = start("hold", directory, group);
        try {
            String line = child.readLine();
            if (line == null || !line.startsWith("OPENED ")) {
                throw new IllegalStateException("the child did not open " + directory + ": " + line);
            }
            return child;
        } catch (IOException | RuntimeException e) {
            child.close();
            throw e;
        }
    }

    /** @return the child's pid */
    long pid() {
        return process.pid();
    }

    /** Closes the child's input: it closes its journal and exits. @return its exit code */
    int release() throws IOException {
        process.getOutputStream().close();
        return exitCode();
    }

    /** Kills the child (SIGKILL: no hook, no close) and waits until it is gone. */
    void kill() throws IOException {
        process.destroyForcibly();
        exitCode();
    }

    @Override
    public void close() {
        process.destroyForcibly();
    }

    private static OtherJvm start(String mode, Path directory, String group) throws IOException {
        ProcessBuilder builder = new ProcessBuilder(ProcessHandle.current().info().command().orElseThrow(),
                "-cp", System.getProperty("java.class.path"), JournalChild.class.getName(), mode,
                directory.toString(), group);
        builder.redirectError(ProcessBuilder.Redirect.INHERIT);
        return new OtherJvm(builder.start());
    }

    private String readLine() throws IOException {
        try {
            return CompletableFuture.supplyAsync(() -> {
                try {
                    return output.readLine();
                } catch (IOException e) {
                    throw new UncheckedIOException(e);
                }
            }).get(WAIT.toSeconds(), TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException("interrupted while reading the child's output", e);
        } catch (ExecutionException | TimeoutException e) {
            throw new IOException("no line from the child within " + WAIT, e);
        }
    }

    private int exitCode() throws IOException {
        try {
            return process.onExit().get(WAIT.toSeconds(), TimeUnit.SECONDS).exitValue();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException("interrupted while waiting for the child", e);
        } catch (ExecutionException | TimeoutException e) {
            throw new IOException("the child did not exit within " + WAIT, e);
        }
    }
}
