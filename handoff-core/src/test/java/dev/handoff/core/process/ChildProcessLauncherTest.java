package dev.handoff.core.process;

import dev.handoff.api.InstanceFailedException;
import dev.handoff.api.LifecycleState;
import dev.handoff.api.Lifecycle;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

/** Real child JVMs running {@link TestChild}, driven through {@link ChildProcessLauncher}. */
class ChildProcessLauncherTest {

    private static final Duration WAIT = Duration.ofSeconds(30);

    @TempDir
    Path logs;

    private final List<Lifecycle> launched = new ArrayList<>();

    @AfterEach
    void destroyEveryChild() throws Exception {
        for (Lifecycle child : launched) {
            get(child.destroy());
        }
    }

    private ChildProcessInstance launch(String id, String mode) throws Exception {
        return launch(id, mode, Duration.ofSeconds(5));
    }

    private ChildProcessInstance launch(String id, String mode, Duration exitTimeout) throws Exception {
        ChildProcessLauncher launcher = ChildProcessLauncher.builder()
                .mainClass(TestChild.class.getName(), System.getProperty("java.class.path"))
                .arguments(mode)
                .output(ProcessBuilder.Redirect.appendTo(logs.resolve(id + ".log").toFile()))
                .exitTimeout(exitTimeout)
                .build();
        Lifecycle handle = get(launcher.launch(id));
        launched.add(handle);
        assertThat(handle).isInstanceOf(ChildProcessInstance.class);
        assertThat(handle.id()).isEqualTo(id);
        return (ChildProcessInstance) handle;
    }

    static <T> T get(CompletionStage<T> stage) throws Exception {
        return stage.toCompletableFuture().get(WAIT.toSeconds(), TimeUnit.SECONDS);
    }

    private String log(String id) throws IOException {
        return Files.readString(logs.resolve(id + ".log"));
    }

    @Test
    void aChildIsSwappedByDrivingEveryStepOfTheContract() throws Exception {
        // given an old child that serves
        ChildProcessInstance old = launch("old", "ready");
        get(old.whenReady());
        assertThat(get(old.status())).isEqualTo(new ChildStatus(LifecycleState.READY, 0));

        // when a new child is launched and becomes ready, and the old one goes through steps 4 to 7
        ChildProcessInstance replacement = launch("new", "ready");
        get(replacement.whenReady());
        get(old.stopAccepting());
        assertThat(get(old.status()).state()).isEqualTo(LifecycleState.DRAINING);
        get(old.drain());
        assertThat(get(old.status())).isEqualTo(new ChildStatus(LifecycleState.DRAINED, 0));
        assertThat(old.inFlight()).isZero();
        assertThat(get(old.forceStop())).isZero();
        get(old.destroy());

        // then the old one exited cleanly on EXIT, without counting as a failure, and the new one serves on
        assertThat(get(old.onExit())).isZero();
        assertThat(old.processHandle().isAlive()).isFalse();
        assertThat(old.failure().toCompletableFuture()).isNotDone();
        assertThat(get(replacement.status())).isEqualTo(new ChildStatus(LifecycleState.READY, 0));
        assertThat(replacement.failure().toCompletableFuture()).isNotDone();
        get(replacement.destroy());
        assertThat(get(replacement.onExit())).isZero();
    }

    @Test
    void anOldChildIsReadmittedWhenItsReplacementFails() throws Exception {
        ChildProcessInstance old = launch("old", "ready");
        get(old.whenReady());
        get(old.stopAccepting());
        get(old.drain());

        get(old.resumeAccepting());

        assertThat(get(old.status()).state()).isEqualTo(LifecycleState.READY);
        get(old.stopAccepting());
        get(old.drain());
        assertThat(get(old.status()).state()).isEqualTo(LifecycleState.DRAINED);
    }

    @Test
    void aChildThatCrashesBeforeItIsReadyFailsAwaitReadyWithItsExitCode() throws Exception {
        ChildProcessInstance child = launch("crashing", "crash-before-ready");

        assertThatThrownBy(() -> get(child.whenReady()))
                .isInstanceOf(ExecutionException.class)
                .cause()
                .isInstanceOfSatisfying(ChildProcessExitedException.class, exited -> {
                    assertThat(exited.exitCode()).isEqualTo(TestChild.CRASH_STATUS);
                    assertThat(exited.instanceId()).isEqualTo("crashing");
                })
                .hasMessageContaining("exited with code " + TestChild.CRASH_STATUS + " before it was ready");
        assertThatThrownBy(() -> get(child.failure())).cause().isInstanceOf(ChildProcessExitedException.class);
        assertThatThrownBy(() -> get(child.stopAccepting())).cause().isInstanceOf(ChildProcessExitedException.class);
        get(child.destroy());
    }

