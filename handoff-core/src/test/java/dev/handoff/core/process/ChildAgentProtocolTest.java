package dev.handoff.core.process;

import dev.handoff.core.internal.process.ControlSocket;
import dev.handoff.core.internal.process.LineChannel;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.channels.SocketChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The child's side of the protocol, seen from a parent written by hand: a real {@link TestChild} JVM with its
 * {@link ChildAgent}, talking to this test over a real Unix domain socket.
 */
class ChildAgentProtocolTest {

    private static final Duration WAIT = Duration.ofSeconds(30);

    @TempDir
    Path folder;

    private Process child;
    private ControlSocket socket;
    private LineChannel channel;

    @AfterEach
    void stopChild() throws Exception {
        if (channel != null) {
            channel.close();
        }
        if (socket != null) {
            socket.close();
        }
        if (child != null) {
            child.destroyForcibly();
            child.onExit().get(WAIT.toSeconds(), TimeUnit.SECONDS);
        }
    }

    private void startChild() throws Exception {
        startChild(Map.of());
    }

    private void startChild(Map<String, String> environment) throws Exception {
        startChild("ready", environment);
    }

    private void startChild(String mode, Map<String, String> environment) throws Exception {
        socket = ControlSocket.open(folder);
        ProcessBuilder builder = new ProcessBuilder(
                ProcessHandle.current().info().command().orElseThrow(),
                "-cp", System.getProperty("java.class.path"), TestChild.class.getName(), mode);
        builder.environment().put("HANDOFF_AGENT_SOCKET", socket.path().toString());
        builder.environment().put("HANDOFF_AGENT_TOKEN", socket.token());
        builder.environment().putAll(environment);
        builder.redirectOutput(ProcessBuilder.Redirect.appendTo(folder.resolve("child.log").toFile()));
        builder.redirectError(ProcessBuilder.Redirect.appendTo(folder.resolve("child.log").toFile()));
        child = builder.start();
        channel = new LineChannel(CompletableFuture.supplyAsync(() -> {
            try {
                return socket.accept();
            } catch (Exception e) {
                throw new IllegalStateException(e);
            }
        }).get(WAIT.toSeconds(), TimeUnit.SECONDS));
    }

    /** Reads up to the child's READY event, which it sends once its lifecycle is READY. */
    private void awaitReady() throws Exception {
        String line = read();
        assertThat(line).as("the child's first line after the handshake").isEqualTo("READY");
    }

    private String read() throws Exception {
        return CompletableFuture.supplyAsync(() -> {
            try {
                return channel.readLine();
            } catch (Exception e) {
                throw new IllegalStateException(e);
            }
        }).get(WAIT.toSeconds(), TimeUnit.SECONDS);
    }

    /** The next line from the child, skipping its READY event, which may come at any point after the handshake. */
    private String next() throws Exception {
        String line;
        do {
            line = read();
        } while ("READY".equals(line));
        return line;
    }

