package dev.handoff.core.process;

import dev.handoff.api.InstanceFailedException;
import dev.handoff.api.Lifecycle;
import dev.handoff.api.LifecycleState;
import dev.handoff.api.Plan;
import dev.handoff.api.SwapOutcome;
import dev.handoff.api.SwapResult;
import dev.handoff.api.spi.Launcher;
import dev.handoff.core.Orchestrator;
import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.IThrowableProxy;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import dev.handoff.core.internal.process.ChildProcess;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.slf4j.LoggerFactory;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Deque;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static dev.handoff.core.process.ChildProcessLauncherTest.get;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.catchThrowable;
import static org.awaitility.Awaitility.await;

/**
 * The control channel never blocks the orchestrator: real child JVMs that flood the parent with lines, or stop
 * reading what the parent writes, are disconnected and failed, and the swap or start that involves them ends by its
 * own deadlines with its defined outcome.
 */
class ControlChannelTest {

    /** Bounds every wait of these tests; well beyond the deadlines of the orchestrator under test. */
    private static final Duration BOUND = Duration.ofSeconds(30);

    @TempDir
    Path logs;

    private final Deque<String> modes = new ArrayDeque<>();
    private final List<ChildProcessInstance> children = Collections.synchronizedList(new ArrayList<>());
    private final AttachedSet router = new AttachedSet();
    private final ExecutorService background = Executors.newCachedThreadPool(runnable -> {
        Thread thread = new Thread(runnable, "control-channel-test");
        thread.setDaemon(true);
        return thread;
    });
    private Orchestrator orchestrator;
    private final Logger parentLogger = (Logger) LoggerFactory.getLogger(ChildProcess.class);
    private final ListAppender<ILoggingEvent> parentLog = new ListAppender<>();

    @BeforeEach
    void captureParentLogs() {
        parentLog.start();
        parentLogger.addAppender(parentLog);
        parentLogger.setLevel(Level.DEBUG);
    }

    @AfterEach
    void killEverything() throws Exception {
        parentLogger.detachAppender(parentLog);
        parentLogger.setLevel(null);
        // Killed first, by pid: a parent blocked writing to a child is released only when the child goes away.
        for (ChildProcessInstance child : List.copyOf(children)) {
            child.processHandle().destroyForcibly();
            child.processHandle().onExit().get(BOUND.toSeconds(), TimeUnit.SECONDS);
        }
        if (orchestrator != null) {
            orchestrator.close();
        }
        background.shutdownNow();
    }

    private final Launcher launcher = instanceId -> {
        String mode;
        synchronized (modes) {
            mode = modes.removeFirst();
        }
        return ChildProcessLauncher.builder()
                .mainClass(TestChild.class.getName(), System.getProperty("java.class.path"))
                .arguments(mode.split(" "))
                .output(ProcessBuilder.Redirect.appendTo(logs.resolve(instanceId + ".log").toFile()))
                .exitTimeout(Duration.ofSeconds(1))
                .build()
                .launch(instanceId)
                .thenApply(handle -> {
                    children.add((ChildProcessInstance) handle);
                    return handle;
                });
    };

    private Orchestrator orchestrator(String... childModes) {
        modes.addAll(List.of(childModes));
        orchestrator = Orchestrator.builder("channel", launcher, router)
                .readyTimeout(Duration.ofSeconds(20))
                .detachTimeout(Duration.ofSeconds(10))
                .drainTimeout(Duration.ofSeconds(10))
                .destroyTimeout(Duration.ofSeconds(10))
                .build();
        return orchestrator;
    }

    /** Launches one child outside an orchestrator. */
    private ChildProcessInstance launch(String instanceId, String mode) throws Exception {
        synchronized (modes) {
            modes.add(mode);
        }
        return (ChildProcessInstance) bounded(launcher.launch(instanceId));
    }

    private static <T> T bounded(CompletionStage<T> stage) throws Exception {
        return stage.toCompletableFuture().get(BOUND.toSeconds(), TimeUnit.SECONDS);
    }

    private ChildProcessInstance only(List<Lifecycle> instances) {
        assertThat(instances).hasSize(1);
        return (ChildProcessInstance) instances.get(0);
    }

    @Test
    void aNewChildThatFloodsWithoutReadingIsDisconnectedAndTheSwapRollsBack() throws Exception {
        // given a group of one child that serves
        Orchestrator swaps = orchestrator("ready", "flood");
        bounded(swaps.start(1));
        ChildProcessInstance old = only(swaps.instances());

        // when the swap's new child writes lines in a loop and never reads the parent's answers
        SwapResult result = bounded(swaps.swap(Plan.oneForOne()));

        // then the swap ends rolled back: the flooder failed, was disconnected and destroyed; the old child serves on
        assertThat(result.outcome()).isEqualTo(SwapOutcome.ROLLED_BACK);
        ChildProcessInstance flooder = children.get(1);
        assertThatThrownBy(() -> get(flooder.failure())).cause()
                .isInstanceOf(InstanceFailedException.class)
                .hasMessageContaining("flooded its control channel");
        assertThat(bounded(flooder.onExit())).as("destroyed by the rollback").isNotNull();
        assertThat(only(swaps.instances())).isSameAs(old);
        assertThat(router.attached).containsExactly(old.id());
        assertThat(get(old.status()).state()).isEqualTo(LifecycleState.READY);
    }