    @Test
    void aChildKilledWhileRunningIsDetectedAtOnce() throws Exception {
        ChildProcessInstance child = launch("victim", "ready");
        get(child.whenReady());

        child.processHandle().destroyForcibly();

        assertThatThrownBy(() -> get(child.failure())).cause()
                .isInstanceOfSatisfying(ChildProcessExitedException.class,
                        exited -> assertThat(exited.exitCode()).isEqualTo(128 + 9))
                .hasMessageContaining("while running");
    }

    @Test
    void aChildThatHangsInDrainIsForcedAndKilled() throws Exception {
        // given a child with one unit of work that never finishes and a shutdown hook that never ends
        ChildProcessInstance child = launch("hanging", "hang-in-drain", Duration.ofMillis(500));
        get(child.whenReady());
        assertThat(get(child.status()).inFlight()).isEqualTo(1);

        // when it is told to stop accepting and drain
        get(child.stopAccepting());
        CompletionStage<Void> drained = child.drain();
        assertThat(get(child.status()))
                .as("the drain is stuck on the unit in flight")
                .isEqualTo(new ChildStatus(LifecycleState.DRAINING, 1));
        assertThat(drained.toCompletableFuture()).isNotDone();

        // then forceStop reports the abandoned unit, and destroy escalates to SIGKILL
        assertThat(get(child.forceStop())).isEqualTo(1);
        get(child.destroy());
        assertThat(child.processHandle().isAlive()).isFalse();
        assertThat(get(child.onExit())).isEqualTo(128 + 9);
        assertThat(child.failure().toCompletableFuture()).as("a destroy is not a failure").isNotDone();
        assertThatThrownBy(() -> get(drained)).cause().isInstanceOf(InstanceFailedException.class)
                .hasMessageContaining("destroyed");
    }

    @Test
    void aChildThatAnnouncesItsTerminationBudgetIsGivenThatLongToExitBeforeAnySignal() throws Exception {
        // given a child that announces 20 s and whose shutdown takes 3 s, launched with an exit timeout of 500 ms
        ChildProcessInstance child = launch("budgeted", "announces-budget", Duration.ofMillis(500));
        get(child.whenReady());

        // when it is destroyed
        get(child.destroy());

        // then it ended by itself (status 0), neither SIGTERM (143) nor SIGKILL (137) cut its shutdown short
        assertThat(get(child.onExit())).isZero();
        assertThat(log("budgeted")).contains("slow shutdown hook done");
    }

    @Test
    void malformedAndUnexpectedLinesFromAChildAreRejectedWithoutCrashingTheParent() throws Exception {
        // the child says READY only after the parent answered each of its bad lines with ERROR
        ChildProcessInstance child = launch("rude", "bad-lines");

        get(child.whenReady());

        assertThat(get(child.status())).isEqualTo(new ChildStatus(LifecycleState.READY, 0));
        assertThat(child.failure().toCompletableFuture()).isNotDone();
        assertThat(log("rude"))
                .contains("parent answered: ERROR unknown message 'NONSENSE'")
                .contains("parent answered: ERROR READY takes no argument")
                .contains("parent answered: ERROR unexpected DRAINED: no drain was asked")
                .contains("parent answered: ERROR unexpected STATUS: no command is waiting for an answer")
                .contains("parent answered: ERROR FAILED needs a reason")
                .contains("parent answered: ERROR unexpected HELLO: the handshake is over")
                .contains("parent answered: ERROR line longer than 1024 bytes");
        get(child.destroy());
        assertThat(get(child.onExit())).isZero();
    }