    @Test
    void theChildSaysHelloWithVersionAndTokenAndRejectsBadCommandsWithoutCrashing() throws Exception {
        // given a child that connected
        startChild();
        assertThat(next()).isEqualTo("HELLO 1 " + socket.token());
        channel.writeLine("WELCOME 1");
        awaitReady();

        // when the parent sends malformed, unknown and over-long lines, then then it answers each with ERROR
        channel.writeLine("NONSENSE");
        assertThat(next()).isEqualTo("ERROR unknown command 'NONSENSE'; expected one of STOP_ACCEPTING, "
                + "RESUME_ACCEPTING, DRAIN, FORCE_STOP, STATUS?, EXIT");
        channel.writeLine("STOP_ACCEPTING please");
        assertThat(next()).isEqualTo("ERROR STOP_ACCEPTING takes no argument other than epoch=<positive number> "
                + "and swap=<id>, but got 'STOP_ACCEPTING please'");
        channel.writeLine("STATUS?" + "!".repeat(2000));
        assertThat(next()).isEqualTo("ERROR line longer than 1024 bytes");
        channel.writeLine("DRAIN\u0007");
        assertThat(next()).isEqualTo("ERROR line holds control character U+0007 at index 5");
        channel.writeLine("");
        assertThat(next()).startsWith("ERROR unknown command ''");

        // and an ERROR from the parent is logged, never answered: the next answer is the STATUS asked after it
        channel.writeLine("ERROR the parent is confused");
        channel.writeLine("STATUS?");
        assertThat(next()).isEqualTo("STATUS in-flight=0 state=READY");

        // and it still follows good commands, and exits on EXIT
        channel.writeLine("STOP_ACCEPTING");
        assertThat(next()).isEqualTo("STATUS in-flight=0 state=DRAINING");
        channel.writeLine("DRAIN");
        assertThat(next()).isEqualTo("STATUS in-flight=0 state=DRAINED");
        assertThat(next()).isEqualTo("DRAINED");
        channel.writeLine("RESUME_ACCEPTING");
        assertThat(next()).isEqualTo("STATUS in-flight=0 state=READY");
        channel.writeLine("FORCE_STOP");
        assertThat(next()).isEqualTo("STATUS in-flight=0 state=READY abandoned=0");
        channel.writeLine("EXIT");
        // an instance told to EXIT stops accepting first: its exit then serves no propagation delay
        assertThat(next()).isEqualTo("STATUS in-flight=0 state=DRAINING");
        assertThat(child.onExit().get(WAIT.toSeconds(), TimeUnit.SECONDS).exitValue()).isZero();
    }

    @Test
    void aChildLaunchedUnderAStateDirectoryActsOnlyOnCommandsCarryingTheEpochItFollows() throws Exception {
        // given a child launched by the orchestrator of epoch 3
        startChild(Map.of("HANDOFF_AGENT_ADOPT_SOCKET", folder.resolve("adopt.sock").toString(),
                "HANDOFF_AGENT_EPOCH", "3",
                "HANDOFF_AGENT_ORPHAN_LEASE_MILLIS", "60000",
                "HANDOFF_AGENT_ORPHAN_POLICY", "TERMINATE_GRACEFULLY"));
        assertThat(next()).startsWith("HELLO 1 ");
        channel.writeLine("WELCOME 1");
        awaitReady();

        // when commands come without the epoch, with an older one or with one it does not follow,
        // then each is refused and none acts
        channel.writeLine("STOP_ACCEPTING");
        assertThat(next()).isEqualTo("ERROR STOP_ACCEPTING carries no epoch: this instance follows epoch 3");
        channel.writeLine("STOP_ACCEPTING epoch=2");
        assertThat(next()).isEqualTo("ERROR stale epoch 2 in STOP_ACCEPTING: this instance follows epoch 3");
        channel.writeLine("EXIT epoch=4");
        assertThat(next()).isEqualTo("ERROR unknown epoch 4 in EXIT: this instance follows epoch 3");
        channel.writeLine("STOP_ACCEPTING epoch=x");
        assertThat(next()).startsWith("ERROR STOP_ACCEPTING takes no argument other than epoch=<positive number>");
        channel.writeLine("STATUS? epoch=3");
        assertThat(next()).isEqualTo("STATUS in-flight=0 state=READY");

        // and a command with the epoch acts
        channel.writeLine("STOP_ACCEPTING epoch=3");
        assertThat(next()).isEqualTo("STATUS in-flight=0 state=DRAINING");
    }

    @Test
    void aCommandCarriesItsSwapIdIntoTheChildsMdcWhileTheChildActsOnIt() throws Exception {
        startChild("ready-mdc", Map.of());
        assertThat(next()).startsWith("HELLO 1 ");
        channel.writeLine("WELCOME 1");
        awaitReady();

        channel.writeLine("STOP_ACCEPTING swap=web/swap-7");

        assertThat(next()).isEqualTo("STATUS in-flight=0 state=DRAINING");
        Path log = folder.resolve("child.log");
        Awaitility.await().atMost(WAIT).untilAsserted(() ->
                assertThat(Files.readString(log)).contains("left READY in swap web/swap-7"));
    }

