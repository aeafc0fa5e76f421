package dev.handoff.core.process;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.ArrayList;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * No child outlives its parent: an intermediate JVM launches a grandchild through {@link ChildProcessLauncher},
 * then the intermediate is ended; the grandchild must go too.
 */
class NoOrphansTest {

    private static final Duration WAIT = Duration.ofSeconds(30);

    @TempDir
    Path folder;

    @Test
    void aGrandchildExitsWhenItsParentIsKilledWithoutRunningHooks() throws Exception {
        // SIGKILL: no shutdown hook runs in the parent; the grandchild's agent sees its control channel close
        assertGrandchildExitsWhenParentEnds(Process::destroyForcibly);
    }

    @Test
    void aGrandchildIsDestroyedWhenItsParentShutsDown() throws Exception {
        // SIGTERM: the parent's shutdown hook destroys its live children
        assertGrandchildExitsWhenParentEnds(Process::destroy);
    }

    @Test
    void aParentShuttingDownWaitsForItsChildsOwnTerminationBeforeAnySigkill() throws Exception {
        // SIGTERM to the parent: its grandchild's own SIGTERM sequence takes 6 s (its propagation delay), more than
        // the 5 s parents used to wait before SIGKILL; the grandchild's termination budget (20 s) covers it
        Path marker = folder.resolve("grandchild-terminated");

        assertGrandchildExitsWhenParentEnds(Process::destroy, "intermediate-slow", marker.toString());

        assertThat(marker).as("the grandchild ran its close hook: it was not killed mid-termination").exists();
    }

    private void assertGrandchildExitsWhenParentEnds(Consumer<Process> end) throws Exception {
        assertGrandchildExitsWhenParentEnds(end, "intermediate");
    }

    private void assertGrandchildExitsWhenParentEnds(Consumer<Process> end, String... intermediateArguments)
            throws Exception {
        List<String> command = new ArrayList<>(List.of(ProcessHandle.current().info().command().orElseThrow(),
                "-cp", System.getProperty("java.class.path"), TestChild.class.getName()));
        command.addAll(List.of(intermediateArguments));
        ProcessBuilder builder = new ProcessBuilder(command);
        builder.redirectError(ProcessBuilder.Redirect.appendTo(folder.resolve("intermediate.log").toFile()));
        Process intermediate = builder.start();
        ProcessHandle grandchild = null;
        try {
            BufferedReader output = new BufferedReader(new InputStreamReader(intermediate.getInputStream(),
                    StandardCharsets.UTF_8));
            String line = CompletableFuture.supplyAsync(() -> {
                try {
                    return output.readLine();
                } catch (Exception e) {
                    throw new IllegalStateException(e);
                }
            }).get(WAIT.toSeconds(), TimeUnit.SECONDS);
            assertThat(line).startsWith("GRANDCHILD ");
            grandchild = ProcessHandle.of(Long.parseLong(line.substring("GRANDCHILD ".length()))).orElseThrow();
            assertThat(grandchild.isAlive()).isTrue();
            assertThat(grandchild.parent().map(ProcessHandle::pid)).contains(intermediate.pid());

            end.accept(intermediate);

            intermediate.onExit().get(WAIT.toSeconds(), TimeUnit.SECONDS);
            ProcessHandle watched = grandchild;
            await().atMost(WAIT).until(() -> !watched.isAlive());
        } finally {
            intermediate.destroyForcibly();
            if (grandchild != null) {
                grandchild.destroyForcibly();
            }
        }
    }
}
