package dev.handoff.core.internal.process;

import dev.handoff.api.HandoffException;
import dev.handoff.api.Lifecycle;
import dev.handoff.api.LifecycleState;
import dev.handoff.core.internal.process.LineChannel.ProtocolViolation;
import dev.handoff.core.internal.process.Protocol.Command;
import dev.handoff.core.internal.swap.SerialExecutor;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.slf4j.MDC;

import java.io.IOException;
import java.net.ConnectException;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributes;
import java.time.Duration;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * The child's side of the control channel, behind {@code dev.handoff.core.process.ChildAgent}: connects to the
 * parent's socket, says HELLO, then answers the parent's commands on its own thread ({@code handoff-agent}) and
 * reports the lifecycle's READY, DRAINED and FAILED.
 *
 * <p><b>Under a state directory</b> (the environment names an adoption socket, an epoch, a lease and a policy) the
 * child also listens on its adoption socket, and the loss of its orchestrator does not end it: a child that was asked
 * to drain finishes its drain and exits; any other keeps serving and waits up to the lease for a later orchestrator,
 * which connects and says {@code ADOPT <version> <token> <epoch> <pid>}. An adoption with a higher epoch than the one
 * the child follows takes over (the previous channel, if any, is closed: commands of an older orchestrator can no
 * longer reach the child); one with the same or a lower epoch is refused ({@code ERROR stale epoch ...}). When the
 * lease runs out, the policy decides: terminate gracefully (the default) or keep serving. Thread-safe.
 */