    @Test
    void aStartWhoseChildFloodsEndsAndLeavesNothingRunning() throws Exception {
        Orchestrator group = orchestrator("flood");

        CompletionStage<SwapResult> start = group.start(1);

        assertThatThrownBy(() -> bounded(start)).cause().hasMessageContaining("flooded its control channel");
        assertThat(group.instances()).isEmpty();
        assertThat(router.attached).isEmpty();
        assertThat(bounded(children.get(0).onExit())).as("destroyed by the rollback").isNotNull();
    }

    @Test
    void anOldChildThatStopsReadingIsFailedAndTheSwapStillEnds() throws Exception {
        // given a group of one child that said READY and then stopped reading its control channel
        Orchestrator swaps = orchestrator("deaf", "ready");
        bounded(swaps.start(1));
        ChildProcessInstance deaf = only(swaps.instances());

        // when the parent has more to tell it than the socket holds (a monitor asking its status), and a swap runs
        CompletableFuture<Void> asking = CompletableFuture.runAsync(() -> {
            for (int i = 0; i < 1_000; i++) {
                deaf.status();
            }
        }, background);
        SwapResult result = bounded(swaps.swap(Plan.oneForOne()));

        // then the swap ended with one of its defined outcomes, nobody waited on the socket, and the deaf child
        // was disconnected as failed and destroyed
        assertThat(result.outcome()).isIn(SwapOutcome.COMMITTED, SwapOutcome.ROLLED_BACK, SwapOutcome.FORCED);
        bounded(asking);
        assertThatThrownBy(() -> get(deaf.failure())).cause()
                .isInstanceOf(InstanceFailedException.class)
                .hasMessageContaining("stopped reading");
        assertThat(bounded(deaf.onExit())).isNotNull();
    }

    @Test
    void rejectedLinesAreAnsweredAndLoggedAtMostTenASecondAndTheRestIsCounted() throws Exception {
        // given a child that sends 50 lines the parent must reject, all at once, then READY
        ChildProcessInstance child = launch("burst", "burst");

        // when it is asked for its status once it is ready (it reports how many ERRORs reached it before that)
        bounded(child.whenReady());
        assertThat(get(child.status()).state()).isEqualTo(LifecycleState.READY);

        // then about ten were answered with ERROR and logged, the others were counted in one line, and a burst
        // under the flood limit did not cost the child its place
        await().atMost(BOUND).untilAsserted(() -> assertThat(childLog("burst"))
                .contains("errors before the first command: "));
        Matcher answered = Pattern.compile("errors before the first command: (\\d+)").matcher(childLog("burst"));
        assertThat(answered.find()).isTrue();
        int errors = Integer.parseInt(answered.group(1));
        assertThat(errors).isBetween(10, 12);
        Pattern counted = Pattern.compile(".*: (\\d+) more line\\(s\\) from child process \\d+ rejected in the last "
                + "second, neither answered nor logged \\(at most 10 a second are\\)");
        await().atMost(BOUND).untilAsserted(() -> assertThat(warnings())
                .anyMatch(message -> counted.matcher(message).matches()));
        long logged = warnings().stream().filter(message -> message.contains("rejected a line from child process"))
                .count();
        long unlogged = warnings().stream().map(counted::matcher).filter(Matcher::matches)
                .mapToLong(match -> Long.parseLong(match.group(1))).sum();
        assertThat(logged).isEqualTo(errors);
        assertThat(logged + unlogged).isEqualTo(50);
        assertThat(child.failure().toCompletableFuture()).isNotDone();
        get(child.destroy());
    }

    @ParameterizedTest
    @ValueSource(strings = {"extra-word", "token-as-version", "misspelt", "token-alone", "wrong-version"})
    void aMalformedHelloIsRejectedWithoutQuotingAnyOfTheToken(String variant) throws Exception {
        // given a child that sends a malformed HELLO carrying its token
        Path tokenFile = logs.resolve("token-" + variant);
        ChildProcessInstance child = launch("hello-" + variant, "bad-hello " + variant + " " + tokenFile);

        // when the parent rejects the handshake
        Throwable failure = catchThrowable(() -> get(child.whenReady()));
        await().atMost(BOUND).untilAsserted(() -> assertThat(childLog("hello-" + variant)).contains("then: null"));

        // then neither the failure, nor a line the parent logged, nor its answer to the child quotes the token
        String token = Files.readString(tokenFile);
        assertThat(token).hasSize(64);
        assertThat(failure).isNotNull().hasMessageContaining("handshake rejected");
        List<String> texts = new ArrayList<>();
        for (Throwable cause = failure; cause != null; cause = cause.getCause()) {
            texts.add(String.valueOf(cause.getMessage()));
        }
        synchronized (parentLog) {
            for (ILoggingEvent event : parentLog.list) {
                texts.add(event.getFormattedMessage());
                for (IThrowableProxy thrown = event.getThrowableProxy(); thrown != null; thrown = thrown.getCause()) {
                    texts.add(String.valueOf(thrown.getMessage()));
                }
            }
        }
        texts.add(childLog("hello-" + variant));
        assertThat(texts).anyMatch(text -> text.contains("handshake"));
        for (int start = 0; start + 8 <= token.length(); start++) {
            String piece = token.substring(start, start + 8);
            assertThat(texts).as("a text quotes the token's characters %d to %d", start, start + 8)
                    .noneMatch(text -> text.contains(piece));
        }
        get(child.destroy());
    }

    private String childLog(String instanceId) throws Exception {
        return Files.readString(logs.resolve(instanceId + ".log"));
    }

    private List<String> warnings() {
        synchronized (parentLog) {
            return parentLog.list.stream().map(ILoggingEvent::getFormattedMessage).toList();
        }
    }
}
