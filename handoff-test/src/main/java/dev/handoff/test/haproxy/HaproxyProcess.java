package dev.handoff.test.haproxy;

import dev.handoff.core.internal.Durations;

import java.io.IOException;
import java.io.InputStream;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.Channels;
import java.nio.channels.SocketChannel;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeoutException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Comparator;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;
import java.util.stream.Stream;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A throwaway HAProxy for tests and the examples: writes a generated configuration into a fresh folder (an HTTP
 * frontend on a loopback port, one backend with {@code balance roundrobin} and {@code option http-server-close}
 * and no server, an admin socket in the folder), starts {@code haproxy -f <cfg> -db} as a child process, and waits
 * until the admin socket answers. {@link #close()} stops it by PID and deletes its folder.
 *
 * <p>Connection failures are retried by HAProxy ({@code retries 3}, {@code option redispatch 1}), as in a usual
 * production configuration; a request already sent to a server is never retried. {@link Builder#retries(int)}
 * changes the count ({@code 0}: no retry and no redispatch). Servers added with {@code check} get a TCP connect
 * check, unless {@link Builder#httpCheck(String)} asks for an HTTP one ({@code option httpchk},
 * {@code http-check expect status 200}).
 *
 * <p>Thread-safe; {@link #close()} is idempotent.
 */
public final class HaproxyProcess implements AutoCloseable {

    /** Where Debian installs HAProxy. */
    public static final Path DEFAULT_BINARY = Path.of("/usr/sbin/haproxy");

    private static final Logger LOG = LoggerFactory.getLogger(HaproxyProcess.class);
    private static final Duration STOP_TIMEOUT = Duration.ofSeconds(10);

    private final Process process;
    private final Path directory;
    private final Path adminSocket;
    private final String backend;
    private final int frontendPort;

    private HaproxyProcess(Process process, Path directory, Path adminSocket, String backend, int frontendPort) {
        this.process = process;
        this.directory = directory;
        this.adminSocket = adminSocket;
        this.backend = backend;
        this.frontendPort = frontendPort;
    }

    /** @return a builder with the defaults: {@link #DEFAULT_BINARY}, backend {@code app}, a free loopback port */
    public static Builder builder() {
        return new Builder();
    }

    /** @return the loopback port clients connect to */
    public int frontendPort() {
        return frontendPort;
    }

    /** @return the address clients connect to: 127.0.0.1 and {@link #frontendPort()} */
    public InetSocketAddress frontendAddress() {
        return new InetSocketAddress(InetAddress.getLoopbackAddress(), frontendPort);
    }

    /** @return the admin socket ({@code level admin}) */
    public Path adminSocket() {
        return adminSocket;
    }

    /** @return the name of the (initially empty) backend */
    public String backend() {
        return backend;
    }

    /** @return the HAProxy process id */
    public long pid() {
        return process.pid();
    }

    /** @return whether the process is still running */
    public boolean isAlive() {
        return process.isAlive();
    }

    /**
     * Stops HAProxy (SIGTERM, then SIGKILL after 10 s), waits for it to exit and deletes its folder. Idempotent.
     *
     * @throws UncheckedIOException when the folder cannot be deleted
     */
    @Override
    public void close() {
        ProcessHandle handle = process.toHandle();
        handle.destroy();
        try {
            if (!process.waitFor(STOP_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS)) {
                LOG.warn("haproxy pid {} did not stop within {}; killing it", process.pid(), STOP_TIMEOUT);
                handle.destroyForcibly();
                process.waitFor(STOP_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS);
            }
        } catch (InterruptedException e) {
            handle.destroyForcibly();
            Thread.currentThread().interrupt();
        }
        deleteRecursively(directory);
    }

    private static void deleteRecursively(Path directory) {
        if (!Files.exists(directory)) {
            return;
        }
        try (Stream<Path> paths = Files.walk(directory)) {
            for (Path path : paths.sorted(Comparator.reverseOrder()).toList()) {
                Files.deleteIfExists(path);
            }
        } catch (IOException e) {
            throw new UncheckedIOException("could not delete " + directory, e);
        }
    }

    /** Configures and starts a {@link HaproxyProcess}. Not thread-safe. */
    public static final class Builder {
        private Path binary = DEFAULT_BINARY;
        private String backend = "app";
        private int frontendPort;
        private Duration startTimeout = Duration.ofSeconds(10);
        private Duration serverTimeout = Duration.ofSeconds(30);
        private int retries = 3;
        private String httpCheckPath;

        private Builder() {
        }

        /**
         * @param path the haproxy executable
         * @return this builder
         * @throws NullPointerException when {@code path} is null
         */
        public Builder binary(Path path) {
            this.binary = Objects.requireNonNull(path, "binary must not be null");
            return this;
        }

        /**
         * @param name the backend's name
         * @return this builder
         * @throws IllegalArgumentException when not a valid HAProxy name
         */
        public Builder backend(String name) {
            Objects.requireNonNull(name, "backend must not be null");
            if (!name.matches("[A-Za-z0-9_.:-]{1,64}")) {
                throw new IllegalArgumentException(
                        "backend must be 1 to 64 characters among [A-Za-z0-9_.:-], but was '" + name + "'");
            }
            this.backend = name;
            return this;
        }

        /**
         * @param port the loopback port of the frontend; 0 (the default) picks a free one
         * @return this builder
         * @throws IllegalArgumentException when not within 0..65535
         */
        public Builder frontendPort(int port) {
            if (port < 0 || port > 65535) {
                throw new IllegalArgumentException("frontendPort must be in 0..65535, but was " + port);
            }
            this.frontendPort = port;
            return this;
        }

        /**
         * @param timeout how long {@link #start()} waits for the admin socket to answer
         * @return this builder
         * @throws IllegalArgumentException when not positive
         */
        public Builder startTimeout(Duration timeout) {
            this.startTimeout = Durations.positive("startTimeout", timeout);
            return this;
        }

        /**
         * @param timeout HAProxy's {@code timeout server} and {@code timeout client}: the longest a request may
         *                wait for its response
         * @return this builder
         * @throws IllegalArgumentException when not positive
         */
        public Builder serverTimeout(Duration timeout) {
            this.serverTimeout = Durations.positive("serverTimeout", timeout);
            return this;
        }

        /**
         * @param count how many times HAProxy retries a failed connection to a server (3 by default, then on
         *              another server: {@code option redispatch 1}); 0 means no retry and no redispatch, so a
         *              refused connection fails the request
         * @return this builder
         * @throws IllegalArgumentException when negative or above 100
         */
        public Builder retries(int count) {
            if (count < 0 || count > 100) {
                throw new IllegalArgumentException("retries must be in 0..100, but was " + count);
            }
            this.retries = count;
            return this;
        }

        /**
         * Health checks of servers added with {@code check} become HTTP checks: {@code GET path}, up on status 200
         * only ({@code option httpchk}, {@code http-check expect status 200}). Without it (the default) they are
         * TCP connects.
         *
         * @param path the path checked, for example {@code /actuator/health/readiness}
         * @return this builder
         * @throws IllegalArgumentException when not an absolute path of printable characters without spaces
         */
        public Builder httpCheck(String path) {
            Objects.requireNonNull(path, "httpCheck path must not be null");
            if (!path.matches("/[!-~&&[^\\\\#]]{0,200}")) {
                throw new IllegalArgumentException(
                        "httpCheck path must start with '/' and hold no space, '#' or '\\', but was '" + path + "'");
            }
            this.httpCheckPath = path;
            return this;
        }

        /**
         * Writes the configuration, starts HAProxy and waits until its admin socket answers.
         *
         * @return the running HAProxy
         * @throws IllegalStateException     when the binary is missing, HAProxy exits at start (its output is quoted) or
         *                              its admin socket does not answer within the start timeout
         * @throws UncheckedIOException when the folder or configuration cannot be written
         */
        public HaproxyProcess start() {
            if (!Files.isExecutable(binary)) {
                throw new IllegalStateException("haproxy not found at " + binary + "; install it: apt-get install -y haproxy");
            }
            Path directory;
            try {
                directory = Files.createTempDirectory("handoff-haproxy-");
            } catch (IOException e) {
                throw new UncheckedIOException("could not create a folder for haproxy", e);
            }
            try {
                return startIn(directory);
            } catch (RuntimeException e) {
                deleteRecursively(directory);
                throw e;
            }
        }

        private HaproxyProcess startIn(Path directory) {
            Path adminSocket = directory.resolve("admin.sock");
            Path config = directory.resolve("haproxy.cfg");
            Path log = directory.resolve("haproxy.log");
            int port = frontendPort != 0 ? frontendPort : freeLoopbackPort();
            try {
                Files.writeString(config, configuration(adminSocket, port), StandardCharsets.US_ASCII);
            } catch (IOException e) {
                throw new UncheckedIOException("could not write " + config, e);
            }
            Process process;
            try {
                process = new ProcessBuilder(List.of(binary.toString(), "-f", config.toString(), "-db"))
                        .directory(directory.toFile())
                        .redirectErrorStream(true)
                        .redirectOutput(log.toFile())
                        .start();
            } catch (IOException e) {
                throw new IllegalStateException("could not start " + binary + ": " + e.getMessage(), e);
            }
            HaproxyProcess haproxy = new HaproxyProcess(process, directory, adminSocket, backend, port);
            try {
                awaitAdminSocket(haproxy, log);
            } catch (RuntimeException e) {
                process.toHandle().destroyForcibly();
                throw e;
            }
            LOG.info("started haproxy pid {} on 127.0.0.1:{} (admin socket {})", process.pid(), port, adminSocket);
            return haproxy;
        }

        private void awaitAdminSocket(HaproxyProcess haproxy, Path log) {
            long deadline = System.nanoTime() + startTimeout.toNanos();
            String lastError = "no admin socket yet";
            while (System.nanoTime() - deadline < 0) {
                if (!haproxy.process.isAlive()) {
                    throw new IllegalStateException("haproxy exited at start with code " + haproxy.process.exitValue()
                            + "; its output: " + readQuietly(log));
                }
                if (Files.exists(haproxy.adminSocket)) {
                    try {
                        showInfo(haproxy.adminSocket);
                        return;
                    } catch (IOException e) {
                        lastError = e.toString();
                    }
                }
                // HAProxy is another process: nothing to wait on but its socket file, checked every 10 ms.
                LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(10));
            }
            throw new IllegalStateException("haproxy admin socket " + haproxy.adminSocket + " did not answer within "
                    + startTimeout + " (" + lastError + "); its output: " + readQuietly(log));
        }

        /** Asks the admin socket for {@code show info}; a blocking round trip, bounded by a 1 s read timeout. */
        private static void showInfo(Path adminSocket) throws IOException {
            try (SocketChannel channel = SocketChannel.open(UnixDomainSocketAddress.of(adminSocket))) {
                channel.write(ByteBuffer.wrap("show info\n".getBytes(StandardCharsets.US_ASCII)));
                InputStream in = Channels.newInputStream(channel);
                ExecutorService reader = Executors.newSingleThreadExecutor();
                try {
                    Future<Integer> first = reader.submit(() -> in.read());
                    if (first.get(1, TimeUnit.SECONDS) < 0) {
                        throw new IOException("admin socket closed without an answer");
                    }
                } catch (ExecutionException | TimeoutException e) {
                    throw new IOException("no answer from the admin socket: " + e, e);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    throw new IOException("interrupted", e);
                } finally {
                    reader.shutdownNow();
                }
            }
        }

        private String configuration(Path adminSocket, int port) {
            long serverMillis = serverTimeout.toMillis();
            return String.join("\n",
                    "global",
                    "    stats socket " + adminSocket + " level admin",
                    "    stats timeout 30s",
                    "    maxconn 4096",
                    "",
                    "defaults",
                    "    mode http",
                    "    option http-server-close",
                    "    retries " + retries,
                    retries > 0 ? "    option redispatch 1" : "    no option redispatch",
                    "    timeout connect 2s",
                    "    timeout client " + serverMillis + "ms",
                    "    timeout server " + serverMillis + "ms",
                    "    timeout http-request 10s",
                    "    timeout http-keep-alive 30s",
                    "    timeout queue 5s",
                    "",
                    "frontend public",
                    "    bind 127.0.0.1:" + port,
                    "    default_backend " + backend,
                    "",
                    "backend " + backend,
                    "    balance roundrobin",
                    httpCheckPath == null ? "" : "    option httpchk GET " + httpCheckPath,
                    httpCheckPath == null ? "" : "    http-check expect status 200",
                    "");
        }

        private static int freeLoopbackPort() {
            try (ServerSocket socket = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
                return socket.getLocalPort();
            } catch (IOException e) {
                throw new UncheckedIOException("could not find a free loopback port", e);
            }
        }

        private static String readQuietly(Path log) {
            try {
                return Files.readString(log, StandardCharsets.UTF_8).strip();
            } catch (IOException e) {
                return "(unreadable: " + e.getMessage() + ")";
            }
        }
    }
}