public final class AgentSession implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(AgentSession.class);
    /** How long a connection to the adoption socket may take to send its ADOPT line. */
    static final Duration ADOPT_HANDSHAKE_TIMEOUT = Duration.ofSeconds(10);

    private final Lifecycle lifecycle;
    private final Duration exitWatchdog;
    private final int orphanedExitStatus;
    /** Null without a state directory. */
    private final Lease lease;
    /** The termination budget announced in the HELLO, and again to each orchestrator that re-adopts; or null. */
    private final Duration terminationBudget;
    private final AtomicBoolean closing = new AtomicBoolean();
    private final AtomicBoolean failedSent = new AtomicBoolean();
    private final Object lock = new Object();
    /** The orchestrator's channel; null while orphaned. Guarded by {@code lock}. */
    private LineChannel channel;
    /** The epoch of the orchestrator this child follows. Guarded by {@code lock}. */
    private long epoch;
    /** Counts orphanings and adoptions: a lease timer fires only for the orphaning that started it. */
    private long orphaning;
    /** Whether the orchestrator asked this instance to drain (and did not resume it). */
    private volatile boolean drainAsked;
    private ServerSocketChannel adoptionSocket;
    private ScheduledExecutorService timer;

    private AgentSession(Lifecycle lifecycle, Duration exitWatchdog, int orphanedExitStatus,
                         LineChannel channel, Lease lease, Duration terminationBudget) {
        this.lifecycle = lifecycle;
        this.terminationBudget = terminationBudget;
        this.exitWatchdog = exitWatchdog;
        this.orphanedExitStatus = orphanedExitStatus;
        this.channel = channel;
        this.lease = lease;
        this.epoch = lease == null ? 0 : lease.epoch();
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
     * @param terminationBudget  announced in the HELLO: how long this JVM takes to end once asked; null for none
     * @return the connected session, already reporting the lifecycle
     * @throws IllegalStateException when the environment names no parent socket
     * @throws HandoffException      when the connection or the handshake fails or times out
     */
    public static AgentSession connect(Map<String, String> environment, Lifecycle lifecycle,
                                       Duration handshakeTimeout, Duration exitWatchdog, int orphanedExitStatus,
                                       Duration terminationBudget) {
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
            channel.writeLine(Protocol.hello(token, terminationBudget));
        } catch (IOException e) {
            throw new HandoffException("cannot connect to the parent's control socket " + path + ": "
                    + e.getMessage(), e);
        }
        awaitWelcome(channel, handshakeTimeout);
        Lease lease = Lease.of(environment, token);
        AgentSession session = new AgentSession(lifecycle, exitWatchdog, orphanedExitStatus, channel, lease,
                terminationBudget);
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
        LineChannel first = channel;
        if (lease != null) {
            listenForAdoption();
        }
        startThread("handoff-agent", () -> converse(first), true);
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
                parent.onExit().thenRun(() -> orphaned(first, "parent process " + parent.pid() + " exited")));
    }

    private void converse(LineChannel connection) {
        try {
            while (true) {
                String line;
                try {
                    line = connection.readLine();
                } catch (ProtocolViolation violation) {
                    reject(connection, violation.getMessage());
                    continue;
                }
                if (line == null) {
                    break;
                }
                if (!isCurrent(connection)) {
                    // Superseded by a newer orchestrator: an older one's command must not act.
                    LOG.warn("ignored a line from a superseded orchestrator (the child follows epoch {})", epoch());
                    connection.close();
                    return;
                }
                handle(line);
            }
            orphaned(connection, "the orchestrator closed the control channel");
        } catch (IOException e) {
            orphaned(connection, "the control channel failed: " + e.getMessage());
        }
    }

    private boolean isCurrent(LineChannel connection) {
        synchronized (lock) {
            return channel == connection;
        }
    }

    private long epoch() {
        synchronized (lock) {
            return epoch;
        }
    }

    private void handle(String line) {
        if (Protocol.firstWord(line).equals(Protocol.ERROR)) {
            // Never answered, or two confused peers could reject each other's errors forever.
            LOG.warn("the parent rejected a line from this agent: {}", Protocol.rest(line));
            return;
        }
        Protocol.CommandLine received;
        try {
            received = Protocol.CommandLine.parse(line);
        } catch (ProtocolViolation violation) {
            reject(violation.getMessage());
            return;
        }
        long followed = epoch();
        if (received.epoch() != followed) {
            // Every command of an orchestrator with a state directory carries its epoch: one from another epoch
            // (an older orchestrator that did not learn it was superseded) must not act.
            reject(received.epoch() == 0
                    ? received.command().wire() + " carries no epoch: this instance follows epoch " + followed
                    : (received.epoch() < followed ? "stale epoch " : "unknown epoch ") + received.epoch() + " in "
                            + received.command().wire() + ": this instance follows epoch " + followed);
            return;
        }
        String previous = MDC.get(SerialExecutor.MDC_KEY);
        if (received.swapId() != null) {
            // The child's log lines while it acts on a swap's command name the swap, as the orchestrator's do
            // (the lifecycle's hooks run on this thread, and whatever they hand work to may copy the MDC).
            MDC.put(SerialExecutor.MDC_KEY, received.swapId());
        }
        try {
            act(received.command());
        } finally {
            if (previous == null) {
                MDC.remove(SerialExecutor.MDC_KEY);
            } else {
                MDC.put(SerialExecutor.MDC_KEY, previous);
            }
        }
    }

    private void act(Command command) {
        LOG.debug("parent asks {}", command.wire());
        switch (command) {
            case STOP_ACCEPTING:
                answer(lifecycle.stopAccepting(), "STOP_ACCEPTING");
                break;
            case RESUME_ACCEPTING:
                drainAsked = false;
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
        drainAsked = true;
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

    private void reject(LineChannel connection, String reason) {
        LOG.warn("rejected a line from the parent: {}", reason);
        write(connection, Protocol.error(reason));
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
        LineChannel current;
        synchronized (lock) {
            current = channel;
        }
        if (current == null) {
            // Orphaned: the next orchestrator reads the state in the ADOPTED answer.
            LOG.debug("no orchestrator to send '{}' to", line);
            return;
        }
        write(current, line);
    }

    private static void write(LineChannel connection, String line) {
        try {
            connection.writeLine(line);
        } catch (IOException e) {
            // The reader sees the channel close and treats the parent as gone.
            LOG.debug("could not send '{}' to the parent", line, e);
        }
    }

    /** The orchestrator of {@code connection} is gone; ignored when a newer one already took over. */
    private void orphaned(LineChannel connection, String reason) {
        if (closing.get()) {
            return;
        }
        long generation;
        synchronized (lock) {
            if (channel != connection) {
                return;
            }
            channel = null;
            generation = ++orphaning;
        }
        connection.close();
        if (lease == null) {
            exit(orphanedExitStatus, reason);
            return;
        }
        LifecycleState state = lifecycle.state();
        if (drainAsked || state == LifecycleState.DRAINED || state.isTerminal()) {
            exit(orphanedExitStatus, reason + "; it was draining (" + state + "): finishing the drain and exiting");
            return;
        }
        LOG.warn("orphaned ({}); still {} and waiting up to {} for an orchestrator to re-adopt it on {}", reason,
                state, lease.duration(), lease.socket());
        timer().schedule(() -> leaseExpired(generation), lease.duration().toNanos(), TimeUnit.NANOSECONDS);
    }

    private void leaseExpired(long generation) {
        synchronized (lock) {
            if (orphaning != generation || channel != null) {
                return;
            }
        }
        if (lease.keepServing()) {
            LOG.warn("no orchestrator re-adopted this instance within its lease of {}; policy KEEP_SERVING: serving"
                    + " on and still waiting on {}", lease.duration(), lease.socket());
        } else {
            exit(orphanedExitStatus, "no orchestrator re-adopted this instance within its lease of "
                    + lease.duration() + " (policy TERMINATE_GRACEFULLY)");
        }
    }

    private ScheduledExecutorService timer() {
        synchronized (lock) {
            if (timer == null) {
                timer = Executors.newSingleThreadScheduledExecutor(task -> {
                    Thread thread = new Thread(task, "handoff-agent-lease");
                    thread.setDaemon(true);
                    return thread;
                });
            }
            return timer;
        }
    }

    // ---- adoption by a later orchestrator ---------------------------------------------------------------------

    private void listenForAdoption() {
        try {
            Files.deleteIfExists(lease.socket());
            ServerSocketChannel server = ServerSocketChannel.open(StandardProtocolFamily.UNIX);
            server.bind(UnixDomainSocketAddress.of(lease.socket()));
            adoptionSocket = server;
        } catch (IOException | RuntimeException e) {
            // Without it the child still serves; it just cannot be re-adopted (it terminates at its lease's end).
            LOG.error("cannot listen for a later orchestrator on {}: {}", lease.socket(), e.toString());
            return;
        }
        startThread("handoff-agent-adoption", this::acceptAdoptions, true);
    }

    private void acceptAdoptions() {
        while (!closing.get()) {
            SocketChannel accepted;
            try {
                accepted = adoptionSocket.accept();
            } catch (IOException e) {
                if (!closing.get()) {
                    LOG.error("the adoption socket {} failed: {}", lease.socket(), e.toString());
                }
                return;
            }
            LineChannel connection = new LineChannel(accepted);
            startThread("handoff-agent-adopting", () -> adopt(connection), true);
        }
    }

    private void adopt(LineChannel connection) {
        ScheduledFuture<?> timeout = timer().schedule(connection::close,
                ADOPT_HANDSHAKE_TIMEOUT.toNanos(), TimeUnit.NANOSECONDS);
        String line;
        try {
            line = connection.readLine();
        } catch (IOException | ProtocolViolation e) {
            connection.close();
            return;
        } finally {
            timeout.cancel(false);
        }
        if (line == null) {
            connection.close();
            return;
        }
        // The ADOPT line carries the token: no part of it is quoted.
        String[] words = line.split(" ", -1);
        String problem = null;
        long offered = -1;
        long pid = -1;
        if (words.length != 5 || !words[0].equals(Protocol.ADOPT)) {
            problem = "expected 'ADOPT <version> <token> <epoch> <pid>'";
        } else if (!words[1].equals(Integer.toString(Protocol.VERSION))) {
            problem = "unsupported protocol version; this child speaks " + Protocol.VERSION;
        } else if (!MessageDigest.isEqual(lease.token(), words[2].getBytes(StandardCharsets.US_ASCII))) {
            problem = "wrong token";
        } else {
            try {
                offered = Long.parseLong(words[3]);
                pid = Long.parseLong(words[4]);
            } catch (NumberFormatException e) {
                problem = "epoch and pid must be numbers";
            }
        }
        if (problem != null) {
            LOG.warn("refused an adoption: {}", problem);
            write(connection, Protocol.error(problem));
            connection.close();
            return;
        }
        LineChannel previous;
        synchronized (lock) {
            if (closing.get()) {
                connection.close();
                return;
            }
            if (offered <= epoch) {
                String stale = "stale epoch " + offered + ": this instance follows epoch " + epoch;
                LOG.warn("refused an adoption by process {}: {}", pid, stale);
                write(connection, Protocol.error(stale));
                connection.close();
                return;
            }
            previous = channel;
            channel = connection;
            epoch = offered;
            orphaning++;
            // Under the lock: no event can reach the new orchestrator before its answer.
            write(connection, Protocol.adopted(ProcessHandle.current().pid(), lifecycle.state(), lifecycle.inFlight(),
                    terminationBudget));
        }
        if (previous != null) {
            LOG.warn("the orchestrator of an older epoch is superseded by epoch {}; closing its channel", offered);
            previous.close();
        }
        LOG.info("re-adopted by the orchestrator of epoch {} (process {}), {}", offered, pid, lifecycle.state());
        startThread("handoff-agent", () -> converse(connection), true);
        long adopter = pid;
        Optional<ProcessHandle> process = ProcessHandle.of(pid);
        if (process.isPresent()) {
            process.get().onExit().thenRun(() -> orphaned(connection, "orchestrator process " + adopter + " exited"));
        } else {
            orphaned(connection, "orchestrator process " + adopter + " is gone");
        }
    }

    private void exit(int status, String reason) {
        if (!closing.compareAndSet(false, true)) {
            return;
        }
        LOG.info("exiting with status {}: {}", status, reason);
        closeChannels();
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

    private void closeChannels() {
        LineChannel current;
        synchronized (lock) {
            current = channel;
        }
        if (current != null) {
            current.close();
        }
        if (adoptionSocket != null) {
            try {
                adoptionSocket.close();
                Files.deleteIfExists(lease.socket());
            } catch (IOException e) {
                LOG.debug("could not remove the adoption socket {}", lease.socket(), e);
            }
        }
    }

    /** Closes the channel without exiting; the parent sees the agent go and treats the instance as failed. */
    @Override
    public void close() {
        if (closing.compareAndSet(false, true)) {
            closeChannels();
        }
    }

    private static Thread startThread(String name, Runnable task, boolean daemon) {
        Thread thread = new Thread(task, name);
        thread.setDaemon(daemon);
        thread.start();
        return thread;
    }

    /** What the environment says about the state directory: where to wait for an orchestrator, for how long. */
    private record Lease(Path socket, byte[] token, long epoch, Duration duration, boolean keepServing) {
        /** @return the lease, or null when the child was not launched under a state directory */
        static Lease of(Map<String, String> environment, String token) {
            String socket = environment.get(Protocol.ADOPT_SOCKET_ENV);
            if (socket == null) {
                return null;
            }
            String epoch = environment.get(Protocol.EPOCH_ENV);
            String millis = environment.get(Protocol.LEASE_ENV);
            String policy = environment.get(Protocol.POLICY_ENV);
            try {
                long lease = Long.parseLong(millis);
                if (lease <= 0 || !("TERMINATE_GRACEFULLY".equals(policy) || "KEEP_SERVING".equals(policy))) {
                    throw new NumberFormatException();
                }
                return new Lease(Path.of(socket), token.getBytes(StandardCharsets.US_ASCII), Long.parseLong(epoch),
                        Duration.ofMillis(lease), "KEEP_SERVING".equals(policy));
            } catch (NumberFormatException | NullPointerException e) {
                throw new IllegalStateException(Protocol.ADOPT_SOCKET_ENV + " is set, so " + Protocol.EPOCH_ENV + ", "
                        + Protocol.LEASE_ENV + " (> 0) and " + Protocol.POLICY_ENV + " (TERMINATE_GRACEFULLY or"
                        + " KEEP_SERVING) must be too, but were '" + epoch + "', '" + millis + "', '" + policy + "'");
            }
        }
    }
}
