package dev.handoff.core.internal.process;

import dev.handoff.api.HandoffException;
import dev.handoff.api.InstanceFailedException;
import dev.handoff.api.LifecycleListener;
import dev.handoff.api.LifecycleState;
import dev.handoff.core.internal.process.LineChannel.ProtocolViolation;
import dev.handoff.core.internal.process.Protocol.Command;
import dev.handoff.core.internal.process.Protocol.Status;
import dev.handoff.core.internal.swap.SerialExecutor;
import dev.handoff.core.process.ChildProcessExitedException;
import dev.handoff.core.process.ChildProcessInstance;
import dev.handoff.core.process.ChildStatus;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.slf4j.MDC;

import java.io.IOException;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.channels.SocketChannel;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.Executor;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.Executors;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Consumer;

/**
 * The parent's side of one child process: the process, its control channel and the state of the conversation.
 * See {@link ChildProcessInstance} for the behaviour and the {@code dev.handoff.core.process} package for the
 * protocol.
 *
 * <p>One thread per child ({@code handoff-child-<id>}) accepts the agent's connection, checks its HELLO and
 * then reads its lines until the channel closes. Nothing but that thread's own {@link Outbox} writer
 * ({@code handoff-child-<id>-writer}) ever writes to the socket: a command or an ERROR is queued, never written by
 * the caller, so neither the orchestrator's executor nor the reader waits on a child that does not read, and no lock
 * is held across a write. A line not written within the write timeout means the child stopped reading: it is
 * disconnected and failed.
 *
 * <p>What a child can make the parent do is bounded too. A line the parent rejects, and an ERROR that answers no
 * command, is <em>unsolicited</em>: a child that sends more than {@value #FLOOD_LINES_PER_SECOND} of them in a burst,
 * or more than that a second for longer (a token bucket), floods: it is disconnected and failed. So is a child whose
 * line runs past {@link LineChannel#MAX_DISCARDED_BYTES} without a terminator. Rejections are answered with ERROR and
 * logged at WARN at most {@value #ERRORS_PER_SECOND} a second; the others are counted, and the count is logged once
 * a second while there are any. Every stage this class returns completes on a shared event thread, never on the reader
 * thread or the process reaper, so that a caller's continuation cannot stall the channel. Thread-safe.
 */
public final class ChildProcess implements ChildProcessInstance {

    /** How long after the control channel closes the process may take to exit before that counts as a failure. */
    static final Duration CONTROL_LOSS_GRACE = Duration.ofSeconds(2);
    /** How long {@link #destroy()} waits after SIGKILL before it reports the process as stuck. */
    static final Duration KILL_WAIT = Duration.ofSeconds(10);
    /** How many unsolicited lines a child may send in a burst, and a second; beyond, it floods. */
    static final int FLOOD_LINES_PER_SECOND = 100;
    /** How long a re-adopted child may take to answer ADOPT. */
    static final Duration ADOPT_TIMEOUT = Duration.ofSeconds(5);
    /** How many rejected lines a second are answered with ERROR and logged; the others are counted. */
    static final int ERRORS_PER_SECOND = 10;

    private static final Logger LOG = LoggerFactory.getLogger(ChildProcess.class);
    private static final Executor EVENTS = Executors.newCachedThreadPool(daemonThreads("handoff-child-events-"));

    private final String id;
    private final ProcessHandle process;
    /** Null for a child re-adopted through its adoption socket. */
    private final ControlSocket socket;
    /** Whether this handle re-adopted a child that an earlier orchestrator launched. */
    private final boolean adopted;
    /** The epoch every command carries (0: none, no state directory). */
    private final long epoch;
    private final Duration exitTimeout;
    private final Duration writeTimeout;
    private final List<Consumer<? super ChildProcessInstance>> afterExit;

    private final CompletableFuture<Void> ready = new CompletableFuture<>();
    private final CompletableFuture<Void> failure = new CompletableFuture<>();
    private final CompletableFuture<Void> destroyed = new CompletableFuture<>();
    /** Completes with the exit code after the exit has been handled (state failed, resources released). */
    private final CompletableFuture<Integer> exit;
    private final AtomicBoolean destroyRequested = new AtomicBoolean();
    private final AtomicBoolean refreshing = new AtomicBoolean();
    /** Unsolicited lines: a child that runs out of them floods. Taken by the reader thread. */
    private final Allowance unsolicited = new Allowance(FLOOD_LINES_PER_SECOND, System::nanoTime);
    /** Rejections answered and logged. Taken by the reader thread. */
    private final Allowance rejections = new Allowance(ERRORS_PER_SECOND, System::nanoTime);
    /** Rejections neither answered nor logged since the last report. */
    private final AtomicLong unreported = new AtomicLong();
    /** Whether the agent sent its FAILED event (once). Confined to the reader thread. */
    private boolean failedReported;

