package dev.handoff.core.process;

import dev.handoff.api.HandoffException;
import dev.handoff.api.Lifecycle;
import dev.handoff.api.InstanceFailedException;
import dev.handoff.api.spi.Launcher;
import dev.handoff.api.spi.StateBinding;
import dev.handoff.core.internal.Durations;
import dev.handoff.core.internal.process.ChildProcess;
import dev.handoff.core.internal.process.ControlSocket;
import dev.handoff.core.internal.process.Protocol;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.function.Consumer;

/**
 * Step 1 for instances that run as child JVMs: starts {@code java [jvm options] -cp <classpath> <main class>
 * [arguments]} (or {@code java [jvm options] -jar <jar> [arguments]}) with {@link ProcessBuilder}, and returns a
 * {@link ChildProcessInstance} that drives it through the {@link ChildAgent} the child embeds.
 *
 * <p>Each child gets a private control channel: a Unix domain socket in a fresh folder of mode 0700, its path
 * and a random token in the child's environment ({@code HANDOFF_AGENT_SOCKET}, {@code HANDOFF_AGENT_TOKEN}), and
 * the instance id in {@code HANDOFF_INSTANCE_ID}. The child's standard input, output and error are left to the
 * application: by default output and error go where this JVM's go ({@link ProcessBuilder.Redirect#INHERIT}).
 *
 * <p>No orphans: every child is destroyed by a shutdown hook when this JVM exits, and a child's agent exits by
 * itself when this JVM dies without running hooks (its control channel closes).
 *
 * <p><b>Under a state directory.</b> Once an orchestrator with a state directory has {@linkplain #bind bound} it,
 * the launcher gives each child a folder {@code <state directory>/children/<instance id>/} (mode 0700) holding its
 * token ({@code token}, mode 0600) and the Unix domain socket where the child waits for a later orchestrator
 * ({@code agent.sock}), and the epoch, lease and orphan policy in its environment. Such children outlive this JVM:
 * its shutdown hook leaves them, and when their orchestrator is gone they keep serving for the lease (see
 * {@link dev.handoff.api.OrphanPolicy}); {@link #reattach(String)} takes one back. A child's folder is deleted once
 * its exit was seen, or, when no orchestrator saw it, by the {@code reattach} that finds it gone.
 *
 * <pre>{@code
 * Launcher launcher = ChildProcessLauncher.builder()
 *         .mainClass("com.example.OrdersApp", System.getProperty("java.class.path"))
 *         .jvmOptions("-Xmx256m")
 *         .arguments("--port=0")
 *         .build();
 * }</pre>
 *
 * <p>Immutable and thread-safe; {@link #launch(String)} may be called concurrently.
 */
public final class ChildProcessLauncher implements Launcher {

    /** Under a state directory: the folder of the children's folders. */
    public static final String CHILDREN = "children";
    private static final String TOKEN_FILE = "token";
    private static final String ADOPT_SOCKET = "agent.sock";

    private final Path javaBinary;
    private final List<String> jvmOptions;
    private final String mainClass;
    private final String classpath;
    private final Path jar;
    private final List<String> arguments;
    private final Map<String, String> environment;
    private final Path workingDirectory;
    private final ProcessBuilder.Redirect output;
    private final Path socketParent;
    private final Duration exitTimeout;
    private final Duration terminationBudget;
    private final Duration writeTimeout;
    private final List<Consumer<? super ChildProcessInstance>> afterExit;
    /** Set once by an orchestrator with a state directory; null before. */
    private volatile StateBinding binding;

    private ChildProcessLauncher(Builder builder) {
        this.javaBinary = builder.javaBinary;
        this.jvmOptions = List.copyOf(builder.jvmOptions);
        this.mainClass = builder.mainClass;
        this.classpath = builder.classpath;
        this.jar = builder.jar;
        this.arguments = List.copyOf(builder.arguments);
        this.environment = Collections.unmodifiableMap(new LinkedHashMap<>(builder.environment));
        this.workingDirectory = builder.workingDirectory;
        this.output = builder.output;
        this.socketParent = builder.socketParent;
        this.exitTimeout = builder.exitTimeout;
        this.terminationBudget = builder.terminationBudget;
        this.writeTimeout = builder.writeTimeout;
        this.afterExit = List.copyOf(builder.afterExit);
    }

