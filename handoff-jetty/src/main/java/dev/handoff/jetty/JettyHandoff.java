package dev.handoff.jetty;

import dev.handoff.api.LifecycleState;
import dev.handoff.core.InFlightTracker;
import dev.handoff.core.InstanceLifecycle;
import dev.handoff.core.Scheduler;
import dev.handoff.jetty.internal.Checks;
import dev.handoff.jetty.internal.ConnectionControl;
import dev.handoff.jetty.internal.Probes;
import dev.handoff.jetty.internal.Protocols;

import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.function.Consumer;

import org.eclipse.jetty.server.Connector;
import org.eclipse.jetty.server.Handler;
import org.eclipse.jetty.server.NetworkConnector;
import org.eclipse.jetty.server.Server;
import org.eclipse.jetty.server.ServerConnector;
import org.eclipse.jetty.util.component.LifeCycle;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One Jetty 12 {@link Server} as an instance: its {@link InstanceLifecycle} (this object), a {@link HandoffHandler}
 * that counts every request, readiness and liveness probes, and the connection moves that make clients go
 * elsewhere when the instance is retired. Wire it into an existing server in a few lines, in any order:
 *
 * <pre>{@code
 * Server server = new Server();
 * server.addConnector(new ServerConnector(server));
 * server.setHandler(myApplicationHandler);
 * JettyHandoff handoff = JettyHandoff.builder(server)
 *         .id("orders-v2")
 *         .managementPort(9090)          // probes on 127.0.0.1:9090/ready and /live
 *         .install();
 * server.start();                        // READY once started (see Builder#readyOnStart)
 * }</pre>
 *
 * <p>Whoever drives it (an {@code Orchestrator}, {@code GracefulTermination} on SIGTERM, a child process's agent,
 * your own code) drives this one object, so the Jetty part of each step always happens:
 * <ul>
 *   <li>{@link #stopAccepting()}: readiness turns 503, HTTP/1.x responses carry {@code Connection: close},
 *       long-idle HTTP/1.x connections are closed and HTTP/2 connections get a graceful GOAWAY once they carry
 *       no stream (or once the idle connection threshold has passed: Jetty's HTTP/2 client fails the other open
 *       streams of a connection when one completes after a GOAWAY); requests that still arrive are served;</li>
 *   <li>{@link #drain()}, once the router has detached the instance: the intake closes, and the stage completes
 *       when the last request has finished and the last application connection has closed. A request that
 *       arrives on a keep-alive connection after the intake closed is a <em>late request</em>: it is served and
 *       counted apart, and the drain waits for it too (see {@link HandoffHandler}). The listeners stay open until
 *       {@link #destroy()}: closing a listening socket resets the connections waiting in its accept queue, and a
 *       router that confirmed its detach sends no new connection;</li>
 *   <li>{@link #forceStop()} at the drain deadline cuts the connections and completes with how many requests were
 *       abandoned;</li>
 *   <li>{@link #destroy()}: {@code server.stop()}, on a thread of its own.</li>
 * </ul>
 *
 * <p><b>Wiring is checked.</b> The handler wraps the server's handler when the server starts (so
 * {@code server.setHandler(app)} may come before or after {@link Builder#install()}); if something replaced it
 * afterwards, the server refuses to start, naming the problem, rather than serving requests nothing counts. The
 * management connector serves the probes and nothing else.
 *
 * <p>Thread-safe.
 */
public final class JettyHandoff extends InstanceLifecycle {

    private static final Logger LOG = LoggerFactory.getLogger(JettyHandoff.class);

    private final Server server;
    private final HandoffHandler handler;
    private final ConnectionControl connections;
    private final ServerConnector managementConnector;
    private final Object drainLock = new Object();
    /**
     * The Jetty part of the current drain; null while accepting. Written under {@link #drainLock}; volatile so
     * that {@link #checkDrained()}, run on every application connection's close, reads it without the lock.
     */
    private volatile CompletableFuture<Void> drain;
    private volatile boolean intakeDrained;
    private final Runnable onStopAccepting;
    private final Runnable onResumeAccepting;

    private JettyHandoff(Builder builder, InFlightTracker requests, InFlightTracker lateRequests) {
        super(lifecycleBuilder(builder, requests));
        this.server = builder.server;
        this.onStopAccepting = builder.onStopAccepting;
        this.onResumeAccepting = builder.onResumeAccepting;
        this.connections = new ConnectionControl(builder.idleConnectionThreshold, builder.scheduler,
                this::checkDrained);
        if (builder.managementPort >= 0) {
            managementConnector = new ServerConnector(server, 0, 1, Protocols.http1());
            managementConnector.setHost(builder.managementHost);
            managementConnector.setPort(builder.managementPort);
            managementConnector.setName("handoff-management");
            server.addConnector(managementConnector);
        } else {
            managementConnector = null;
        }
        Probes probes = new Probes(this, builder.readinessPath, builder.livenessPath,
                builder.probesOnApplicationConnectors, managementConnector);
        this.handler = new HandoffHandler(this, requests, lateRequests, this::checkDrained,
                probes.served() ? probes : null);
        server.addEventListener(new ServerWatcher(builder.readyOnStart));
        server.addBean(this, false);
    }

    private static InstanceLifecycle.Builder lifecycleBuilder(Builder builder, InFlightTracker requests) {
        InstanceLifecycle.Builder lifecycle = InstanceLifecycle.newBuilder(builder.id).tracker(requests);
        builder.lifecycleCustomizer.accept(lifecycle);
        return lifecycle;
    }

    /**
     * @param server the server to wire into; not started
     * @return a builder for the wiring
     * @throws NullPointerException when {@code server} is null
     */
    public static Builder builder(Server server) {
        return new Builder(Objects.requireNonNull(server, "server must not be null"));
    }

    /**
     * @param server a server
     * @return the handoff installed into it, if any
     */
    public static Optional<JettyHandoff> of(Server server) {
        return Optional.ofNullable(Objects.requireNonNull(server, "server must not be null")
                .getBean(JettyHandoff.class));
    }

    /** @return the server this is wired into */
    public Server server() {
        return server;
    }

    /** @return the counting handler */
    public HandoffHandler handler() {
        return handler;
    }

    /** @return the management connector (bound to 127.0.0.1 unless configured), if configured */
    public Optional<ServerConnector> managementConnector() {
        return Optional.ofNullable(managementConnector);
    }

    /** @return the connectors that carry application traffic (every connector but the management one) */
    public List<Connector> applicationConnectors() {
        return connections.connectors();
    }

    /**
     * @return the address of the first open application connector, a loopback address when it listens on all
     *     interfaces
     * @throws IllegalStateException when no application connector is open
     */
    public InetSocketAddress address() {
        for (Connector connector : server.getConnectors()) {
            if (connector == managementConnector) {
                continue;
            }
            if (connector instanceof NetworkConnector network && network.getLocalPort() > 0) {
                String host = network.getHost();
                if (host == null || host.isEmpty() || "0.0.0.0".equals(host) || "::".equals(host)) {
                    host = "127.0.0.1";
                }
                return new InetSocketAddress(host, network.getLocalPort());
            }
        }
        throw new IllegalStateException("instance '" + id() + "' has no open application connector");
    }

    /**
     * Adds a connector created after the server started (a router's shared-port connector) to the application
     * connectors, whose connections the drain waits for. Its accepting is left to the router that created it.
     *
     * @param connector a connector of this server
     * @throws NullPointerException when {@code connector} is null
     */
    public void adoptRouterConnector(Connector connector) {
        connections.adopt(connector);
    }

    @Override
    protected CompletionStage<Void> onStopAccepting() {
        connections.tellClientsToLeave();
        onStopAccepting.run();
        return CompletableFuture.completedFuture(null);
    }

    @Override
    protected CompletionStage<Void> onResumeAccepting() {
        CompletableFuture<Void> abandoned;
        synchronized (drainLock) {
            connections.stopSweeping();
            abandoned = drain;
            drain = null;
            intakeDrained = false;
        }
        if (abandoned != null) {
            abandoned.cancel(false);
        }
        onResumeAccepting.run();
        return CompletableFuture.completedFuture(null);
    }

    /** Completes when the intake has drained, every application connection has closed and no late request runs. */
    @Override
    protected CompletionStage<Void> onDrain(CompletionStage<Void> intakeDrained) {
        CompletableFuture<Void> current = new CompletableFuture<>();
        synchronized (drainLock) {
            drain = current;
            this.intakeDrained = false;
        }
        connections.tellClientsToLeave();
        intakeDrained.whenComplete((ignored, error) -> {
            if (error != null) {
                current.completeExceptionally(error);
            } else {
                this.intakeDrained = true;
                checkDrained();
            }
        });
        return current;
    }

    /**
     * Completes the drain when nothing can bring or run a request any more. The open connections are read before
     * the late requests: a request needs a connection, so once none is open (and the router, detached, opens
     * none) no request can start after the read of the late count.
     */
    private void checkDrained() {
        CompletableFuture<Void> current = drain;
        if (current == null || current.isDone() || !intakeDrained) {
            return;
        }
        if (connections.openConnections() == 0 && handler.lateInFlight() == 0) {
            connections.stopSweeping();
            current.complete(null);
        }
    }

    /** {@inheritDoc} Late requests included. */
    @Override
    public long inFlight() {
        return super.inFlight() + handler.lateInFlight();
    }

    /** Cuts every application connection; completes with the number of requests running at the call. */
    @Override
    protected CompletionStage<Long> onForceStop() {
        long abandoned = inFlight();
        LOG.warn("instance '{}': drain deadline passed, abandoning {} request(s)", id(), abandoned);
        connections.stopSweeping();
        connections.closeAll();
        return CompletableFuture.completedFuture(abandoned);
    }

    /** Stops the server on a thread of its own ({@code server.stop()} blocks, and must not run on its own pool). */
    @Override
    protected CompletionStage<Void> onDestroy() {
        connections.stopSweeping();
        CompletableFuture<Void> stopped = new CompletableFuture<>();
        Thread stopper = new Thread(() -> {
            try {
                server.stop();
                stopped.complete(null);
            } catch (Throwable e) {
                stopped.completeExceptionally(e);
            }
        }, "handoff-destroy-" + id());
        stopper.setDaemon(true);
        stopper.start();
        return stopped;
    }

    /** @return application connections that may still bring a request (see {@link JettyHandoffMetrics}) */
    int openApplicationConnections() {
        return connections.openConnections();
    }

    /**
     * Puts the handoff handler in front of the server's handler, as the server starts (before any handler
     * starts). Refuses the start when the handler had wrapped the application before and something replaced it
     * since: requests would then go uncounted and the drain would not wait for them.
     */
    private void wrapApplication() {
        Handler current = server.getHandler();
        if (current == handler || current instanceof Handler.Container container && container.getDescendant(HandoffHandler.class) == handler) {
            return;
        }
        if (handler.getHandler() != null) {
            throw new IllegalStateException("instance '" + id() + "': the HandoffHandler that JettyHandoff put in"
                    + " front of the application is no longer in the server's handler chain (the server's handler"
                    + " was replaced after it started once); requests would not be counted and the drain would"
                    + " not wait for them. Set the server's handler before the first server.start()");
        }
        handler.setHandler(current);
        server.setHandler(handler);
    }

    /** Follows the server's own lifecycle: ready on start, failed on failure, stopped on stop. */
    private final class ServerWatcher implements LifeCycle.Listener {
        private final boolean readyOnStart;

        ServerWatcher(boolean readyOnStart) {
            this.readyOnStart = readyOnStart;
        }

        @Override
        public void lifeCycleStarting(LifeCycle event) {
            wrapApplication();
            for (Connector connector : server.getConnectors()) {
                if (connector != managementConnector) {
                    connections.adopt(connector);
                }
            }
        }

        @Override
        public void lifeCycleStarted(LifeCycle event) {
            if (readyOnStart) {
                markReady();
            }
        }

        @Override
        public void lifeCycleFailure(LifeCycle event, Throwable cause) {
            LifecycleState state = state();
            if (state != LifecycleState.STOPPED && state != LifecycleState.FAILED) {
                fail(cause);
            }
        }

        @Override
        public void lifeCycleStopped(LifeCycle event) {
            connections.stopSweeping();
            if (state() != LifecycleState.FAILED) {
                stop();
            }
        }
    }

    /**
     * Configures a {@link JettyHandoff}. Each value is validated as it is set. Not thread-safe.
     */
    public static final class Builder {
        private final Server server;
        private String id = "jetty";
        private String readinessPath = "/ready";
        private String livenessPath = "/live";
        private boolean probesOnApplicationConnectors;
        private int managementPort = -1;
        private String managementHost = "127.0.0.1";
        private Duration idleConnectionThreshold = Duration.ofSeconds(1);
        private Scheduler scheduler = Scheduler.system();
        private boolean readyOnStart = true;
        private Consumer<InstanceLifecycle.Builder> lifecycleCustomizer = builder -> { };
        private Runnable onStopAccepting = () -> { };
        private Runnable onResumeAccepting = () -> { };

        private Builder(Server server) {
            this.server = server;
        }

        /**
         * @param id the instance's id (logs, messages, metric tags, the orchestrator's events); default
         *           {@code "jetty"}
         * @return this builder
         * @throws IllegalArgumentException when blank
         */
        public Builder id(String id) {
            this.id = Checks.notBlank("id", id);
            return this;
        }

        /**
         * @param path the readiness probe's path; default {@code /ready}
         * @return this builder
         * @throws IllegalArgumentException when it does not start with {@code /}
         */
        public Builder readinessPath(String path) {
            this.readinessPath = requirePath(path, "readinessPath");
            return this;
        }

        /**
         * @param path the liveness probe's path; default {@code /live}
         * @return this builder
         * @throws IllegalArgumentException when it does not start with {@code /}
         */
        public Builder livenessPath(String path) {
            this.livenessPath = requirePath(path, "livenessPath");
            return this;
        }

        /**
         * @param enabled whether the probes are also served on the application connectors; default {@code false}
         *                (off the public connector unless asked)
         * @return this builder
         */
        public Builder probesOnApplicationConnectors(boolean enabled) {
            this.probesOnApplicationConnectors = enabled;
            return this;
        }

        /**
         * Adds a management connector serving only the probes.
         *
         * @param port its port, {@code 0} for any free one
         * @return this builder
         * @throws IllegalArgumentException when not in 0..65535
         */
        public Builder managementPort(int port) {
            this.managementPort = Checks.port("managementPort", port);
            return this;
        }

        /**
         * @param host the management connector's address; default {@code 127.0.0.1}
         * @return this builder
         * @throws IllegalArgumentException when blank
         */
        public Builder managementHost(String host) {
            this.managementHost = Checks.notBlank("managementHost", host);
            return this;
        }

        /**
         * @param threshold how long an HTTP/1.x connection must have been idle before stop-accepting (and the
         *                  sweeps after it) close it; default 1 s. Closing an idle keep-alive connection races with
         *                  a client that picks it from its pool at that instant (it gets an EOF); a busy connection
         *                  is moved safely by {@code Connection: close} instead. Measured on the shared-port
         *                  router, 8 clients, 20 swaps a run: 250 ms gave 3 EOFs in 80 swaps, 1 s and 2 s none in
         *                  80 each. A longer threshold lengthens the drain of instances with idle clients. It is
         *                  also the longest an HTTP/2 connection that still carries streams waits for its GOAWAY.
         * @return this builder
         * @throws IllegalArgumentException when negative
         */
        public Builder idleConnectionThreshold(Duration threshold) {
            Objects.requireNonNull(threshold, "idleConnectionThreshold must not be null");
            if (threshold.isNegative()) {
                throw new IllegalArgumentException("idleConnectionThreshold must be >= 0, but was " + threshold);
            }
            this.idleConnectionThreshold = threshold;
            return this;
        }

        /**
         * @param scheduler runs the connection sweeps; default {@link Scheduler#system()}
         * @return this builder
         */
        public Builder scheduler(Scheduler scheduler) {
            this.scheduler = Objects.requireNonNull(scheduler, "scheduler must not be null");
            return this;
        }

        /**
         * @param ready whether the instance is READY as soon as the server has started; default {@code true}. Set
         *              {@code false} when the application calls {@link InstanceLifecycle#markReady()} itself or
         *              composes readiness with {@link #lifecycle(Consumer)}.
         * @return this builder
         */
        public Builder readyOnStart(boolean ready) {
            this.readyOnStart = ready;
            return this;
        }

        /**
         * @param customizer adds readiness conditions, checks or listeners to the lifecycle being built
         * @return this builder
         */
        public Builder lifecycle(Consumer<InstanceLifecycle.Builder> customizer) {
            this.lifecycleCustomizer = Objects.requireNonNull(customizer, "lifecycle customizer must not be null");
            return this;
        }

        /**
         * Adds work of the application's own to stop-accepting and re-admission, run after the handoff's (e.g.
         * leaving a shared port's listening group, and joining it again). They run on the thread that drives the
         * instance and should be short. When {@code onResumeAccepting} throws, the re-admission fails and the
         * instance is FAILED.
         *
         * @param onStopAccepting   run once per retirement, after readiness went down and clients were told to
         *                          leave
         * @param onResumeAccepting run on re-admission, after the instance is READY again
         * @return this builder
         * @throws NullPointerException when an argument is null
         */
        public Builder intakeControl(Runnable onStopAccepting, Runnable onResumeAccepting) {
            this.onStopAccepting = Objects.requireNonNull(onStopAccepting, "onStopAccepting must not be null");
            this.onResumeAccepting = Objects.requireNonNull(onResumeAccepting, "onResumeAccepting must not be null");
            return this;
        }

        /**
         * Wires the handler, probes and lifecycle into the server: the server's handler is wrapped when the server
         * starts (it may be set before or after this call).
         *
         * @return the installed handoff
         * @throws IllegalStateException when the server is already started or already has a handoff installed
         */
        public JettyHandoff install() {
            if (!server.isStopped()) {
                throw new IllegalStateException("server must be stopped to install handoff, but was "
                        + server.getState());
            }
            if (server.getBean(JettyHandoff.class) != null) {
                throw new IllegalStateException("server already has a JettyHandoff installed");
            }
            if (readinessPath.equals(livenessPath)) {
                throw new IllegalArgumentException("readinessPath and livenessPath must differ, but both were '"
                        + readinessPath + "'");
            }
            return new JettyHandoff(this, InFlightTracker.create("requests"), InFlightTracker.create("late-requests"));
        }

        private static String requirePath(String value, String argument) {
            Objects.requireNonNull(value, argument + " must not be null");
            if (!value.startsWith("/")) {
                throw new IllegalArgumentException(argument + " must start with '/', but was '" + value + "'");
            }
            return value;
        }
    }
}