    private final Object lock = new Object();
    /** Null until the agent has connected and passed the handshake. Guarded by {@code lock}. */
    private LineChannel channel;
    /** Null until the agent has connected; then what every line to the child goes through. Guarded by {@code lock}. */
    private Outbox outbox;
    /** Commands sent and not yet answered, in the order sent. Guarded by {@code lock}. */
    private final ArrayDeque<Pending> awaitingReply = new ArrayDeque<>();
    /** Commands asked before the agent connected, in order. Guarded by {@code lock}. */
    private final List<Pending> awaitingConnection = new ArrayList<>();
    /** The drain-complete signal of the current DRAIN; null when none was asked. Guarded by {@code lock}. */
    private CompletableFuture<Void> drained;
    /** Set once the conversation is over; every later command fails with it. Guarded by {@code lock}. */
    private Throwable closedCause;

    /** The termination budget the child announced in its HELLO; zero when it announced none. */
    private volatile Duration announcedBudget = Duration.ZERO;
    private volatile long lastInFlight;
    private volatile LifecycleState lastState = LifecycleState.STARTING;
    private final CopyOnWriteArrayList<LifecycleListener> listeners = new CopyOnWriteArrayList<>();

    private ChildProcess(String id, ProcessHandle process, CompletableFuture<Integer> exitCode, ControlSocket socket,
                         long epoch, Duration exitTimeout, Duration writeTimeout,
                         List<Consumer<? super ChildProcessInstance>> afterExit) {
        this.id = id;
        this.epoch = epoch;
        this.process = process;
        this.socket = socket;
        this.adopted = socket == null;
        this.exitTimeout = exitTimeout;
        this.writeTimeout = writeTimeout;
        this.afterExit = List.copyOf(afterExit);
        this.exit = exitCode.thenApply(code -> {
            onProcessExit(code);
            runAfterExit();
            return code;
        });
    }

    /**
     * Starts the child and begins listening for its agent.
     *
     * @param id          the instance id
     * @param builder     the child's command line, environment and redirects, with the socket's path and token
     *                    already in its environment
     * @param socket      the control socket the agent will connect to; owned by the child from now on
     * @param exitTimeout  how long {@link #destroy()} waits after EXIT, and again after SIGTERM
     * @param terminationBudget how long the child may take to terminate on SIGTERM when this JVM shuts down
     * @param writeTimeout how long one line to the child may take to be written before the child counts as no
     *                     longer reading
     * @param afterExit    run once the process has exited and the exit has been handled, in order
     * @return the started child
     * @throws IOException when the process cannot be started (the socket is closed)
     */
    public static ChildProcess start(String id, ProcessBuilder builder, ControlSocket socket, Duration exitTimeout,
                                     Duration terminationBudget, Duration writeTimeout,
                                     List<Consumer<? super ChildProcessInstance>> afterExit) throws IOException {
        return start(id, builder, socket, exitTimeout, terminationBudget, writeTimeout, afterExit, 0);
    }

    /**
     * As {@link #start(String, ProcessBuilder, ControlSocket, Duration, Duration, Duration, List)}; with an
     * {@code epoch} (a child launched under a state directory, which waits for a later orchestrator), the shutdown
     * of this JVM leaves the child running, and every command carries the epoch.
     *
     * @param epoch the launching orchestrator's epoch, or 0 without a state directory
     * @throws IOException when the process cannot be started (the socket is closed)
     */
    public static ChildProcess start(String id, ProcessBuilder builder, ControlSocket socket, Duration exitTimeout,
                                     Duration terminationBudget, Duration writeTimeout,
                                     List<Consumer<? super ChildProcessInstance>> afterExit, long epoch)
            throws IOException {
        Process process;
        try {
            process = builder.start();
        } catch (IOException | RuntimeException e) {
            socket.close();
            throw e;
        }
        if (epoch == 0) {
            LiveChildren.register(process, terminationBudget);
        }
        ChildProcess child = new ChildProcess(id, process.toHandle(), process.onExit().thenApply(Process::exitValue),
                socket, epoch, exitTimeout, writeTimeout, afterExit);
        Thread reader = new Thread(child::converse, "handoff-child-" + id);
        reader.setDaemon(true);
        reader.start();
        LOG.info("instance {}: started child process {}", id, process.pid());
        return child;
    }

