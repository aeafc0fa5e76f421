package dev.handoff.examples.demo;

import dev.handoff.api.Plan;
import dev.handoff.api.SwapResult;
import dev.handoff.api.Lifecycle;
import dev.handoff.api.spi.Launcher;
import dev.handoff.core.Orchestrator;
import dev.handoff.core.process.ChildProcessInstance;
import dev.handoff.core.process.ChildProcessLauncher;
import dev.handoff.examples.webswap.DemoApplication;
import dev.handoff.jetty.JettyHandoff;
import dev.handoff.jetty.JettyLauncher;
import dev.handoff.jetty.ProxyRouter;
import java.io.File;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import org.eclipse.jetty.server.Server;

/**
 * The demo's web side: the embedded front door ({@link ProxyRouter} on a loopback port) and one web app instance
 * behind it, swapped one for one by an {@link Orchestrator} either to a new instance in this JVM
 * ({@link JettyLauncher}) or to a new child JVM ({@link ChildProcessLauncher} running {@link ChildWebApp}). The front
 * door finds an in-process instance's address itself and a child's in the table filled when it was launched.
 *
 * <p>Every child JVM launched is remembered and destroyed by {@link #close()}, whatever happened before. Swaps are
 * run one at a time by the demo's thread; the launcher is told before each swap which kind of instance to start.
 */
final class WebTier implements AutoCloseable {

    /** Where a new instance runs. */
    enum Kind {
        /** A Jetty server in this JVM. */
        IN_PROCESS("in-process"),
        /** A child JVM running {@link ChildWebApp}. */
        CHILD("child JVM");

        private final String label;

        Kind(String label) {
            this.label = label;
        }

        /** @return e.g. {@code child JVM} */
        String label() {
            return label;
        }
    }

    /** Options of every child JVM: small, quick to start, gentle on a busy machine. */
    private static final String[] CHILD_JVM_OPTIONS = {
        "-Xms32m", "-Xmx128m", "-XX:+UseSerialGC", "-XX:TieredStopAtLevel=1", "-Xss512k"};

    /**
     * How long an instance's HTTP/1.x connection must have been idle before stop-accepting closes it: well above
     * {@link #BACKEND_IDLE_TIMEOUT}, so that it never closes a pooled connection of the front door.
     */
    static final Duration INSTANCE_IDLE_THRESHOLD = Duration.ofSeconds(3);
    /**
     * How long the front door keeps an idle connection to an instance. It also bounds the wait for an answer
     * (no byte for that long is a 504), so not too short on a busy machine.
     */
    private static final Duration BACKEND_IDLE_TIMEOUT = Duration.ofSeconds(2);

    private final ProxyRouter front;
    private final Path logFolder;
    private final Duration stepBound;
    private final Map<String, InetSocketAddress> childAddresses = new ConcurrentHashMap<>();
    private final List<ChildProcessInstance> children = new CopyOnWriteArrayList<>();
    private final List<String> problems = new CopyOnWriteArrayList<>();
    private final String classpath;
    private volatile Kind next = Kind.IN_PROCESS;
    private Orchestrator orchestrator;

    private WebTier(ProxyRouter front, Path logFolder, Duration stepBound) {
        this.front = front;
        this.logFolder = logFolder;
        this.stepBound = stepBound;
        this.classpath = absoluteClasspath();
    }

    /**
     * Opens the front door and starts the first instance, in this JVM.
     *
     * @param printer   told of every step
     * @param logFolder where each child JVM's output goes ({@code <instance>.log})
     * @param stepBound the longest the demo waits for a start, a swap or a stop
     * @return the started tier; close it
     * @throws Exception when the front door or the first instance cannot start
     */
    static WebTier start(StepPrinter printer, Path logFolder, Duration stepBound) throws Exception {
        WebTier[] tier = new WebTier[1];
        ProxyRouter front = ProxyRouter.builder()
                .maxThreads(32)
                // below the instances' idle-connection threshold: the front door closes its idle pooled
                // connections itself, so stop-accepting never closes one the front door is about to reuse
                .backendIdleTimeout(BACKEND_IDLE_TIMEOUT)
                .addressOf(instance -> tier[0].addressOf(instance))
                .build()
                .start();
        tier[0] = new WebTier(front, logFolder, stepBound);
        try {
            tier[0].startGroup(printer);
        } catch (Exception | Error e) {
            tier[0].close();
            throw e;
        }
        return tier[0];
    }

    private void startGroup(StepPrinter printer) throws Exception {
        JettyLauncher inProcess = JettyLauncher.builder(id -> {
            Server server = new Server();
            server.setHandler(new DemoApplication(id));
            return server;
        }).handoff(handoff -> handoff.idleConnectionThreshold(INSTANCE_IDLE_THRESHOLD)).build();
        Launcher launcher = id -> next == Kind.CHILD ? launchChild(id) : inProcess.launch(id);
        orchestrator = Orchestrator.builder("web", launcher, front)
                .listener(printer)
                .launchTimeout(stepBound)
                .readyTimeout(stepBound)
                .drainTimeout(Duration.ofSeconds(15))
                .destroyTimeout(Duration.ofSeconds(20))
                .build();
        orchestrator.start(1).toCompletableFuture().get(stepBound.toMillis(), TimeUnit.MILLISECONDS);
    }

