package dev.handoff.jetty.process;

import dev.handoff.api.HandoffException;
import dev.handoff.api.Lifecycle;
import dev.handoff.core.process.ChildAgent;
import dev.handoff.core.process.ChildProcessLauncher;
import dev.handoff.core.process.PortFile;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Comparator;
import java.util.Objects;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Function;
import java.util.stream.Stream;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * How a parent learns the port of a web server it started as a child JVM: each child binds any free port (port 0,
 * so no port is picked by one process and bound by another, which races) and, before it reports READY, writes
 * {@code host:port} into a file named after its instance id in a private folder (mode 0700) the parent created and
 * named in the child's environment ({@value #FOLDER_ENV}). Once the child is ready, {@link #address(Lifecycle)}
 * reads it, for example as an {@code HaproxyRouter} address resolver:
 *
 * <pre>{@code
 * ChildPorts ports = ChildPorts.create();
 * ChildProcessLauncher launcher = ports.configure(ChildProcessLauncher.builder()
 *         .mainClass("com.example.WebMain", classpath)).build();
 * HaproxyRouter router = HaproxyRouter.builder(adminSocket, "app").addressOf(ports.addressOf()).build().start();
 * }</pre>
 *
 * <p>The child side is {@link ChildWebApp}, which calls {@link #report(String, int)}. The wiring is checked when
 * the router starts: a router whose {@code addressOf} is {@link #addressOf()} refuses to start while no launcher was
 * configured with these ports (its children would report no port, and the first attach would fail).
 *
 * <p>Nothing is left on disk. A child's file is deleted once the child's process has exited, however it ended
 * (destroyed, crashed, killed: {@link #configure} registers this with the launcher); not before, since a child
 * terminated by SIGTERM still serves while it drains. {@link #close()} deletes the folder and whatever is in it; so
 * does a shutdown hook when this JVM exits without closing (only a JVM killed without running hooks leaves the
 * folder behind).
 *
 * <p>Thread-safe.
 */
public final class ChildPorts implements AutoCloseable {

    /** The environment variable naming the folder where children write their ports. */
    public static final String FOLDER_ENV = PortFile.FOLDER_ENV;

    /** The prefix of the folders {@link #create()} makes. */
    public static final String FOLDER_PREFIX = "handoff-ports-";

    private static final Logger LOG = LoggerFactory.getLogger(ChildPorts.class);
    private static final int DELETE_ATTEMPTS = 3;

    private final Path folder;
    /** Null for a kept folder ({@link #keptIn}), which neither close() nor this JVM's exit deletes. */
    private final Thread deleteOnExit;
    private final AtomicBoolean closed = new AtomicBoolean();
    private volatile boolean configured;

    private ChildPorts(Path folder, boolean temporary) {
        this.folder = folder;
        this.deleteOnExit = temporary ? new Thread(this::deleteFolder, "handoff-delete-ports") : null;
        if (temporary) {
            Runtime.getRuntime().addShutdownHook(deleteOnExit);
        }
    }

    /**
     * Uses {@code folder} (created with mode 0700 if missing) and keeps it: for children that outlive this JVM (an
     * orchestrator with a state directory), so that the next orchestrator, given the same folder (e.g.
     * {@code <state directory>/ports}), finds the ports of the children it re-adopts. Neither {@link #close()} nor
     * this JVM's exit deletes it; each child's file is still deleted once its exit is seen.
     *
     * @param folder the folder
     * @return the ports of the children configured with it
     * @throws NullPointerException when {@code folder} is null
     * @throws UncheckedIOException when the folder cannot be created
     */
    public static ChildPorts keptIn(Path folder) {
        Objects.requireNonNull(folder, "folder must not be null");
        try {
            if (!Files.isDirectory(folder)) {
                Files.createDirectories(folder,
                        PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwx------")));
            }
            return new ChildPorts(folder, false);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot create the folder for the children's ports " + folder, e);
        }
    }

    /**
     * Creates a fresh private folder (mode 0700) under {@code java.io.tmpdir}.
     *
     * @return the ports of the children configured with it
     * @throws UncheckedIOException when the folder cannot be created
     */
    public static ChildPorts create() {
        return create(Path.of(System.getProperty("java.io.tmpdir")));
    }

    /**
     * Creates a fresh private folder (mode 0700) in {@code parent}.
     *
     * @param parent where to create the folder
     * @return the ports of the children configured with it
     * @throws NullPointerException when {@code parent} is null
     * @throws UncheckedIOException when the folder cannot be created
     */
    public static ChildPorts create(Path parent) {
        Objects.requireNonNull(parent, "parent must not be null");
        try {
            return new ChildPorts(Files.createTempDirectory(parent, FOLDER_PREFIX,
                    PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwx------"))), true);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot create a folder for the children's ports in " + parent, e);
        }
    }

    /** @return the folder the children write into */
    public Path folder() {
        return folder;
    }

    /**
     * @param launcher a launcher builder
     * @return the same builder, with {@value #FOLDER_ENV} in the children's environment, and the deletion of each
     *     child's file once its process has exited
     * @throws NullPointerException when {@code launcher} is null
     */
    public ChildProcessLauncher.Builder configure(ChildProcessLauncher.Builder launcher) {
        ChildProcessLauncher.Builder configuredLauncher = Objects.requireNonNull(launcher,
                "launcher must not be null").environment(FOLDER_ENV, folder.toString())
                .afterExit(child -> forget(child.id()));
        configured = true;
        return configuredLauncher;
    }

    /**
     * @return a router's {@code addressOf} that reads these ports ({@link #address(Lifecycle)}), and that the router
     *     checks at its start ({@link #requireWired})
     */
    public Function<Lifecycle, InetSocketAddress> addressOf() {
        return new AddressOf();
    }

    /**
     * What a router's {@code start()} checks: when {@code addressOf} is a {@link #addressOf()} of some ports, those
     * ports must have been given to a launcher ({@link #configure}). Anything else passes.
     *
     * @param addressOf a router's {@code addressOf}
     * @throws IllegalStateException when the ports were never given to a launcher
     */
    public static void requireWired(Function<Lifecycle, InetSocketAddress> addressOf) {
        if (addressOf instanceof AddressOf ports && !ports.owner().configured) {
            throw new IllegalStateException("the router reads child ports from " + ports.owner().folder
                    + ", but no launcher was configured with them: its children would report no port and the first"
                    + " attach would fail; call ports.configure(ChildProcessLauncher.builder()...) before starting"
                    + " the router");
        }
    }

    /** A router's {@code addressOf} reading these ports. */
    private final class AddressOf implements Function<Lifecycle, InetSocketAddress> {
        @Override
        public InetSocketAddress apply(Lifecycle instance) {
            return address(instance);
        }

        ChildPorts owner() {
            return ChildPorts.this;
        }

        @Override
        public String toString() {
            return "addressOf(" + ChildPorts.this + ")";
        }
    }

    /**
     * Deletes the file of an instance whose process has ended; {@link #configure} makes the launcher call it after
     * each child's exit. Does nothing when there is no file.
     *
     * @param instanceId the instance's id
     * @throws NullPointerException when {@code instanceId} is null
     */
    public void forget(String instanceId) {
        Path file = folder.resolve(PortFile.fileName(Objects.requireNonNull(instanceId, "instanceId must not be null")));
        try {
            Files.deleteIfExists(file);
            Files.deleteIfExists(PortFile.temporary(file));
        } catch (IOException e) {
            LOG.warn("could not delete the port file {} of instance {}", file, instanceId, e);
        }
    }

    /**
     * @param instance a child started by a launcher configured with this, once it is ready
     * @return the address its application connector is bound to
     * @throws NullPointerException  when {@code instance} is null
     * @throws IllegalStateException when the child has not reported its port (it is not ready yet, or does not use
     *                               {@link ChildWebApp})
     */
    public InetSocketAddress address(Lifecycle instance) {
        Objects.requireNonNull(instance, "instance must not be null");
        Path file = folder.resolve(PortFile.fileName(instance.id()));
        String content;
        try {
            content = Files.readString(file, StandardCharsets.US_ASCII).strip();
        } catch (NoSuchFileException e) {
            throw new IllegalStateException("instance " + instance.id() + " has not reported its port (no " + file
                    + "): is it ready, and does it run a ChildWebApp?", e);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read the port of instance " + instance.id() + " from " + file, e);
        }
        int colon = content.lastIndexOf(':');
        try {
            return new InetSocketAddress(content.substring(0, colon), Integer.parseInt(content.substring(colon + 1)));
        } catch (RuntimeException e) {
            throw new IllegalStateException("instance " + instance.id() + " reported a malformed address '" + content
                    + "' in " + file, e);
        }
    }

    /**
     * The child's side: writes {@code host:port} for this JVM's instance id, atomically, when a parent configured
     * with a {@link ChildPorts} started it; does nothing otherwise.
     *
     * @param host the connector's host
     * @param port the bound port
     * @throws HandoffException when the file cannot be written
     */
    public static void report(String host, int port) {
        ChildAgent.instanceId().ifPresent(id -> PortFile.report(System.getenv(FOLDER_ENV), id, host, port));
    }

    /**
     * Deletes the folder and the ports in it (not a folder {@linkplain #keptIn kept}), also those of children still
     * running (a child that reports after
     * this fails to). Idempotent.
     *
     * @throws UncheckedIOException when the folder cannot be deleted
     */
    @Override
    public void close() {
        if (deleteOnExit == null) {
            return;
        }
        if (closed.compareAndSet(false, true)) {
            try {
                Runtime.getRuntime().removeShutdownHook(deleteOnExit);
            } catch (IllegalStateException e) {
                // Closed during the JVM's shutdown: the hook runs, or ran, and deletes the same folder.
            }
        }
        IOException failure = deleteFolder();
        if (failure != null) {
            throw new UncheckedIOException("cannot delete " + folder, failure);
        }
    }

    /** @return null when the folder is gone, else the last failure; a file written meanwhile is retried */
    private IOException deleteFolder() {
        IOException failure = null;
        for (int attempt = 0; attempt < DELETE_ATTEMPTS && Files.exists(folder); attempt++) {
            try (Stream<Path> paths = Files.walk(folder)) {
                for (Path path : paths.sorted(Comparator.reverseOrder()).toList()) {
                    Files.deleteIfExists(path);
                }
                return null;
            } catch (IOException | UncheckedIOException e) {
                failure = e instanceof IOException io ? io : ((UncheckedIOException) e).getCause();
            }
        }
        return Files.exists(folder) ? failure : null;
    }

    @Override
    public String toString() {
        return "ChildPorts[" + folder + "]";
    }
}