    /**
     * Re-adopts a child that an earlier orchestrator launched under a state directory: connects to its adoption
     * socket and says {@code ADOPT} with the token and this orchestrator's epoch.
     *
     * @param id          the instance id
     * @param socketPath  the child's adoption socket
     * @param token       the child's token
     * @param epoch       this orchestrator's epoch
     * @param exitTimeout as for {@link #start}
     * @param writeTimeout as for {@link #start}
     * @param afterExit   as for {@link #start}
     * @return completes with the handle once the child answered ADOPTED (its state is the child's); exceptionally
     *     when nobody listens, the child refuses (a stale epoch, a wrong token) or does not answer in time
     */
    public static CompletableFuture<ChildProcess> adopt(String id, Path socketPath, String token, long epoch,
                                                        Duration exitTimeout, Duration writeTimeout,
                                                        List<Consumer<? super ChildProcessInstance>> afterExit) {
        SocketChannel connected;
        try {
            connected = SocketChannel.open(StandardProtocolFamily.UNIX);
            try {
                connected.connect(UnixDomainSocketAddress.of(socketPath));
            } catch (IOException | RuntimeException e) {
                connected.close();
                throw e;
            }
        } catch (IOException | RuntimeException e) {
            return CompletableFuture.failedFuture(new InstanceFailedException(id, "cannot reach its adoption socket "
                    + socketPath + " (" + e.getMessage() + "): the child is gone", e));
        }
        LineChannel connection = new LineChannel(connected);
        CompletableFuture<String> answer = new CompletableFuture<>();
        try {
            connection.writeLine(Protocol.adopt(token, epoch, ProcessHandle.current().pid()));
        } catch (IOException e) {
            connection.close();
            return CompletableFuture.failedFuture(new InstanceFailedException(id, "cannot adopt: " + e.getMessage(),
                    e));
        }
        Thread reader = new Thread(() -> {
            try {
                answer.complete(connection.readLine());
            } catch (IOException | LineChannel.ProtocolViolation e) {
                answer.completeExceptionally(e);
            }
        }, "handoff-child-" + id + "-adopt");
        reader.setDaemon(true);
        reader.start();
        return answer.orTimeout(ADOPT_TIMEOUT.toNanos(), TimeUnit.NANOSECONDS).handle((line, error) -> {
            if (error != null || line == null) {
                connection.close();
                throw new InstanceFailedException(id, "no answer to ADOPT on " + socketPath + " ("
                        + (error == null ? "end of stream" : error.toString()) + ")", error);
            }
            String word = Protocol.firstWord(line);
            if (!word.equals(Protocol.ADOPTED)) {
                connection.close();
                throw new InstanceFailedException(id, "the child refused the adoption: "
                        + (word.equals(Protocol.ERROR) ? Protocol.rest(line) : Protocol.shorten(line)), null);
            }
            Status status;
            long pid;
            Duration budget = Duration.ZERO;
            String afterVersion = Protocol.rest(Protocol.rest(line));
            try {
                pid = Long.parseLong(Protocol.firstWord(afterVersion));
                String fields = Protocol.rest(afterVersion);
                int budgetAt = fields.indexOf(" " + Protocol.BUDGET_FIELD);
                if (budgetAt >= 0) {
                    String millis = fields.substring(budgetAt + 1 + Protocol.BUDGET_FIELD.length());
                    if (!millis.matches("[1-9][0-9]{0,8}")) {
                        throw new LineChannel.ProtocolViolation(Protocol.BUDGET_FIELD
                                + " must be milliseconds, 1 to 9 digits, but was '" + Protocol.shorten(millis) + "'");
                    }
                    budget = Duration.ofMillis(Long.parseLong(millis));
                    fields = fields.substring(0, budgetAt);
                }
                status = Status.parse(Protocol.STATUS + " " + fields);
            } catch (LineChannel.ProtocolViolation | NumberFormatException violation) {
                connection.close();
                throw new InstanceFailedException(id, "bad ADOPTED answer: " + violation.getMessage(), null);
            }
            ProcessHandle handle = ProcessHandle.of(pid).orElse(null);
            if (handle == null) {
                connection.close();
                throw new InstanceFailedException(id, "the child answered ADOPTED but its process is gone", null);
            }
            ChildProcess child = new ChildProcess(id, handle, handle.onExit().thenApply(ended -> -1), null,
                    epoch, exitTimeout, writeTimeout, afterExit);
            child.lastInFlight = status.inFlight();
            child.lastState = status.state();
            // The budget the child announced to the orchestrator that launched it: a destroy waits that long.
            child.announcedBudget = budget;
            if (status.state() == LifecycleState.READY) {
                child.ready.complete(null);
            }
            Thread conversation = new Thread(() -> child.converseAdopted(connection),
                    "handoff-child-" + id);
            conversation.setDaemon(true);
            conversation.start();
            LOG.info("instance {}: re-adopted child process {} ({}, in flight {})", id, handle.pid(),
                    status.state(), status.inFlight());
            return child;
        });
    }

