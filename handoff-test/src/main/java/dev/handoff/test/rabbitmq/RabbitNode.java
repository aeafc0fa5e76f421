package dev.handoff.test.rabbitmq;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import com.rabbitmq.client.ConnectionFactory;

/**
 * A throwaway RabbitMQ node for tests and demos: runs the installed {@code rabbitmq-server} directly (not the
 * Debian wrapper, which switches to the {@code rabbitmq} user), as the current user, with everything of its own:
 * {@code HOME} (Erlang cookie), node name, AMQP port, distribution port, an {@code epmd} on a port of its own,
 * data and logs under a directory the caller gives (a build's {@code target/}), no plugins, no system
 * configuration. Everything listens on 127.0.0.1 only. A node already running on the machine (on 5672) is
 * neither used nor disturbed.
 *
 * <pre>{@code
 * try (RabbitNode node = RabbitNode.start(Path.of("target/rabbitmq"))) {
 *     ConnectionFactory factory = node.connectionFactory();
 *     ...
 * }
 * }</pre>
 *
 * <p>{@link #start(Path)} waits (bounded) until {@code rabbitmqctl await_startup} succeeds; it takes a few seconds,
 * so share one node per test class. {@link #close()} stops the node ({@code rabbitmqctl stop}, then a kill by PID)
 * and the {@code epmd} it started; a JVM shutdown hook does the same if the JVM exits first.
 *
 * <p><b>Restarts.</b> To test what clients do when their broker goes away and comes back, {@link #stop()} takes the
 * node down (every client connection is closed by the broker, then the port refuses connections) and {@link #start()}
 * starts it again on the same ports, with the same node name and data folder: durable queues and the persistent
 * messages in them survive, transient ones do not. Both are bounded and idempotent; the shutdown hook and
 * {@link #close()} always act on the node's current process, so a node stopped and started any number of times is
 * still cleaned up. After {@link #close()} the node cannot be started again.
 *
 * <pre>{@code
 * node.stop();      // clients see their connections closed (CONNECTION_FORCED, "shutdown")
 * node.start();     // up again on node.port(); durable queues and persistent messages are back
 * }</pre>
 *
 * <p>Thread-safe: {@link #stop()}, {@link #start()} and {@link #close()} are serialized.
 */
