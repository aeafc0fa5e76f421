package dev.handoff.jetty;

import dev.handoff.api.LifecycleState;
import dev.handoff.core.InFlightTracker;
import dev.handoff.core.InstanceLifecycle;
import dev.handoff.core.Scheduler;
import dev.handoff.jetty.internal.Checks;
import dev.handoff.jetty.internal.ConnectionControl;
import dev.handoff.jetty.internal.Probes;

import java.time.Duration;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.function.Consumer;

import org.eclipse.jetty.server.Connector;
import org.eclipse.jetty.server.Server;
import org.eclipse.jetty.server.ServerConnector;
import org.eclipse.jetty.util.component.LifeCycle;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The application side of handoff for one Jetty 12 {@link Server}: a {@link HandoffHandler} that counts every
 * request, an {@link InstanceLifecycle}, readiness and liveness probes, and the connection moves that make clients
 * go elsewhere when the instance is retired. Wire it into an existing server in a few lines:
 *
 * <pre>{@code
 * Server server = new Server();
 * server.addConnector(new ServerConnector(server));
 * server.setHandler(myApplicationHandler);
 * JettyHandoff handoff = JettyHandoff.builder(server)
 *         .name("orders-v2")
 *         .managementPort(9090)          // probes on 127.0.0.1:9090/ready and /live
 *         .install();
 * server.start();                        // READY once started (see Builder#readyOnStart)
 * }</pre>
 *
 * <p><b>Retiring the instance.</b> {@link #stopAccepting()}: readiness turns 503, HTTP/1.x responses carry
 * {@code Connection: close}, long-idle HTTP/1.x connections are closed and HTTP/2 connections get a graceful
 * GOAWAY; requests that still arrive are served. {@link #drain()}, once the router has detached the instance: the
 * intake closes, and the stage completes when the last request has finished and the last application connection
 * has closed. A request that arrives on a keep-alive connection after the intake
 * closed is a <em>late request</em>: it is served and counted apart, and the drain waits for it too (see
 * {@link HandoffHandler}). {@link #forceStop()} at the drain deadline cuts the connections and returns how many
 * requests were abandoned.
 *
 * <p>Thread-safe. The state-changing methods are cold-path and synchronized.
 */
public final class JettyHandoff {

    private static final Logger LOG = LoggerFactory.getLogger(JettyHandoff.class);

    private final Server server;
    private final InstanceLifecycle lifecycle;
    private final HandoffHandler handler;
    private final ConnectionControl connections;
    private final ServerConnector managementConnector;
    private final CompletableFuture<Void> failure = new CompletableFuture<>();
    /**
     * The drain of the current retirement; null while accepting. Written under this; volatile so that
     * {@link #checkDrained()}, run on every application connection's close, reads it without the lock.
     */
    private volatile CompletableFuture<Void> drain;
    private volatile boolean intakeDrained;

    private JettyHandoff(Builder builder) {
        this.server = builder.server;
        InFlightTracker requests = InFlightTracker.create("requests");
        InFlightTracker lateRequests = InFlightTracker.create("late-requests");
        InstanceLifecycle.Builder lifecycleBuilder = InstanceLifecycle.builder(builder.name).tracker(requests);
        builder.lifecycleCustomizer.accept(lifecycleBuilder);
        this.lifecycle = lifecycleBuilder.build();
        this.connections = new ConnectionControl(builder.idleConnectionThreshold, builder.scheduler,
                this::checkDrained);
        if (builder.managementPort >= 0) {
            managementConnector = new ServerConnector(server, 0, 1);
            managementConnector.setHost(builder.managementHost);
            managementConnector.setPort(builder.managementPort);
            managementConnector.setName("handoff-management");
            server.addConnector(managementConnector);
        } else {
            managementConnector = null;
        }
        Probes probes = new Probes(lifecycle, builder.readinessPath, builder.livenessPath,
                builder.probesOnApplicationConnectors, managementConnector);
        this.handler = new HandoffHandler(lifecycle, requests, lateRequests, this::checkDrained,
                probes.served() ? probes : null);
        handler.setHandler(server.getHandler());
        server.setHandler(handler);
        lifecycle.addListener((from, to) -> {
            if (to == LifecycleState.FAILED) {
                failure.completeExceptionally(lifecycle.failureCause().orElseGet(() ->
                        new IllegalStateException("instance '" + lifecycle.name() + "' failed")));
            }
        });
        server.addEventListener(new ServerWatcher(builder.readyOnStart));
        server.addBean(this, false);
    }

    /**
     * @param server the server to wire into; not started, with its application handler already set
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

    /** @return the instance's lifecycle; call {@link InstanceLifecycle#markReady()} on it when not ready on start */
    public InstanceLifecycle lifecycle() {
        return lifecycle;
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
     * Adds a connector created after the server started (a router's shared-port connector) to the application
     * connectors, whose connections the drain waits for. Its accepting is left to the router that created it.
     *
     * @param connector a connector of this server
     * @throws NullPointerException when {@code connector} is null
     */
    public void adoptRouterConnector(Connector connector) {
        connections.adopt(connector);
    }

    /**
     * Step 4 on the instance: readiness goes down, clients are told to go elsewhere; work still arriving is served.
     * Idempotent.
     */
    public synchronized void stopAccepting() {
        lifecycle.stopAccepting();
        connections.tellClientsToLeave();
    }

    /**
     * Re-admission after a failed replacement: accepting again, as before {@link #stopAccepting()}.
     *
     * @throws IllegalStateException when the lifecycle cannot go back to READY (it names the states)
     */
    public synchronized void resumeAccepting() {
        lifecycle.resumeAccepting();
        connections.stopSweeping();
        CompletableFuture<Void> abandoned = drain;
        drain = null;
        intakeDrained = false;
        if (abandoned != null) {
            abandoned.cancel(false);
        }
    }

    /**
     * Steps 5 and 6 on the instance, once the router has detached it: the intake closes, and the returned stage
     * completes when the intake has drained, every application connection has closed and no late request is
     * running. Idempotent until {@link #resumeAccepting()}.
     *
     * <p>The listeners are not closed here but by {@link JettyInstance#destroy()}: closing a listening socket
     * resets the connections waiting in its accept queue, and a router that confirmed its detach sends no new
     * connection. One that still arrives is served (its requests are late requests) and the drain waits for it.
     *
     * @return the drain-complete signal; it never times out by itself
     * @throws IllegalStateException when the lifecycle is STOPPED or FAILED
     */
    public synchronized CompletionStage<Void> drain() {
        if (drain != null) {
            return drain.minimalCompletionStage();
        }
        CompletableFuture<Void> current = new CompletableFuture<>();
        CompletionStage<Void> intake = lifecycle.drain();
        drain = current;
        connections.tellClientsToLeave();
        intake.whenComplete((ignored, error) -> {
            if (error != null) {
                current.completeExceptionally(error);
            } else {
                intakeDrained = true;
                checkDrained();
            }
        });
        return current.minimalCompletionStage();
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

    /** @return requests running now, late ones included */
    public long inFlight() {
        return handler.inFlight() + handler.lateInFlight();
    }

    /**
     * The drain deadline passed: cuts every application connection.
     *
     * @return the number of requests abandoned (running at the call)
     */
    public long forceStop() {
        long abandoned = inFlight();
        LOG.warn("instance '{}': drain deadline passed, abandoning {} request(s)", lifecycle.name(), abandoned);
        connections.stopSweeping();
        connections.closeAll();
        return abandoned;
    }

    /** @return a stage that completes when the server or the lifecycle fails; never after a clean stop */
    public CompletionStage<Void> failure() {
        return failure.minimalCompletionStage();
    }

    void stopSweeping() {
        connections.stopSweeping();
    }

    /** @return application connections that may still bring a request (see {@link JettyHandoffMetrics}) */
    int openApplicationConnections() {
        return connections.openConnections();
    }

    /** Follows the server's own lifecycle: ready on start, failed on failure, stopped on stop. */
    private final class ServerWatcher implements LifeCycle.Listener {
        private final boolean readyOnStart;

        ServerWatcher(boolean readyOnStart) {
            this.readyOnStart = readyOnStart;
        }

        @Override
        public void lifeCycleStarting(LifeCycle event) {
            for (Connector connector : server.getConnectors()) {
                if (connector != managementConnector) {
                    connections.adopt(connector);
                }
            }
        }

        @Override
        public void lifeCycleStarted(LifeCycle event) {
            if (readyOnStart) {
                lifecycle.markReady();
            }
        }

        @Override
        public void lifeCycleFailure(LifeCycle event, Throwable cause) {
            LifecycleState state = lifecycle.state();
            if (state != LifecycleState.STOPPED && state != LifecycleState.FAILED) {
                lifecycle.fail(cause);
            }
            failure.completeExceptionally(cause);
        }

        @Override
        public void lifeCycleStopped(LifeCycle event) {
            connections.stopSweeping();
            if (lifecycle.state() != LifecycleState.FAILED) {
                lifecycle.stop();
            }
        }
    }

    /**
     * Configures a {@link JettyHandoff}. Each value is validated as it is set. Not thread-safe.
     */
    public static final class Builder {
        private final Server server;
        private String name = "jetty";
        private String readinessPath = "/ready";
        private String livenessPath = "/live";
        private boolean probesOnApplicationConnectors;
        private int managementPort = -1;
        private String managementHost = "127.0.0.1";
        private Duration idleConnectionThreshold = Duration.ofSeconds(1);
        private Scheduler scheduler = Scheduler.system();
        private boolean readyOnStart = true;
        private Consumer<InstanceLifecycle.Builder> lifecycleCustomizer = builder -> { };

        private Builder(Server server) {
            this.server = server;
        }

        /**
         * @param name the instance's name (logs, messages, metric tags); default {@code "jetty"}
         * @return this builder
         * @throws IllegalArgumentException when blank
         */
        public Builder name(String name) {
            this.name = Checks.notBlank("name", name);
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
         *                  80 each. A longer threshold lengthens the drain of instances with idle clients.
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
         * Wires the handler, probes and lifecycle into the server: the server's current handler is wrapped.
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
            return new JettyHandoff(this);
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