    /** @return whether something accepts connections on the socket now */
    public static boolean listening(Path socketPath) {
        try (SocketChannel probe = SocketChannel.open(StandardProtocolFamily.UNIX)) {
            probe.connect(UnixDomainSocketAddress.of(socketPath));
            return true;
        } catch (IOException | RuntimeException e) {
            return false;
        }
    }

    @Override
    public String id() {
        return id;
    }

    @Override
    public ProcessHandle processHandle() {
        return process;
    }

    @Override
    public CompletionStage<Integer> onExit() {
        return onEventThread(exit);
    }

    @Override
    public CompletionStage<Void> whenReady() {
        return onEventThread(ready);
    }

    /** {@inheritDoc} The parent's view: the last state the child reported, or STOPPED once it was destroyed. */
    @Override
    public LifecycleState state() {
        return lastState;
    }

    @Override
    public boolean isReady() {
        return lastState == LifecycleState.READY;
    }

    /**
     * {@inheritDoc} Told on the thread that saw the change (the channel's reader, the process reaper): a listener
     * must be short and must not block.
     */
    @Override
    public void addListener(LifecycleListener listener) {
        listeners.add(Objects.requireNonNull(listener, "listener must not be null"));
    }

    @Override
    public void removeListener(LifecycleListener listener) {
        listeners.remove(Objects.requireNonNull(listener, "listener must not be null"));
    }

    /** Records a state the child reported (or its end); terminal states stay. */
    private void moveTo(LifecycleState next) {
        LifecycleState previous;
        synchronized (lock) {
            previous = lastState;
            if (previous == next || previous.isTerminal()) {
                return;
            }
            lastState = next;
        }
        for (LifecycleListener listener : listeners) {
            try {
                listener.onStateChange(previous, next);
            } catch (RuntimeException e) {
                LOG.warn("instance {}: listener {} threw on {} -> {}; ignored", id, listener, previous, next, e);
            }
        }
    }

    @Override
    public CompletionStage<Void> failure() {
        return onEventThread(failure);
    }

    @Override
    public CompletionStage<Void> stopAccepting() {
        return onEventThread(send(Command.STOP_ACCEPTING).thenApply(status -> null));
    }

    @Override
    public CompletionStage<Void> resumeAccepting() {
        return onEventThread(send(Command.RESUME_ACCEPTING).thenApply(status -> {
            synchronized (lock) {
                drained = null;
            }
            return null;
        }));
    }

    @Override
    public CompletionStage<Void> drain() {
        synchronized (lock) {
            if (drained == null) {
                CompletableFuture<Void> signal = new CompletableFuture<>();
                drained = signal;
                send(Command.DRAIN).whenComplete((status, error) -> {
                    if (error != null) {
                        signal.completeExceptionally(error);
                    }
                });
            }
            return onEventThread(drained);
        }
    }

    /** {@inheritDoc} The last count the agent reported; asks for a fresh one in the background. */
    @Override
    public long inFlight() {
        if (refreshing.compareAndSet(false, true)) {
            send(Command.STATUS).whenComplete((status, error) -> refreshing.set(false));
        }
        return lastInFlight;
    }

    @Override
    public CompletionStage<ChildStatus> status() {
        return onEventThread(send(Command.STATUS).thenApply(status -> new ChildStatus(status.state(),
                status.inFlight())));
    }

    /** {@inheritDoc} When the child has already exited, its last reported in-flight count was abandoned. */
    @Override
    public CompletionStage<Long> forceStop() {
        if (!process.isAlive()) {
            return CompletableFuture.completedFuture(lastInFlight);
        }
        return onEventThread(send(Command.FORCE_STOP).thenApply(status ->
                status.abandoned() >= 0 ? status.abandoned() : status.inFlight()));
    }