    /** @return a builder; set either {@link Builder#mainClass} or {@link Builder#jar} */
    public static Builder builder() {
        return new Builder();
    }

    /**
     * Starts the child JVM. Returns once the process is started, not when it is ready: the orchestrator awaits
     * readiness with {@link Lifecycle#whenReady()}. Forking a process takes milliseconds.
     *
     * @param instanceId the id of the new instance, passed to the child in {@code HANDOFF_INSTANCE_ID}
     * @return completes with the started {@link ChildProcessInstance}; exceptionally with a
     *     {@link HandoffException} when the control socket or the process could not be created
     * @throws NullPointerException when {@code instanceId} is null
     */
    @Override
    public CompletionStage<Lifecycle> launch(String instanceId) {
        Objects.requireNonNull(instanceId, "instanceId must not be null");
        StateBinding bound = binding;
        ControlSocket socket = null;
        try {
            socket = ControlSocket.open(socketParent);
            ProcessBuilder process = new ProcessBuilder(command());
            process.environment().putAll(environment);
            process.environment().put(Protocol.SOCKET_ENV, socket.path().toString());
            process.environment().put(Protocol.TOKEN_ENV, socket.token());
            process.environment().put(Protocol.INSTANCE_ID_ENV, instanceId);
            List<Consumer<? super ChildProcessInstance>> actions = afterExit;
            if (bound != null) {
                Path folder = childFolder(bound, instanceId);
                createPrivateFolder(folder);
                Files.writeString(Files.createFile(folder.resolve(TOKEN_FILE), PosixFilePermissions.asFileAttribute(
                        PosixFilePermissions.fromString("rw-------"))), socket.token(), StandardCharsets.US_ASCII);
                process.environment().put(Protocol.ADOPT_SOCKET_ENV, folder.resolve(ADOPT_SOCKET).toString());
                process.environment().put(Protocol.EPOCH_ENV, Long.toString(bound.epoch()));
                process.environment().put(Protocol.LEASE_ENV, Long.toString(bound.orphanLease().toMillis()));
                process.environment().put(Protocol.POLICY_ENV, bound.orphanPolicy().name());
                actions = withFolderDeletion(folder);
            }
            if (workingDirectory != null) {
                process.directory(workingDirectory.toFile());
            }
            process.redirectOutput(output).redirectError(output);
            return CompletableFuture.completedFuture(ChildProcess.start(instanceId, process, socket, exitTimeout,
                    terminationBudget, writeTimeout, actions, bound == null ? 0 : bound.epoch()));
        } catch (IOException | RuntimeException e) {
            if (socket != null) {
                socket.close();
            }
            return CompletableFuture.failedFuture(new HandoffException("instance " + instanceId
                    + ": cannot start child process " + command() + ": " + e.getMessage(), e));
        }
    }

    /**
     * {@inheritDoc}
     *
     * <p>Children launched after this call wait for a later orchestrator when this one is gone (see the class
     * comment). A launcher serves one group: binding it to another directory or group is refused.
     *
     * @throws IllegalStateException when bound to another state directory or group already
     */
    @Override
    public void bind(StateBinding stateBinding) {
        Objects.requireNonNull(stateBinding, "binding must not be null");
        synchronized (this) {
            StateBinding current = binding;
            if (current != null && (!current.stateDirectory().equals(stateBinding.stateDirectory())
                    || !current.group().equals(stateBinding.group()))) {
                throw new IllegalStateException("this launcher is bound to group '" + current.group() + "' in "
                        + current.stateDirectory() + "; it cannot serve group '" + stateBinding.group() + "' in "
                        + stateBinding.stateDirectory() + " too");
            }
            binding = stateBinding;
        }
    }