    @Test
    void aChildWithTheWrongTokenIsRejectedAtTheHandshake() throws Exception {
        ChildProcessInstance child = launch("intruder", "bad-token");

        assertThatThrownBy(() -> get(child.whenReady())).cause()
                .isInstanceOf(InstanceFailedException.class)
                .hasMessage("instance intruder: handshake rejected: wrong token");
        await().atMost(WAIT).untilAsserted(() -> assertThat(log("intruder"))
                .contains("parent answered: ERROR wrong token")
                .contains("then: null"));
        get(child.destroy());
    }

    @Test
    void actionsAfterExitRunForEveryChildHoweverItEnds() throws Exception {
        // given a launcher with two actions after exit, the first of which throws
        List<String> exited = new CopyOnWriteArrayList<>();
        ChildProcessLauncher.Builder builder = ChildProcessLauncher.builder()
                .mainClass(TestChild.class.getName(), System.getProperty("java.class.path"))
                .output(ProcessBuilder.Redirect.appendTo(logs.resolve("after-exit.log").toFile()))
                .afterExit(child -> {
                    throw new IllegalStateException("a broken action");
                })
                .afterExit(child -> exited.add(child.id() + " " + child.processHandle().isAlive()));
        Lifecycle destroyed = get(builder.arguments("ready").build().launch("destroyed"));
        launched.add(destroyed);
        Lifecycle crashed = get(ChildProcessLauncher.builder()
                .mainClass(TestChild.class.getName(), System.getProperty("java.class.path"))
                .arguments("crash-before-ready")
                .afterExit(child -> exited.add(child.id() + " " + child.processHandle().isAlive()))
                .build().launch("crashed"));
        launched.add(crashed);

        // when one child is destroyed and the other crashes
        get(destroyed.whenReady());
        get(destroyed.destroy());
        assertThatThrownBy(() -> get(crashed.whenReady())).cause().isInstanceOf(ChildProcessExitedException.class);

        // then the actions ran for each, once it had exited
        await().atMost(WAIT).untilAsserted(() -> assertThat(exited)
                .containsExactlyInAnyOrder("destroyed false", "crashed false"));
        assertThatThrownBy(() -> ChildProcessLauncher.builder().afterExit(null))
                .isInstanceOf(NullPointerException.class)
                .hasMessage("afterExit action must not be null");
    }

    @Test
    void aLauncherNeedsAMainClassOrAJar() {
        assertThatThrownBy(() -> ChildProcessLauncher.builder().build())
                .isInstanceOf(IllegalStateException.class)
                .hasMessage("mainClass or jar must be set, but neither was");
        assertThatThrownBy(() -> ChildProcessLauncher.builder().mainClass("a.B", "cp").jar(Path.of("app.jar")))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("jar must not be set with a main class, but mainClass was a.B");
        assertThatThrownBy(() -> ChildProcessLauncher.builder().mainClass(" ", "cp"))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("mainClass must not be blank, but was ' '");
        assertThatThrownBy(() -> ChildProcessLauncher.builder().exitTimeout(Duration.ZERO))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("exitTimeout must be > 0, but was PT0S");
        assertThatThrownBy(() -> ChildProcessLauncher.builder().environment("HANDOFF_AGENT_TOKEN", "x"))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("environment name must not be one the launcher sets, but was HANDOFF_AGENT_TOKEN");
        assertThatThrownBy(() -> ChildProcessLauncher.builder().output(ProcessBuilder.Redirect.PIPE))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("output must be INHERIT, DISCARD or a file, but was PIPE");
    }

    @Test
    void theCommandLineNamesTheJavaBinaryOptionsClassAndArguments() {
        ChildProcessLauncher launcher = ChildProcessLauncher.builder()
                .javaBinary(Path.of("/opt/java/bin/java"))
                .jvmOptions("-Xmx64m")
                .jar(Path.of("app.jar"))
                .arguments("--port", "0")
                .build();

        assertThat(launcher.command())
                .containsExactly("/opt/java/bin/java", "-Xmx64m", "-jar", "app.jar", "--port", "0");
    }

    @Test
    void aChildThatCannotBeStartedFailsTheLaunch() {
        ChildProcessLauncher launcher = ChildProcessLauncher.builder()
                .javaBinary(logs.resolve("no-such-java"))
                .mainClass("a.B", "cp")
                .build();

        assertThatThrownBy(() -> get(launcher.launch("ghost"))).cause()
                .hasMessageStartingWith("instance ghost: cannot start child process [" + logs.resolve("no-such-java"));
    }
}