public final class RabbitNode implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(RabbitNode.class);

    /** Where Debian's rabbitmq-server package installs the scripts. */
    public static final Path SCRIPTS = Path.of("/usr/lib/rabbitmq/bin");

    private static final Duration STARTUP_TIMEOUT = Duration.ofSeconds(90);
    private static final Duration CTL_TIMEOUT = Duration.ofSeconds(30);
    /** How long {@link #stop()} and {@link #close()} wait for the node to exit after {@code rabbitmqctl stop}. */
    private static final Duration STOP_TIMEOUT = Duration.ofSeconds(15);
    private static final int START_ATTEMPTS = 3;
    private static final AtomicInteger SEQUENCE = new AtomicInteger();
    private static final AtomicInteger CTL_SEQUENCE = new AtomicInteger();

    private final String nodeName;
    private final Path directory;
    private final Path scripts;
    private final int amqpPort;
    private final Map<String, String> environment;
    private final Thread shutdownHook;
    /** The current {@code rabbitmq-server} process; replaced by {@link #start()}. Read by the shutdown hook. */
    private volatile Process process;
    /** Written under the lock: the node was taken down by {@link #stop()} and may start again. */
    private volatile boolean down;
    /** Written under the lock: {@link #close()} ran; the node never starts again. */
    private volatile boolean closed;

    private RabbitNode(String nodeName, Path directory, Path scripts, int amqpPort, Map<String, String> environment,
                       Process process) {
        this.nodeName = nodeName;
        this.directory = directory;
        this.scripts = scripts;
        this.amqpPort = amqpPort;
        this.environment = environment;
        this.process = process;
        // One hook for the node's whole life: it kills whichever process is current when the JVM exits.
        this.shutdownHook = new Thread(this::kill, "rabbit-node-shutdown-" + nodeName);
        Runtime.getRuntime().addShutdownHook(shutdownHook);
    }

    /**
     * Starts a node and waits until it is up (at most 90 s, three attempts with fresh ports).
     *
     * @param baseDirectory where the node's data and logs go (a sub-directory per node is created), e.g.
     *                      {@code target/rabbitmq}
     * @return the running node
     * @throws NullPointerException  when {@code baseDirectory} is null
     * @throws IllegalStateException when rabbitmq-server is not installed, or the node did not start (the
     *                               message quotes the end of its log)
     */
    public static RabbitNode start(Path baseDirectory) {
        return start(baseDirectory, SCRIPTS);
    }

    /**
     * Starts a node from the scripts in {@code scriptsDirectory} (for installations outside Debian's layout).
     *
     * @param baseDirectory    where the node's data and logs go
     * @param scriptsDirectory where {@code rabbitmq-server} and {@code rabbitmqctl} are
     * @return the running node
     * @throws NullPointerException  when an argument is null
     * @throws IllegalStateException when rabbitmq-server is not installed there, or the node did not start
     */
    public static RabbitNode start(Path baseDirectory, Path scriptsDirectory) {
        Objects.requireNonNull(baseDirectory, "baseDirectory must not be null");
        Objects.requireNonNull(scriptsDirectory, "scriptsDirectory must not be null");
        Path server = scriptsDirectory.resolve("rabbitmq-server");
        if (!Files.isExecutable(server) || !Files.isExecutable(scriptsDirectory.resolve("rabbitmqctl"))) {
            throw new IllegalStateException("rabbitmq-server is not installed (" + server
                    + " not found): install it: apt-get install -y rabbitmq-server");
        }
        IllegalStateException failure = null;
        for (int attempt = 1; attempt <= START_ATTEMPTS; attempt++) {
            try {
                return startOnce(baseDirectory.toAbsolutePath(), scriptsDirectory);
            } catch (IllegalStateException e) {
                LOG.warn("RabbitMQ node did not start (attempt {} of {}): {}", attempt, START_ATTEMPTS,
                        e.getMessage());
                if (failure == null) {
                    failure = e;
                } else {
                    failure.addSuppressed(e);
                }
            }
        }
        throw failure;
    }

    private static RabbitNode startOnce(Path baseDirectory, Path scripts) {
        String nodeName = "handoff-" + ProcessHandle.current().pid() + "-" + SEQUENCE.incrementAndGet()
                + "@localhost";
        Path directory = baseDirectory.resolve(nodeName.substring(0, nodeName.indexOf('@')));
        int[] ports = freePorts(3);
        Map<String, String> environment;
        try {
            Files.createDirectories(directory.resolve("home"));
            Files.write(directory.resolve("enabled_plugins"), new byte[0]);
            Files.write(directory.resolve("rabbitmq-env.conf"), new byte[0]);
            environment = Map.ofEntries(
                    Map.entry("HOME", directory.resolve("home").toString()),
                    Map.entry("RABBITMQ_NODENAME", nodeName),
                    Map.entry("RABBITMQ_NODE_IP_ADDRESS", "127.0.0.1"),
                    Map.entry("RABBITMQ_NODE_PORT", Integer.toString(ports[0])),
                    Map.entry("RABBITMQ_DIST_PORT", Integer.toString(ports[1])),
                    Map.entry("ERL_EPMD_ADDRESS", "127.0.0.1"),
                    Map.entry("ERL_EPMD_PORT", Integer.toString(ports[2])),
                    Map.entry("RABBITMQ_SERVER_ADDITIONAL_ERL_ARGS", "-kernel inet_dist_use_interface {127,0,0,1}"),
                    Map.entry("RABBITMQ_CTL_ERL_ARGS", "-kernel inet_dist_use_interface {127,0,0,1}"),
                    Map.entry("RABBITMQ_MNESIA_BASE", directory.resolve("mnesia").toString()),
                    Map.entry("RABBITMQ_LOG_BASE", directory.resolve("log").toString()),
                    Map.entry("RABBITMQ_ENABLED_PLUGINS_FILE", directory.resolve("enabled_plugins").toString()),
                    Map.entry("RABBITMQ_CONF_ENV_FILE", directory.resolve("rabbitmq-env.conf").toString()),
                    Map.entry("RABBITMQ_CONFIG_FILE", directory.resolve("rabbitmq").toString()),
                    Map.entry("RABBITMQ_ADVANCED_CONFIG_FILE", directory.resolve("advanced.config").toString()));
        } catch (IOException e) {
            throw new UncheckedIOException("cannot prepare " + directory, e);
        }
        RabbitNode node = new RabbitNode(nodeName, directory, scripts, ports[0], environment,
                launch(scripts, directory, environment));
        try {
            node.awaitStartup(node.process);
        } catch (RuntimeException e) {
            node.close();
            throw e;
        }
        return node;
    }

    /** Runs {@code rabbitmq-server}, its output appended to {@code server.out} (kept across restarts). */
    private static Process launch(Path scripts, Path directory, Map<String, String> environment) {
        ProcessBuilder builder = new ProcessBuilder(scripts.resolve("rabbitmq-server").toString())
                .directory(directory.toFile())
                .redirectErrorStream(true)
                .redirectOutput(ProcessBuilder.Redirect.appendTo(directory.resolve("server.out").toFile()));
        builder.environment().putAll(environment);
        try {
            return builder.start();
        } catch (IOException e) {
            throw new IllegalStateException("cannot run " + builder.command() + ": " + e.getMessage(), e);
        }
    }

    private void awaitStartup(Process server) {
        long deadline = System.nanoTime() + STARTUP_TIMEOUT.toNanos();
        long started = System.nanoTime();
        while (System.nanoTime() < deadline) {
            if (!server.isAlive()) {
                throw new IllegalStateException("RabbitMQ node " + nodeName + " exited with status "
                        + server.exitValue() + " during startup; end of " + directory.resolve("server.out") + ":\n"
                        + tail(directory.resolve("server.out")));
            }
            if (ctl("await_startup", "--timeout", "10").exitCode == 0) {
                LOG.info("RabbitMQ node {} up on 127.0.0.1:{} in {} ms (data in {})", nodeName, amqpPort,
                        TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - started), directory);
                return;
            }
        }
        throw new IllegalStateException("RabbitMQ node " + nodeName + " not up after " + STARTUP_TIMEOUT
                + "; end of its output:\n" + tail(directory.resolve("server.out")));
    }

    /**
     * Takes the node down, as a broker restart or an outage does: {@code rabbitmqctl stop} (the broker closes every
     * client connection with {@code CONNECTION_FORCED}), then, if the node has not exited within 15 s, a kill of its
     * processes by PID. Returns when the node's process has exited, so the AMQP port refuses connections. Its
     * {@code epmd} is left running for {@link #start()}. A no-op when the node is already down or closed.
     */
    public synchronized void stop() {
        if (down || closed) {
            return;
        }
        down = true;
        long stopping = System.nanoTime();
        LOG.info("stopping RabbitMQ node {}", nodeName);
        shutDown();
        LOG.info("RabbitMQ node {} stopped in {} ms (it can be started again)", nodeName,
                TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - stopping));
    }

    /**
     * Starts the node again after {@link #stop()}: same node name, ports and data folder, so durable queues and their
     * persistent messages are back. Waits (at most 90 s) until {@code rabbitmqctl await_startup} succeeds. A no-op
     * when the node is running.
     *
     * @throws IllegalStateException when the node was closed, or did not come up, e.g. because another process took
     *                               one of its ports while it was down (the message quotes the end of its output;
     *                               the node is then down, and {@code start()} may be tried again)
     */
    public synchronized void start() {
        if (closed) {
            throw new IllegalStateException("RabbitMQ node " + nodeName + " cannot start: it is closed");
        }
        if (!down) {
            return;
        }
        Process server = launch(scripts, directory, environment);
        process = server;
        try {
            awaitStartup(server);
        } catch (RuntimeException e) {
            shutDown();
            throw e;
        }
        down = false;
    }

    /** @return whether the node's process is running (it may still be booting, or shutting down) */
    public boolean isRunning() {
        return process.isAlive();
    }

    /** @return the node's name, e.g. {@code handoff-1234-1@localhost} */
    public String nodeName() {
        return nodeName;
    }

    /** @return the AMQP port on 127.0.0.1 */
    public int port() {
        return amqpPort;
    }

    /**
     * @return the broker's address with the default vhost, {@code amqp://guest:guest@127.0.0.1:<port>/%2F} (a bare
     *     trailing {@code /} would name the empty vhost)
     */
    public String uri() {
        return "amqp://guest:guest@127.0.0.1:" + amqpPort + "/%2F";
    }

    /** @return a new connection factory for this node (guest user, default vhost) */
    public ConnectionFactory connectionFactory() {
        ConnectionFactory factory = new ConnectionFactory();
        factory.setHost("127.0.0.1");
        factory.setPort(amqpPort);
        factory.setUsername("guest");
        factory.setPassword("guest");
        factory.setConnectionTimeout(10_000);
        return factory;
    }

    /** @return the node's directory (data, logs, {@code server.out}) */
    public Path directory() {
        return directory;
    }

    /**
     * Runs {@code rabbitmqctl} against this node (30 s at most).
     *
     * @param arguments the command and its arguments, e.g. {@code "list_queues"}
     * @return the exit code and the output
     */
    public CtlResult ctl(String... arguments) {
        List<String> command = new ArrayList<>();
        command.add(scripts.resolve("rabbitmqctl").toString());
        command.add("-n");
        command.add(nodeName);
        command.addAll(List.of(arguments));
        return run(command);
    }

    private CtlResult run(List<String> command) {
        Path output = directory.resolve("ctl-" + CTL_SEQUENCE.incrementAndGet() + ".out");
        ProcessBuilder builder = new ProcessBuilder(command).redirectErrorStream(true)
                .redirectOutput(output.toFile());
        builder.environment().putAll(environment);
        try {
            Process ctl = builder.start();
            ctl.getOutputStream().close();
            if (!ctl.waitFor(CTL_TIMEOUT.toSeconds(), TimeUnit.SECONDS)) {
                ctl.descendants().forEach(ProcessHandle::destroyForcibly);
                ctl.destroyForcibly();
                return new CtlResult(-1, "timed out after " + CTL_TIMEOUT + ": " + command);
            }
            String text = Files.readString(output, StandardCharsets.UTF_8);
            Files.deleteIfExists(output);
            return new CtlResult(ctl.exitValue(), text);
        } catch (IOException e) {
            return new CtlResult(-1, e.toString());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return new CtlResult(-1, "interrupted: " + command);
        }
    }

    /**
     * Stops the node for good: {@code rabbitmqctl stop}, then, if it is still alive after 15 s, a kill of its
     * processes by PID; then the {@code epmd} started for it. Whether the node is running or was taken down by
     * {@link #stop()}. Idempotent; the node cannot be started again.
     */
    @Override
    public synchronized void close() {
        if (closed) {
            return;
        }
        closed = true;
        down = true;
        shutDown();
        kill();
        try {
            Runtime.getRuntime().removeShutdownHook(shutdownHook);
        } catch (IllegalStateException e) {
            // the JVM is shutting down: the hook runs or ran
        }
        LOG.info("RabbitMQ node {} closed", nodeName);
    }

    /** Caller holds the lock: stops the current process gracefully, bounded, then kills what is left of it. */
    private void shutDown() {
        Process server = process;
        if (server.isAlive()) {
            CtlResult stop = ctl("stop");
            if (stop.exitCode != 0) {
                LOG.warn("rabbitmqctl stop of {} failed ({}): {}", nodeName, stop.exitCode, stop.output.strip());
            }
            try {
                if (!server.waitFor(STOP_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS)) {
                    LOG.warn("RabbitMQ node {} still running {} after stop: killing it", nodeName, STOP_TIMEOUT);
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
        killProcess(server);
    }

    /** Kills the node's current processes by PID, then its epmd. Also the shutdown hook: takes no lock. */
    private void kill() {
        killProcess(process);
        // epmd daemonises (its parent is init): ask the one on our port to exit
        Path epmd = Path.of("/usr/bin/epmd");
        if (Files.isExecutable(epmd)) {
            run(List.of(epmd.toString(), "-kill"));
        }
    }

    private static void killProcess(Process server) {
        server.descendants().forEach(ProcessHandle::destroyForcibly);
        server.destroyForcibly();
        try {
            server.waitFor(10, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private static int[] freePorts(int count) {
        int[] ports = new int[count];
        List<ServerSocket> held = new ArrayList<>();
        try {
            for (int i = 0; i < count; i++) {
                ServerSocket socket = new ServerSocket(0, 1, InetAddress.getLoopbackAddress());
                held.add(socket);
                ports[i] = socket.getLocalPort();
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot find free ports", e);
        } finally {
            for (ServerSocket socket : held) {
                try {
                    socket.close();
                } catch (IOException e) {
                    LOG.debug("closing probe socket failed", e);
                }
            }
        }
        return ports;
    }

    private static String tail(Path file) {
        try {
            List<String> lines = Files.readAllLines(file, StandardCharsets.UTF_8);
            return String.join("\n", lines.subList(Math.max(0, lines.size() - 20), lines.size()));
        } catch (IOException e) {
            return "(cannot read " + file + ": " + e.getMessage() + ")";
        }
    }

    @Override
    public String toString() {
        return "RabbitNode[" + nodeName + ", 127.0.0.1:" + amqpPort + (closed ? ", closed]" : down ? ", down]" : "]");
    }

    /**
     * The result of a {@code rabbitmqctl} run.
     *
     * @param exitCode its exit code (-1 when it could not run or timed out)
     * @param output   its standard output and error
     */
    public record CtlResult(int exitCode, String output) {
    }
}
