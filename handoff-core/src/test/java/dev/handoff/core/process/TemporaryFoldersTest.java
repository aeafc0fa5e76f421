package dev.handoff.core.process;

import dev.handoff.api.Lifecycle;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import java.util.stream.Stream;

import static dev.handoff.core.process.ChildProcessLauncherTest.get;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * Every private socket folder the launcher creates is removed, whatever way the child ends: the folder where the
 * launcher makes them is listed before and after each ending.
 */
class TemporaryFoldersTest {

    private static final Duration WAIT = Duration.ofSeconds(30);

    @TempDir
    Path logs;
    @TempDir
    Path sockets;

    private final List<ChildProcessInstance> launched = new ArrayList<>();
    private final List<ProcessHandle> processes = new ArrayList<>();

    @BeforeEach
    void nothingYet() throws IOException {
        assertThat(folders()).isEmpty();
    }

    @AfterEach
    void killEverything() throws Exception {
        for (ChildProcessInstance child : launched) {
            processes.add(child.processHandle());
        }
        for (ProcessHandle process : processes) {
            process.destroyForcibly();
            process.onExit().get(WAIT.toSeconds(), TimeUnit.SECONDS);
        }
    }

    private List<String> folders() throws IOException {
        try (Stream<Path> paths = Files.list(sockets)) {
            return paths.map(path -> path.getFileName().toString()).sorted().toList();
        }
    }

    private void awaitNoFolder() {
        await().atMost(WAIT).untilAsserted(() -> assertThat(folders()).isEmpty());
    }

    private ChildProcessLauncher.Builder launcher(String mode) {
        return ChildProcessLauncher.builder()
                .mainClass(TestChild.class.getName(), System.getProperty("java.class.path"))
                .arguments(mode.split(" "))
                .socketParent(sockets)
                .exitTimeout(Duration.ofSeconds(2))
                .output(ProcessBuilder.Redirect.appendTo(logs.resolve("children.log").toFile()));
    }

    private ChildProcessInstance launch(String id, String mode) throws Exception {
        Lifecycle child = get(launcher(mode).build().launch(id));
        launched.add((ChildProcessInstance) child);
        return (ChildProcessInstance) child;
    }

    @Test
    void aChildThatServedAndWasDestroyedLeavesNoFolder() throws Exception {
        ChildProcessInstance child = launch("served", "ready");
        get(child.whenReady());
        assertThat(folders()).isEmpty();

        get(child.destroy());

        awaitNoFolder();
    }

    @Test
    void childrenThatEndBeforeOrWhileConnectingLeaveNoFolder() throws Exception {
        // a crash after connecting, an exit before connecting, a rejected token, a flood
        List<ChildProcessInstance> children = List.of(launch("crash", "crash-before-ready"),
                launch("early-exit", "exit-at-once"), launch("intruder", "bad-token"), launch("flood", "flood"));
        for (ChildProcessInstance child : children) {
            get(child.whenReady().handle((ready, failure) -> failure));
        }

        for (ChildProcessInstance child : children) {
            get(child.destroy());
        }

        awaitNoFolder();
    }

    @Test
    void aChildDestroyedBeforeItsAgentConnectedLeavesNoFolder() throws Exception {
        ChildProcessInstance child = launch("silent", "no-agent");
        assertThat(folders()).hasSize(1);

        get(child.destroy());

        awaitNoFolder();
    }

    @Test
    void aChildThatCannotStartLeavesNoFolder() {
        ChildProcessLauncher launcher = launcher("ready").javaBinary(logs.resolve("no-such-java")).build();

        assertThat(launcher.launch("ghost").toCompletableFuture()).isCompletedExceptionally();

        assertThat(sockets.toFile().list()).isEmpty();
    }

    @Test
    void aParentThatShutsDownLeavesNoFolderOfAChildThatNeverConnected() throws Exception {
        // SIGTERM: the parent's shutdown hook destroys the child, then removes what is left of its channel
        assertNoFolderLeftWhenParentEnds("no-agent", Process::destroy);
    }

    @Test
    void aParentKilledBeforeItsChildConnectedLeavesNoFolder() throws Exception {
        // SIGKILL: no hook runs in the parent; the child, finding the socket dead, removes it and its folder
        assertNoFolderLeftWhenParentEnds("attach-when-orphaned", Process::destroyForcibly);
    }

    private void assertNoFolderLeftWhenParentEnds(String grandchildMode, Consumer<Process> end) throws Exception {
        ProcessBuilder builder = new ProcessBuilder(
                ProcessHandle.current().info().command().orElseThrow(),
                "-cp", System.getProperty("java.class.path"), TestChild.class.getName(), "intermediate-early",
                grandchildMode, sockets.toString());
        builder.redirectError(ProcessBuilder.Redirect.appendTo(logs.resolve("intermediate.log").toFile()));
        Process intermediate = builder.start();
        processes.add(intermediate.toHandle());
        BufferedReader output = new BufferedReader(new InputStreamReader(intermediate.getInputStream(),
                StandardCharsets.UTF_8));
        String line = CompletableFuture.supplyAsync(() -> {
            try {
                return output.readLine();
            } catch (IOException e) {
                throw new IllegalStateException(e);
            }
        }).get(WAIT.toSeconds(), TimeUnit.SECONDS);
        assertThat(line).startsWith("GRANDCHILD ");
        ProcessHandle grandchild = ProcessHandle.of(Long.parseLong(line.substring("GRANDCHILD ".length())))
                .orElseThrow();
        processes.add(grandchild);
        assertThat(folders()).as("the grandchild has not connected").hasSize(1);

        end.accept(intermediate);

        intermediate.onExit().get(WAIT.toSeconds(), TimeUnit.SECONDS);
        await().atMost(WAIT).until(() -> !grandchild.isAlive());
        awaitNoFolder();
    }
}