    /**
     * {@inheritDoc}
     *
     * <p>Connects to the child's adoption socket and says {@code ADOPT} with its token and the bound epoch. A child
     * found gone (no folder, no token, nobody listening) has its folder deleted.
     *
     * @throws IllegalStateException (in the stage) when the launcher was not bound
     */
    @Override
    public CompletionStage<Lifecycle> reattach(String instanceId) {
        Objects.requireNonNull(instanceId, "instanceId must not be null");
        StateBinding bound = binding;
        if (bound == null) {
            return CompletableFuture.failedFuture(new IllegalStateException("cannot re-attach instance " + instanceId
                    + ": no orchestrator with a state directory bound this launcher"));
        }
        Path folder = childFolder(bound, instanceId);
        String token;
        try {
            token = Files.readString(folder.resolve(TOKEN_FILE), StandardCharsets.US_ASCII);
        } catch (NoSuchFileException e) {
            deleteFolder(folder);
            return CompletableFuture.failedFuture(new InstanceFailedException(instanceId, "no token in " + folder
                    + ": the child never started or is gone", null));
        } catch (IOException e) {
            return CompletableFuture.failedFuture(new InstanceFailedException(instanceId, "cannot read its token in "
                    + folder + ": " + e.getMessage(), e));
        }
        Path socket = folder.resolve(ADOPT_SOCKET);
        return ChildProcess.adopt(instanceId, socket, token, bound.epoch(), exitTimeout, writeTimeout,
                withFolderDeletion(folder)).handle((child, error) -> {
                    if (error != null) {
                        if (!Files.exists(socket) || !ChildProcess.listening(socket)) {
                            deleteFolder(folder);
                        }
                        throw error instanceof RuntimeException runtime ? runtime
                                : new InstanceFailedException(instanceId, error.toString(), error);
                    }
                    return child;
                });
    }

    private static Path childFolder(StateBinding bound, String instanceId) {
        if (instanceId.isBlank() || instanceId.contains("/") || instanceId.startsWith(".")) {
            throw new IllegalArgumentException("instanceId must be usable as a folder name under a state directory,"
                    + " but was '" + instanceId + "'");
        }
        return bound.stateDirectory().resolve(CHILDREN).resolve(instanceId);
    }

    private static void createPrivateFolder(Path folder) throws IOException {
        Path children = folder.getParent();
        if (!Files.isDirectory(children)) {
            Files.createDirectories(children, PosixFilePermissions.asFileAttribute(
                    PosixFilePermissions.fromString("rwx------")));
        }
        deleteFolder(folder);
        Files.createDirectory(folder, PosixFilePermissions.asFileAttribute(
                PosixFilePermissions.fromString("rwx------")));
    }

    private List<Consumer<? super ChildProcessInstance>> withFolderDeletion(Path folder) {
        List<Consumer<? super ChildProcessInstance>> actions = new ArrayList<>(afterExit);
        actions.add(child -> deleteFolder(folder));
        return actions;
    }

    private static void deleteFolder(Path folder) {
        try {
            Files.deleteIfExists(folder.resolve(ADOPT_SOCKET));
            Files.deleteIfExists(folder.resolve(TOKEN_FILE));
            Files.deleteIfExists(folder);
        } catch (IOException e) {
            // Something else in it: left for the user, it is in their state directory.
        }
    }

    /** @return the command line this launcher runs, without the environment */
    public List<String> command() {
        List<String> command = new ArrayList<>();
        command.add(javaBinary.toString());
        command.addAll(jvmOptions);
        if (jar != null) {
            command.add("-jar");
            command.add(jar.toString());
        } else {
            command.add("-cp");
            command.add(classpath);
            command.add(mainClass);
        }
        command.addAll(arguments);
        return List.copyOf(command);
    }

    @Override
    public String toString() {
        return "ChildProcessLauncher" + command();
    }

    /**
     * Builds a {@link ChildProcessLauncher}; each setter validates its value. Not thread-safe; the built launcher
     * is a copy and never changes.
     */
    public static final class Builder {
        private Path javaBinary = currentJava();
        private final List<String> jvmOptions = new ArrayList<>();
        private String mainClass;
        private String classpath;
        private Path jar;
        private final List<String> arguments = new ArrayList<>();
        private final Map<String, String> environment = new LinkedHashMap<>();
        private Path workingDirectory;
        private ProcessBuilder.Redirect output = ProcessBuilder.Redirect.INHERIT;
        private Path socketParent = Path.of(System.getProperty("java.io.tmpdir"));
        private Duration exitTimeout = Duration.ofSeconds(5);
        private Duration terminationBudget = Duration.ofSeconds(30);
        private Duration writeTimeout = Duration.ofSeconds(5);
        private final List<Consumer<? super ChildProcessInstance>> afterExit = new ArrayList<>();

        private Builder() {
        }