    @Override
    public CompletionStage<Void> destroy() {
        if (destroyRequested.compareAndSet(false, true)) {
            LOG.info("instance {}: destroying child process {}", id, process.pid());
            boolean asked = askToExit();
            // A child that announced its termination budget is given that long to end by itself before SIGTERM.
            Duration budget = announcedBudget.compareTo(exitTimeout) > 0 ? announcedBudget : exitTimeout;
            CompletableFuture<Boolean> first = asked ? waitForExit(budget)
                    : CompletableFuture.completedFuture(false);
            first.thenCompose(exited -> exited ? done() : escalate("SIGTERM", process::destroy, exitTimeout))
                    .thenCompose(exited -> exited ? done() : escalate("SIGKILL", process::destroyForcibly, KILL_WAIT))
                    .whenComplete((exited, error) -> {
                        if (error == null && exited) {
                            moveTo(LifecycleState.STOPPED);
                            destroyed.complete(null);
                        } else {
                            destroyed.completeExceptionally(new HandoffException("instance " + id + ": process "
                                    + process.pid() + " still alive " + KILL_WAIT + " after SIGKILL", error));
                        }
                    });
        }
        return onEventThread(destroyed);
    }

    private boolean askToExit() {
        synchronized (lock) {
            if (channel == null || closedCause != null || !process.isAlive()) {
                return false;
            }
            send(Command.EXIT);
            return true;
        }
    }

    private CompletableFuture<Boolean> escalate(String signal, Runnable send, Duration wait) {
        if (!process.isAlive()) {
            return waitForExit(wait);
        }
        LOG.warn("instance {}: child process {} has not exited; sending {}", id, process.pid(), signal);
        send.run();
        return waitForExit(wait);
    }

    private static CompletableFuture<Boolean> done() {
        return CompletableFuture.completedFuture(true);
    }

    private CompletableFuture<Boolean> waitForExit(Duration wait) {
        return exit.thenApply(code -> true).completeOnTimeout(false, wait.toNanos(), TimeUnit.NANOSECONDS);
    }

    // ---- commands ---------------------------------------------------------------------------------------------

    private CompletableFuture<Status> send(Command command) {
        Pending pending = new Pending(command);
        synchronized (lock) {
            if (closedCause != null) {
                pending.reply.completeExceptionally(closedCause);
            } else if (channel == null) {
                awaitingConnection.add(pending);
            } else {
                write(pending);
            }
        }
        return pending.reply;
    }

    /**
     * Queues the command for the writer; never blocks. Called with {@code lock} held, so that the reply queue is in
     * the order the commands are written.
     */
    private void write(Pending pending) {
        if (outbox.offer(new Protocol.CommandLine(pending.command, epoch, pending.swapId).wire())) {
            awaitingReply.addLast(pending);
        } else {
            pending.reply.completeExceptionally(new InstanceFailedException(id, "cannot send "
                    + pending.command.wire() + " to process " + process.pid() + ": " + Outbox.CAPACITY
                    + " lines already wait to be written (the child does not read)", null));
        }
    }

    // ---- the reader thread ------------------------------------------------------------------------------------

    private void converse() {
        LineChannel connection;
        try {
            SocketChannel accepted = socket.accept();
            socket.close();
            connection = new LineChannel(accepted);
        } catch (IOException e) {
            // Closed because the process exited or was destroyed before its agent connected: handled there.
            connectionEnded("the control socket closed before the agent connected (" + e.getMessage() + ")");
            return;
        }
        Outbox lines = new Outbox("handoff-child-" + id + "-writer", connection, writeTimeout, this::stalled,
                this::writeFailed);
        synchronized (lock) {
            if (closedCause != null) {
                lines.close();
                return;
            }
            outbox = lines;
        }
        try {
            if (!handshake(connection)) {
                finishOutbox();
                return;
            }
            talk(connection);
        } catch (LineChannel.EndlessLine e) {
            flooded(e.getMessage());
        } catch (IOException e) {
            connectionEnded("the control channel failed: " + e.getMessage());
        }
    }

    /** The reader thread of a re-adopted child: the handshake is done. */
    private void converseAdopted(LineChannel connection) {
        Outbox lines = new Outbox("handoff-child-" + id + "-writer", connection, writeTimeout, this::stalled,
                this::writeFailed);
        synchronized (lock) {
            if (closedCause != null) {
                lines.close();
                return;
            }
            outbox = lines;
        }
        try {
            talk(connection);
        } catch (LineChannel.EndlessLine e) {
            flooded(e.getMessage());
        } catch (IOException e) {
            connectionEnded("the control channel failed: " + e.getMessage());
        }
    }

    /** Makes {@code connection} the channel, sends the commands asked meanwhile, then reads until the end. */
    private void talk(LineChannel connection) throws IOException {
        synchronized (lock) {
            if (closedCause != null) {
                return;
            }
            channel = connection;
            awaitingConnection.forEach(this::write);
            awaitingConnection.clear();
        }
        String line;
        while ((line = readLine(connection)) != null) {
            handle(line);
        }
        connectionEnded("the agent closed the control channel");
    }