    private InetSocketAddress addressOf(Lifecycle instance) {
        if (instance instanceof JettyHandoff jetty) {
            return jetty.address();
        }
        InetSocketAddress address = childAddresses.get(instance.id());
        if (address == null) {
            throw new IllegalArgumentException("no address known for instance " + instance.id());
        }
        return address;
    }

    private CompletionStage<Lifecycle> launchChild(String id) {
        int port;
        try {
            port = freeLoopbackPort();
        } catch (IOException e) {
            return CompletableFuture.failedFuture(e);
        }
        ChildProcessLauncher launcher = ChildProcessLauncher.builder()
                .mainClass(ChildWebApp.class.getName(), classpath)
                .jvmOptions(CHILD_JVM_OPTIONS)
                .arguments("--port=" + port)
                .output(ProcessBuilder.Redirect.appendTo(logFolder.resolve(id + ".log").toFile()))
                .build();
        childAddresses.put(id, InetSocketAddress.createUnresolved(ChildWebApp.HOST, port));
        return launcher.launch(id).thenApply(handle -> {
            children.add((ChildProcessInstance) handle);
            return handle;
        });
    }

    /**
     * A port free now on loopback, for a child to bind. Another process could take it before the child binds it;
     * then the child fails before it is ready and the swap rolls back, which the demo reports.
     */
    private static int freeLoopbackPort() throws IOException {
        try (ServerSocket socket = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            return socket.getLocalPort();
        }
    }

    /** The child runs from the same jar or classes; absolute, so that its working folder does not matter. */
    private static String absoluteClasspath() {
        List<String> entries = new ArrayList<>();
        for (String entry : System.getProperty("java.class.path").split(File.pathSeparator)) {
            if (!entry.isEmpty()) {
                entries.add(Path.of(entry).toAbsolutePath().toString());
            }
        }
        return String.join(File.pathSeparator, entries);
    }

    /** @return the front door's address, where the clients connect */
    InetSocketAddress address() {
        return new InetSocketAddress(InetAddress.getLoopbackAddress(), front.port());
    }

    /** @return the group's instances now */
    List<Lifecycle> instances() {
        return orchestrator == null ? List.of() : orchestrator.instances();
    }

    /** @return the serving instance, e.g. {@code child JVM web-3 (pid 4242)} */
    String describeCurrent() {
        List<Lifecycle> instances = orchestrator.instances();
        if (instances.isEmpty()) {
            return "no instance";
        }
        Lifecycle instance = instances.get(0);
        if (instance instanceof ChildProcessInstance child) {
            return Kind.CHILD.label() + " " + child.id() + " (pid " + child.processHandle().pid() + ")";
        }
        return Kind.IN_PROCESS.label() + " " + instance.id();
    }

    /** @return pids of the child JVMs launched so far */
    List<Long> childPids() {
        return children.stream().map(child -> child.processHandle().pid()).toList();
    }

    /**
     * Swaps the web app, one for one, to a new instance of the given kind.
     *
     * @param kind where the new instance runs
     * @return the swap's result, whatever its outcome
     * @throws Exception when the swap could not start or did not end within the bound
     */
    SwapResult swap(Kind kind) throws Exception {
        next = kind;
        return orchestrator.swap(Plan.oneForOne()).toCompletableFuture()
                .get(stepBound.toMillis() * 3, TimeUnit.MILLISECONDS);
    }

    /**
     * Destroys the instances and every child JVM launched (a child that does not exit is killed), and closes the
     * front door. Bounded; safe after a failed start. What went wrong is kept in {@link #closeProblems()}.
     */
    @Override
    public void close() {
        if (orchestrator != null) {
            orchestrator.close();
            for (Lifecycle instance : orchestrator.instances()) {
                Closing.awaitQuietly(problems, stepBound, "destroy " + instance.id(), instance.destroy());
            }
        }
        for (ChildProcessInstance child : children) {
            Closing.awaitQuietly(problems, stepBound, "destroy child JVM " + child.id(), child.destroy());
            ProcessHandle process = child.processHandle();
            if (process.isAlive()) {
                problems.add("child JVM " + child.id() + " (pid " + process.pid() + ") still alive: killed");
                process.destroyForcibly();
            }
        }
        try {
            front.close();
        } catch (RuntimeException e) {
            problems.add("closing the front door: " + e);
        }
    }

    /** @return what failed in {@link #close()}; empty when everything stopped cleanly */
    List<String> closeProblems() {
        return List.copyOf(problems);
    }
}