        private static Path currentJava() {
            return ProcessHandle.current().info().command().map(Path::of)
                    .orElseGet(() -> Path.of(System.getProperty("java.home"), "bin", "java"));
        }

        /**
         * @param mainClass the child's main class, e.g. {@code com.example.OrdersApp}
         * @param classpath its class path, e.g. {@code System.getProperty("java.class.path")}
         * @return this builder
         * @throws NullPointerException     when an argument is null
         * @throws IllegalArgumentException when an argument is blank, or a jar was set
         */
        public Builder mainClass(String mainClass, String classpath) {
            Objects.requireNonNull(mainClass, "mainClass must not be null");
            Objects.requireNonNull(classpath, "classpath must not be null");
            if (mainClass.isBlank()) {
                throw new IllegalArgumentException("mainClass must not be blank, but was '" + mainClass + "'");
            }
            if (classpath.isBlank()) {
                throw new IllegalArgumentException("classpath must not be blank, but was '" + classpath + "'");
            }
            if (jar != null) {
                throw new IllegalArgumentException("mainClass must not be set with a jar, but jar was " + jar);
            }
            this.mainClass = mainClass;
            this.classpath = classpath;
            return this;
        }

        /**
         * @param jar an executable jar (its manifest names the main class)
         * @return this builder
         * @throws NullPointerException     when {@code jar} is null
         * @throws IllegalArgumentException when a main class was set
         */
        public Builder jar(Path jar) {
            Objects.requireNonNull(jar, "jar must not be null");
            if (mainClass != null) {
                throw new IllegalArgumentException("jar must not be set with a main class, but mainClass was "
                        + mainClass);
            }
            this.jar = jar;
            return this;
        }

        /**
         * @param options options for the child JVM, before the class or jar, e.g. {@code -Xmx256m}; added to
         *                those set before
         * @return this builder
         * @throws NullPointerException when {@code options} or one of them is null
         */
        public Builder jvmOptions(String... options) {
            addAll(jvmOptions, "jvmOptions", options);
            return this;
        }

        /**
         * @param arguments arguments for the child's main method; added to those set before
         * @return this builder
         * @throws NullPointerException when {@code arguments} or one of them is null
         */
        public Builder arguments(String... arguments) {
            addAll(this.arguments, "arguments", arguments);
            return this;
        }

        private static void addAll(List<String> target, String field, String... values) {
            Objects.requireNonNull(values, field + " must not be null");
            for (int index = 0; index < values.length; index++) {
                target.add(Objects.requireNonNull(values[index], field + "[" + index + "] must not be null"));
            }
        }

        /**
         * Adds a variable to the child's environment, which otherwise is a copy of this JVM's.
         *
         * @param name  the variable's name
         * @param value its value
         * @return this builder
         * @throws NullPointerException     when an argument is null
         * @throws IllegalArgumentException when {@code name} is blank, holds '=', or is one the launcher sets
         */
        public Builder environment(String name, String value) {
            Objects.requireNonNull(name, "environment name must not be null");
            Objects.requireNonNull(value, "environment value of " + name + " must not be null");
            if (name.isBlank() || name.indexOf('=') >= 0) {
                throw new IllegalArgumentException("environment name must be non-blank without '=', but was '"
                        + name + "'");
            }
            if (name.equals(Protocol.SOCKET_ENV) || name.equals(Protocol.TOKEN_ENV)
                    || name.equals(Protocol.INSTANCE_ID_ENV)) {
                throw new IllegalArgumentException("environment name must not be one the launcher sets, but was "
                        + name);
            }
            environment.put(name, value);
            return this;
        }

        /**
         * @param folder the child's working folder; by default this JVM's
         * @return this builder
         * @throws NullPointerException when {@code folder} is null
         */
        public Builder workingDirectory(Path folder) {
            this.workingDirectory = Objects.requireNonNull(folder, "workingDirectory must not be null");
            return this;
        }

        /**
         * @param java the {@code java} executable; by default the one running this JVM
         * @return this builder
         * @throws NullPointerException when {@code java} is null
         */
        public Builder javaBinary(Path java) {
            this.javaBinary = Objects.requireNonNull(java, "javaBinary must not be null");
            return this;
        }