    /** @return the next line, or null at the end of the stream or once the conversation is over */
    private String readLine(LineChannel connection) throws IOException {
        while (!isClosed()) {
            try {
                return connection.readLine();
            } catch (ProtocolViolation violation) {
                reject(violation.getMessage());
            }
        }
        return null;
    }

    /** Queues a line for the child; never blocks. The outbox exists: the agent has connected. */
    private void reply(String line) {
        Outbox lines;
        synchronized (lock) {
            lines = outbox;
        }
        if (!lines.offer(line)) {
            LOG.debug("instance {}: dropped a line to child process {}: the outbox is full or closed", id,
                    process.pid());
        }
    }

    /** @return whether the agent passed; when not, the instance has failed and the ERROR is on its way */
    private boolean handshake(LineChannel connection) throws IOException {
        String hello = readLine(connection);
        if (hello == null) {
            connectionEnded("the agent closed the control channel before its HELLO");
            return false;
        }
        // The HELLO carries the token: no part of the line is quoted, in a log line, an exception or the ERROR.
        String[] words = hello.split(" ", -1);
        String problem = null;
        if (words.length != 3 && words.length != 4) {
            problem = "expected 'HELLO <version> <token> [budget-ms=<n>]' first, but got a line of " + words.length
                    + " word(s)";
        } else if (!words[0].equals(Protocol.HELLO)) {
            problem = "expected 'HELLO <version> <token>' first, but the first word is not HELLO";
        } else if (!words[1].equals(Integer.toString(Protocol.VERSION))) {
            problem = "unsupported protocol version " + (words[1].matches("[0-9]{1,4}") ? words[1]
                    : "(not a number of up to 4 digits)") + "; this parent speaks " + Protocol.VERSION;
        } else if (!socket.tokenMatches(words[2])) {
            problem = "wrong token";
        } else if (words.length == 4 && !words[3].matches(Protocol.BUDGET_FIELD + "[1-9][0-9]{0,8}")) {
            problem = "the fourth word of HELLO must be " + Protocol.BUDGET_FIELD + "<milliseconds, 1 to 9 digits>, but"
                    + " was '" + Protocol.shorten(words[3]) + "'";
        }
        if (problem != null) {
            LOG.warn("instance {}: rejected the agent's handshake: {}", id, problem);
            reply(Protocol.error(problem));
            fail(new InstanceFailedException(id, "handshake rejected: " + problem, null));
            return false;
        }
        if (words.length == 4) {
            Duration budget = Duration.ofMillis(Long.parseLong(words[3].substring(Protocol.BUDGET_FIELD.length())));
            announcedBudget = budget;
            LiveChildren.extend(process.pid(), budget);
            LOG.debug("instance {}: the child announced a termination budget of {}", id, budget);
        }
        reply(Protocol.welcome());
        LOG.debug("instance {}: agent connected, protocol {}", id, Protocol.VERSION);
        return true;
    }

    private void handle(String line) {
        String word = Protocol.firstWord(line);
        String rest = Protocol.rest(line);
        switch (word) {
            case Protocol.READY:
                if (!line.equals(word)) {
                    reject("READY takes no argument, but got '" + Protocol.shorten(line) + "'");
                } else if (ready.isDone() && adopted) {
                    // It became ready as it was re-adopted: the ADOPTED answer said so already.
                    LOG.debug("instance {}: READY after re-adoption, already known", id);
                } else if (ready.isDone()) {
                    reject("unexpected READY: the instance was already ready");
                } else {
                    moveTo(LifecycleState.READY);
                    LOG.info("instance {}: child process {} is ready", id, process.pid());
                    ready.complete(null);
                }
                break;
            case Protocol.DRAINED:
                onDrained(line);
                break;
            case Protocol.FAILED:
                if (rest.isBlank()) {
                    reject("FAILED needs a reason");
                } else if (failedReported) {
                    reject("unexpected FAILED: the instance already reported FAILED");
                } else {
                    failedReported = true;
                    moveTo(LifecycleState.FAILED);
                    LOG.warn("instance {}: child process {} reported FAILED: {}", id, process.pid(), rest);
                    // The channel stays open: the orchestrator destroys the instance, by EXIT first.
                    reportFailure(new InstanceFailedException(id, "reported FAILED: " + rest, null));
                }
                break;
            case Protocol.STATUS:
                onStatus(line);
                break;
            case Protocol.ERROR:
                onError(rest);
                break;
            case Protocol.HELLO:
                reject("unexpected HELLO: the handshake is over");
                break;
            default:
                reject("unknown message '" + Protocol.shorten(word)
                        + "'; expected one of READY, DRAINED, FAILED, STATUS, ERROR");
        }
    }