    @Test
    void aChildReAdoptedByALaterOrchestratorTellsItsStateAndTheTerminationBudgetItAnnounced() throws Exception {
        // given a child of epoch 3 that announced a termination budget of 20 s
        Path adoption = folder.resolve("adopt.sock");
        startChild("announces-budget", Map.of("HANDOFF_AGENT_ADOPT_SOCKET", adoption.toString(),
                "HANDOFF_AGENT_EPOCH", "3",
                "HANDOFF_AGENT_ORPHAN_LEASE_MILLIS", "60000",
                "HANDOFF_AGENT_ORPHAN_POLICY", "TERMINATE_GRACEFULLY"));
        assertThat(next()).isEqualTo("HELLO 1 " + socket.token() + " budget-ms=20000");
        channel.writeLine("WELCOME 1");
        awaitReady();

        // when the orchestrator of epoch 4 adopts it
        Awaitility.await().atMost(WAIT).until(() -> Files.exists(adoption));
        SocketChannel raw = SocketChannel.open(StandardProtocolFamily.UNIX);
        raw.connect(UnixDomainSocketAddress.of(adoption));
        try (LineChannel later = new LineChannel(raw)) {
            later.writeLine("ADOPT 1 " + socket.token() + " 4 " + ProcessHandle.current().pid());
            String answer = CompletableFuture.supplyAsync(() -> {
                try {
                    return later.readLine();
                } catch (Exception e) {
                    throw new IllegalStateException(e);
                }
            }).get(WAIT.toSeconds(), TimeUnit.SECONDS);

            // then it answers with its pid, state and budget, and follows epoch 4 from now on
            assertThat(answer).isEqualTo("ADOPTED 1 " + child.pid() + " in-flight=0 state=READY budget-ms=20000");
            later.writeLine("STATUS? epoch=4");
            assertThat(CompletableFuture.supplyAsync(() -> {
                try {
                    return later.readLine();
                } catch (Exception e) {
                    throw new IllegalStateException(e);
                }
            }).get(WAIT.toSeconds(), TimeUnit.SECONDS)).isEqualTo("STATUS in-flight=0 state=READY");
        }
    }

    @Test
    void aChildWithoutAStateDirectoryRefusesACommandCarryingAnEpoch() throws Exception {
        startChild();
        assertThat(next()).startsWith("HELLO 1 ");
        channel.writeLine("WELCOME 1");
        awaitReady();

        channel.writeLine("STOP_ACCEPTING epoch=1");

        assertThat(next()).isEqualTo("ERROR unknown epoch 1 in STOP_ACCEPTING: this instance follows epoch 0");
        channel.writeLine("STATUS?");
        assertThat(next()).isEqualTo("STATUS in-flight=0 state=READY");
    }

    @Test
    void aChildWhoseParentAnswersTheHandshakeWrongExits() throws Exception {
        startChild();
        assertThat(next()).startsWith("HELLO 1 ");

        channel.writeLine("WELCOME 2");

        assertThat(child.onExit().get(WAIT.toSeconds(), TimeUnit.SECONDS).exitValue()).isNotZero();
    }

    @Test
    void aChildWhoseControlChannelClosesExitsByItself() throws Exception {
        startChild();
        assertThat(next()).startsWith("HELLO 1 ");
        channel.writeLine("WELCOME 1");
        channel.writeLine("STATUS?");
        assertThat(next()).startsWith("STATUS ");

        channel.close();

        assertThat(child.onExit().get(WAIT.toSeconds(), TimeUnit.SECONDS).exitValue()).isEqualTo(3);
    }
}