        /**
         * @param output where the child's standard output and error go, e.g.
         *               {@code Redirect.appendTo(logFile)}; by default {@link ProcessBuilder.Redirect#INHERIT}.
         *               {@link ProcessBuilder.Redirect#PIPE} is refused: nobody would read the pipe and the
         *               child would block once it filled
         * @return this builder
         * @throws NullPointerException     when {@code output} is null
         * @throws IllegalArgumentException when {@code output} is PIPE
         */
        public Builder output(ProcessBuilder.Redirect output) {
            Objects.requireNonNull(output, "output must not be null");
            ProcessBuilder.Redirect.Type type = output.type();
            if (type == ProcessBuilder.Redirect.Type.PIPE || type == ProcessBuilder.Redirect.Type.READ) {
                throw new IllegalArgumentException("output must be INHERIT, DISCARD or a file, but was " + output);
            }
            this.output = output;
            return this;
        }

        /**
         * @param folder where each child's private socket folder is created; by default {@code java.io.tmpdir}.
         *               Keep the path short: a Unix domain socket path is limited to about 100 bytes
         * @return this builder
         * @throws NullPointerException when {@code folder} is null
         */
        public Builder socketParent(Path folder) {
            this.socketParent = Objects.requireNonNull(folder, "socketParent must not be null");
            return this;
        }

        /**
         * @param timeout how long a destroy waits for the child to exit after asking it to {@code EXIT} (or the
         *                termination budget the child announced, when longer), and again after SIGTERM, before
         *                escalating; 5 seconds by default
         * @return this builder
         * @throws NullPointerException     when {@code timeout} is null
         * @throws IllegalArgumentException when {@code timeout} is not positive
         */
        public Builder exitTimeout(Duration timeout) {
            this.exitTimeout = Durations.positive("exitTimeout", timeout);
            return this;
        }

        /**
         * @param budget how long the child may take to terminate by itself on SIGTERM: its propagation delay, drain
         *               and close budgets ({@link GracefulTermination}) and a margin. When this JVM shuts down (on
         *               SIGTERM, say) it sends SIGTERM to every live child and waits up to the longest budget of
         *               them before it sends SIGKILL, so that no child is killed in the middle of its own graceful
         *               termination; 30 seconds by default (Kubernetes' default grace period). A child that announces a
         *               longer budget ({@link ChildAgent.Builder#terminationBudget}) is given that instead
         * @return this builder
         * @throws NullPointerException     when {@code budget} is null
         * @throws IllegalArgumentException when {@code budget} is not positive
         */
        public Builder terminationBudget(Duration budget) {
            this.terminationBudget = Durations.positive("terminationBudget", budget);
            return this;
        }

        /**
         * @param timeout how long one line to a child (a command, an ERROR) may wait to be written; a child that
         *                has not read its control channel for that long (its socket's buffer stays full) is
         *                disconnected and fails ({@link ChildProcessInstance#failure()}). Writes never block the
         *                caller: they are queued and written by a thread of each child's own. 5 seconds by default
         * @return this builder
         * @throws NullPointerException     when {@code timeout} is null
         * @throws IllegalArgumentException when {@code timeout} is not positive
         */
        public Builder writeTimeout(Duration timeout) {
            this.writeTimeout = Durations.positive("writeTimeout", timeout);
            return this;
        }

        /**
         * Adds an action to run once for each child this launcher starts, after its process has exited, whatever
         * the reason (destroyed, crashed, killed), e.g. to delete what the child left on disk. It runs on a JDK
         * thread after the exit was handled ({@link ChildProcessInstance#failure()}, the stages waiting for
         * answers), so it must be short; an exception it throws is logged and ignored. Actions run in the order
         * added. When this JVM exits, its shutdown hook destroys the children but does not wait for these actions.
         *
         * @param action what to run, given the child that exited
         * @return this builder
         * @throws NullPointerException when {@code action} is null
         */
        public Builder afterExit(Consumer<? super ChildProcessInstance> action) {
            afterExit.add(Objects.requireNonNull(action, "afterExit action must not be null"));
            return this;
        }

        /**
         * @return a new launcher with this builder's settings
         * @throws IllegalStateException when neither a main class nor a jar was set
         */
        public ChildProcessLauncher build() {
            if (mainClass == null && jar == null) {
                throw new IllegalStateException("mainClass or jar must be set, but neither was");
            }
            return new ChildProcessLauncher(this);
        }
    }
}