    private void onDrained(String line) {
        if (!line.equals(Protocol.DRAINED)) {
            reject("DRAINED takes no argument, but got '" + Protocol.shorten(line) + "'");
            return;
        }
        CompletableFuture<Void> signal;
        synchronized (lock) {
            signal = drained;
        }
        if (signal == null || signal.isDone()) {
            reject("unexpected DRAINED: no drain was asked");
            return;
        }
        moveTo(LifecycleState.DRAINED);
        lastInFlight = 0;
        signal.complete(null);
    }

    private void onStatus(String line) {
        Pending pending;
        synchronized (lock) {
            pending = awaitingReply.pollFirst();
        }
        if (pending == null) {
            reject("unexpected STATUS: no command is waiting for an answer");
            return;
        }
        try {
            Status status = Status.parse(line);
            lastInFlight = status.inFlight();
            moveTo(status.state());
            pending.reply.complete(status);
        } catch (ProtocolViolation violation) {
            reject(violation.getMessage());
            pending.reply.completeExceptionally(new HandoffException("instance " + id + ": bad answer to "
                    + pending.command.wire() + ": " + violation.getMessage()));
        }
    }

    private void onError(String reason) {
        Pending pending;
        synchronized (lock) {
            pending = awaitingReply.pollFirst();
        }
        // An ERROR is never answered, or two confused peers could reject each other's errors forever.
        if (pending == null) {
            if (!countUnsolicited()) {
                return;
            }
            if (rejections.tryTake()) {
                LOG.warn("instance {}: the agent reported an error: {}", id, reason);
            } else {
                countUnreported();
            }
        } else {
            LOG.warn("instance {}: the agent rejected {}: {}", id, pending.command.wire(), reason);
            pending.reply.completeExceptionally(new HandoffException("instance " + id + ": the child rejected "
                    + pending.command.wire() + ": " + reason));
        }
    }

    /** Answers a line the parent cannot take with ERROR, within the rate limit; a child that floods is dropped. */
    private void reject(String reason) {
        if (!countUnsolicited()) {
            return;
        }
        if (rejections.tryTake()) {
            LOG.warn("instance {}: rejected a line from child process {}: {}", id, process.pid(), reason);
            reply(Protocol.error(reason));
        } else {
            countUnreported();
        }
    }

    /** @return false when the line was one too many: the child floods, and has been disconnected */
    private boolean countUnsolicited() {
        if (unsolicited.tryTake()) {
            return true;
        }
        flooded("more than " + FLOOD_LINES_PER_SECOND + " lines a second that nobody asked for");
        return false;
    }

    /** Counts a rejection neither answered nor logged; the first of a series schedules the report of the count. */
    private void countUnreported() {
        if (unreported.getAndIncrement() == 0) {
            CompletableFuture.delayedExecutor(1, TimeUnit.SECONDS, EVENTS).execute(this::reportUnreported);
        }
    }

    private void reportUnreported() {
        long count = unreported.getAndSet(0);
        if (count > 0) {
            LOG.warn("instance {}: {} more line(s) from child process {} rejected in the last second, neither answered"
                    + " nor logged (at most {} a second are)", id, count, process.pid(), ERRORS_PER_SECOND);
        }
    }

    private void flooded(String how) {
        if (isClosed()) {
            return;
        }
        LOG.warn("instance {}: child process {} floods its control channel ({}); disconnecting it", id,
                process.pid(), how);
        disconnect(new InstanceFailedException(id, "flooded its control channel (" + how + "); disconnected",
                null));
    }

    // ---- endings ----------------------------------------------------------------------------------------------

    /**
     * A line waited longer than the write timeout: the child stopped reading. Called on the watchdog thread; the
     * child is disconnected at once and failed.
     */
    private void stalled(String what) {
        if (isClosed()) {
            closeOutbox();
            return;
        }
        LOG.warn("instance {}: child process {} stopped reading its control channel ({}); disconnecting it", id,
                process.pid(), what);
        disconnect(new InstanceFailedException(id, "stopped reading its control channel: " + what
                + "; disconnected", null));
    }

    /** The writer could not write: the child closed its end or exited; judged like a channel that closed. */
    private void writeFailed(IOException e) {
        if (!isClosed()) {
            connectionEnded("the control channel failed while writing: " + e.getMessage());
        }
    }

