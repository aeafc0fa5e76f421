package dev.handoff.core.internal.process;

import dev.handoff.api.HandoffException;
import dev.handoff.api.Lifecycle;
import dev.handoff.api.LifecycleState;
import dev.handoff.core.internal.process.LineChannel.ProtocolViolation;
import dev.handoff.core.internal.process.Protocol.Command;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.net.ConnectException;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.channels.SocketChannel;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributes;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * The child's side of the control channel, behind {@code dev.handoff.core.process.ChildAgent}: connects to the
 * parent's socket, says HELLO, then answers the parent's commands on its own thread ({@code handoff-agent}) and
 * reports the lifecycle's READY, DRAINED and FAILED. Thread-safe.
 */
public final class AgentSession implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(AgentSession.class);

    private final Lifecycle lifecycle;
    private final Duration exitWatchdog;
    private final int orphanedExitStatus;
    private final LineChannel channel;
    private final AtomicBoolean closing = new AtomicBoolean();
    private final AtomicBoolean failedSent = new AtomicBoolean();

    private AgentSession(Lifecycle lifecycle, Duration exitWatchdog, int orphanedExitStatus,
                         LineChannel channel) {
        this.lifecycle = lifecycle;
        this.exitWatchdog = exitWatchdog;
        this.orphanedExitStatus = orphanedExitStatus;
        this.channel = channel;
    }

    /**
     * Connects to the parent named in the environment and completes the handshake.
     *
     * @param environment        where to find {@link Protocol#SOCKET_ENV} and {@link Protocol#TOKEN_ENV}
     * @param lifecycle          the application's lifecycle
     * @param handshakeTimeout   how long to wait for the parent's WELCOME
     * @param exitWatchdog       how long shutdown hooks may run after an EXIT or after the parent is gone,
     *                           before the JVM is halted
     * @param orphanedExitStatus the exit status when the parent is gone
     * @return the connected session, already reporting the lifecycle
     * @throws IllegalStateException when the environment names no parent socket
     * @throws HandoffException      when the connection or the handshake fails or times out
     */
    public static AgentSession connect(Map<String, String> environment, Lifecycle lifecycle,
                                       Duration handshakeTimeout, Duration exitWatchdog, int orphanedExitStatus) {
        String path = environment.get(Protocol.SOCKET_ENV);
        String token = environment.get(Protocol.TOKEN_ENV);
        if (path == null || token == null) {
            throw new IllegalStateException(Protocol.SOCKET_ENV + " and " + Protocol.TOKEN_ENV
                    + " must be set (this process must be started by ChildProcessLauncher), but "
                    + (path == null ? Protocol.SOCKET_ENV : Protocol.TOKEN_ENV) + " was not");
        }
        LineChannel channel;
        try {
            channel = new LineChannel(open(Path.of(path)));
            channel.writeLine(Protocol.hello(token));
        } catch (IOException e) {
            throw new HandoffException("cannot connect to the parent's control socket " + path + ": "
                    + e.getMessage(), e);
        }
        awaitWelcome(channel, handshakeTimeout);
        AgentSession session = new AgentSession(lifecycle, exitWatchdog, orphanedExitStatus, channel);
        session.start();
        return session;
    }

    private static SocketChannel open(Path path) throws IOException {
        SocketChannel socket = SocketChannel.open(StandardProtocolFamily.UNIX);
        try {
            socket.connect(UnixDomainSocketAddress.of(path));
            return socket;
        } catch (ConnectException e) {
            socket.close();
            removeDeadSocket(path);
            throw e;
        } catch (IOException | RuntimeException e) {
            socket.close();
            throw e;
        }
    }

    /**
     * Nobody listens on the parent's socket: the parent was killed before this agent connected (it removes the socket
     * and its folder itself on every other path). Removes them, if they look like what a launcher creates, so that
     * nothing is left in the temporary folder.
     */
    private static void removeDeadSocket(Path path) {
        Path folder = path.getParent();
        if (folder == null || !path.getFileName().toString().equals(ControlSocket.SOCKET_NAME)
                || !folder.getFileName().toString().startsWith(ControlSocket.FOLDER_PREFIX)) {
            return;
        }
        try {
            BasicFileAttributes attributes = Files.readAttributes(path, BasicFileAttributes.class,
                    LinkOption.NOFOLLOW_LINKS);
            if (attributes.isOther()) {
                Files.deleteIfExists(path);
                Files.deleteIfExists(folder);
                LOG.info("removed the dead control socket {} and its folder", path);
            }
        } catch (IOException e) {
            // Not there, not ours or not empty: leave it.
            LOG.debug("left the dead control socket {} in place", path, e);
        }
    }

    private static void awaitWelcome(LineChannel channel, Duration timeout) {
        CompletableFuture<String> answer = CompletableFuture.supplyAsync(() -> {
            try {
                return channel.readLine();
            } catch (IOException | ProtocolViolation e) {
                throw new HandoffException("the parent's answer to HELLO is unreadable: " + e.getMessage(), e);
            }
        }, runnable -> startThread("handoff-agent-handshake", runnable, true));
        String welcome;
        try {
            welcome = answer.get(timeout.toNanos(), TimeUnit.NANOSECONDS);
        } catch (TimeoutException e) {
            channel.close();
            throw new HandoffException("the parent did not answer HELLO within " + timeout);
        } catch (ExecutionException e) {
            channel.close();
            throw new HandoffException("handshake with the parent failed: " + e.getCause().getMessage(), e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            channel.close();
            throw new HandoffException("interrupted while waiting for the parent's WELCOME", e);
        }
        String expected = Protocol.welcome();
        if (!expected.equals(welcome)) {
            channel.close();
            throw new HandoffException("the parent rejected the handshake: expected '" + expected + "', but got '"
                    + (welcome == null ? "end of stream" : Protocol.shorten(welcome)) + "'");
        }
    }

    private void start() {
        startThread("handoff-agent", this::converse, true);
        lifecycle.whenReady().whenComplete((ready, error) -> {
            if (error == null) {
                send(Protocol.READY);
            } else {
                sendFailed("not ready: " + error.getMessage());
            }
        });
        lifecycle.addListener((from, to) -> {
            if (to == LifecycleState.FAILED) {
                sendFailed("lifecycle moved from " + from + " to FAILED");
            }
        });
        ProcessHandle.current().parent().ifPresent(parent ->
                parent.onExit().thenRun(() -> orphaned("parent process " + parent.pid() + " exited")));
    }

    private void converse() {
        try {
            while (true) {
                String line;
                try {
                    line = channel.readLine();
                } catch (ProtocolViolation violation) {
                    reject(violation.getMessage());
                    continue;
                }
                if (line == null) {
                    break;
                }
                handle(line);
            }
            orphaned("the parent closed the control channel");
        } catch (IOException e) {
            orphaned("the control channel failed: " + e.getMessage());
        }
    }

    private void handle(String line) {
        if (Protocol.firstWord(line).equals(Protocol.ERROR)) {
            // Never answered, or two confused peers could reject each other's errors forever.
            LOG.warn("the parent rejected a line from this agent: {}", Protocol.rest(line));
            return;
        }
        Command command;
        try {
            command = Command.parse(line);
        } catch (ProtocolViolation violation) {
            reject(violation.getMessage());
            return;
        }
        LOG.debug("parent asks {}", command.wire());
        switch (command) {
            case STOP_ACCEPTING:
                answer(lifecycle.stopAccepting(), "STOP_ACCEPTING");
                break;
            case RESUME_ACCEPTING:
                answer(lifecycle.resumeAccepting(), "RESUME_ACCEPTING");
                break;
            case DRAIN:
                drain();
                break;
            case FORCE_STOP:
                lifecycle.forceStop().whenComplete((abandoned, error) -> {
                    if (error != null) {
                        send(Protocol.error("FORCE_STOP failed: " + error.getMessage()));
                    } else {
                        sendStatus(abandoned);
                    }
                });
                break;
            case STATUS:
                sendStatus(-1);
                break;
            case EXIT:
                // The parent detached this instance (or never attached it): no router sends it work any more, so
                // the SIGTERM sequence that the exit runs must not serve on for a propagation delay. Stopping
                // accepting first tells it so (it skips the delay for an instance that was not READY).
                lifecycle.stopAccepting();
                sendStatus(-1);
                exit(0, "the parent asked to EXIT");
                break;
            default:
                throw new IllegalStateException("unhandled command " + command);
        }
    }

    /** Answers a command with a STATUS once the instance has carried it out, or with an ERROR. */
    private void answer(CompletionStage<Void> done, String command) {
        done.whenComplete((ignored, error) -> {
            if (error != null) {
                send(Protocol.error(command + " refused: " + unwrap(error).getMessage()));
            } else {
                sendStatus(-1);
            }
        });
    }

    private static Throwable unwrap(Throwable error) {
        return error instanceof CompletionException && error.getCause() != null ? error.getCause() : error;
    }

    private void drain() {
        if (lifecycle.state().isTerminal()) {
            send(Protocol.error("DRAIN refused: the instance is " + lifecycle.state()));
            return;
        }
        CompletionStage<Void> drained = lifecycle.drain();
        sendStatus(-1);
        drained.whenComplete((done, error) -> {
            if (error == null) {
                send(Protocol.DRAINED);
            } else {
                sendFailed("drain failed: " + error.getMessage());
            }
        });
    }

    private void reject(String reason) {
        LOG.warn("rejected a line from the parent: {}", reason);
        send(Protocol.error(reason));
    }

    private void sendStatus(long abandoned) {
        send(Protocol.status(lifecycle.state(), lifecycle.inFlight(), abandoned));
    }

    private void sendFailed(String reason) {
        if (failedSent.compareAndSet(false, true)) {
            send(Protocol.failed(reason));
        }
    }

    private void send(String line) {
        try {
            channel.writeLine(line);
        } catch (IOException e) {
            // The reader sees the channel close and treats the parent as gone.
            LOG.debug("could not send '{}' to the parent", line, e);
        }
    }

    private void orphaned(String reason) {
        if (!closing.get()) {
            exit(orphanedExitStatus, reason);
        }
    }

    private void exit(int status, String reason) {
        if (!closing.compareAndSet(false, true)) {
            return;
        }
        LOG.info("exiting with status {}: {}", status, reason);
        channel.close();
        startThread("handoff-agent-exit-watchdog", () -> {
            try {
                Thread.sleep(exitWatchdog.toMillis());
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            LOG.error("shutdown hooks still running {} after exit was asked; halting with status {}",
                    exitWatchdog, status);
            Runtime.getRuntime().halt(status);
        }, true);
        // System.exit blocks its caller until the JVM ends: never call it on the agent's own threads.
        startThread("handoff-agent-exit", () -> System.exit(status), false);
    }

    /** Closes the channel without exiting; the parent sees the agent go and treats the instance as failed. */
    @Override
    public void close() {
        if (closing.compareAndSet(false, true)) {
            channel.close();
        }
    }

    private static Thread startThread(String name, Runnable task, boolean daemon) {
        Thread thread = new Thread(task, name);
        thread.setDaemon(daemon);
        thread.start();
        return thread;
    }
}