    /** Drops the channel at once, without flushing what waits to be written, and fails the instance. */
    private void disconnect(InstanceFailedException cause) {
        closeOutbox();
        if (!destroyRequested.get()) {
            moveTo(LifecycleState.FAILED);
        }
        fail(cause);
    }

    /** Writes what is queued, then closes the channel. */
    private void finishOutbox() {
        Outbox lines;
        synchronized (lock) {
            lines = outbox;
        }
        if (lines != null) {
            lines.finish();
        }
    }

    private void closeOutbox() {
        Outbox lines;
        synchronized (lock) {
            lines = outbox;
        }
        if (lines != null) {
            lines.close();
        }
    }

    private boolean isClosed() {
        synchronized (lock) {
            return closedCause != null;
        }
    }

    /** The channel is gone; if the process does not exit soon after, the instance has lost its agent. */
    private void connectionEnded(String reason) {
        if (isClosed()) {
            return;
        }
        waitForExit(CONTROL_LOSS_GRACE).thenAccept(exited -> {
            if (!exited && process.isAlive() && !destroyRequested.get() && !isClosed()) {
                LOG.warn("instance {}: {} while process {} is alive", id, reason, process.pid());
                fail(new InstanceFailedException(id, reason + " while process " + process.pid() + " is alive",
                        null));
            }
        });
    }

    private void onProcessExit(int code) {
        InstanceFailedException cause;
        if (destroyRequested.get()) {
            LOG.info("instance {}: child process {} exited with code {}", id, process.pid(), code);
            cause = new InstanceFailedException(id, "destroyed (process " + process.pid() + " exited with code "
                    + code + ")", null);
        } else {
            String when = ready.isDone() && !ready.isCompletedExceptionally() ? "while running"
                    : "before it was ready";
            LOG.warn("instance {}: child process {} exited with code {} {}", id, process.pid(), code, when);
            cause = new ChildProcessExitedException(id, process.pid(), code, when);
        }
        moveTo(destroyRequested.get() ? LifecycleState.STOPPED : LifecycleState.FAILED);
        fail(cause);
    }

    private void runAfterExit() {
        for (Consumer<? super ChildProcessInstance> action : afterExit) {
            try {
                action.accept(this);
            } catch (RuntimeException e) {
                LOG.warn("instance {}: an action after the exit of child process {} threw; ignored", id,
                        process.pid(), e);
            }
        }
    }

    private void reportFailure(Throwable cause) {
        // failure() first: a caller told by whenReady() may destroy the instance at once, and a destroy must not
        // hide the failure that came before it.
        if (!destroyRequested.get()) {
            failure.completeExceptionally(cause);
        }
        ready.completeExceptionally(cause);
    }

    /** Ends the conversation: every waiting stage fails with {@code cause}; failure() too unless destroyed. */
    private void fail(Throwable cause) {
        reportFailure(cause);
        List<Pending> unanswered = new ArrayList<>();
        CompletableFuture<Void> signal;
        Outbox lines;
        synchronized (lock) {
            if (closedCause == null) {
                closedCause = cause;
            }
            unanswered.addAll(awaitingReply);
            unanswered.addAll(awaitingConnection);
            awaitingReply.clear();
            awaitingConnection.clear();
            signal = drained;
            lines = outbox;
        }
        unanswered.forEach(pending -> pending.reply.completeExceptionally(cause));
        if (signal != null) {
            signal.completeExceptionally(cause);
        }
        if (lines != null) {
            // Writes what is queued (a handshake's ERROR, an EXIT), each within the write timeout, then closes.
            lines.finish();
        }
        if (socket != null) {
            socket.close();
        }
    }

    private static <T> CompletableFuture<T> onEventThread(CompletableFuture<T> stage) {
        return stage.whenCompleteAsync((value, error) -> { }, EVENTS);
    }

    private static ThreadFactory daemonThreads(String prefix) {
        AtomicInteger count = new AtomicInteger();
        return runnable -> {
            Thread thread = new Thread(runnable, prefix + count.incrementAndGet());
            thread.setDaemon(true);
            return thread;
        };
    }

    @Override
    public String toString() {
        return "ChildProcess[" + id + ", pid=" + process.pid() + ", state=" + lastState + ", inFlight="
                + lastInFlight + (process.isAlive() ? "]" : ", exited]");
    }

    private static final class Pending {
        final Command command;
        /** The swap the command belongs to: the sender's MDC when it asked (the orchestrator's step). */
        final String swapId = MDC.get(SerialExecutor.MDC_KEY);
        final CompletableFuture<Status> reply = new CompletableFuture<>();

        Pending(Command command) {
            this.command = Objects.requireNonNull(command);
        }
    }
}
