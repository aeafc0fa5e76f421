package dev.handoff.jetty.process;

import dev.handoff.api.HandoffException;
import dev.handoff.core.process.ChildAgent;
import dev.handoff.core.process.ChildProcessLauncher;
import dev.handoff.core.process.GracefulTermination;
import dev.handoff.jetty.JettyHandoff;
import dev.handoff.jetty.internal.Checks;
import dev.handoff.jetty.internal.Protocols;

import java.io.Closeable;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.StandardSocketOptions;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.time.Duration;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;
import java.util.function.Consumer;

import org.eclipse.jetty.server.Server;
import org.eclipse.jetty.server.ServerConnector;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The child's side of a web server run as a child JVM: in one call it adds an application connector (HTTP/1.1 and
 * h2c) to a Jetty {@link Server}, installs {@link JettyHandoff}, starts the server, reports the bound port to the
 * parent ({@link ChildPorts}), connects the {@link ChildAgent} when a {@link ChildProcessLauncher} started this JVM,
 * installs {@link GracefulTermination} for SIGTERM, and only then marks the instance READY.
 *
 * <pre>{@code
 * public static void main(String[] args) throws Exception {
 *     Server server = new Server();
 *     server.setHandler(new MyApplication());
 *     ChildWebApp app = ChildWebApp.builder(server)
 *             .port(0)                                    // any free loopback port, reported to the parent
 *             .termination(t -> t.propagationDelay(Duration.ofSeconds(5)))
 *             .start();
 * }
 * }</pre>
 *
 * <p>The agent and the termination sequence act on the whole {@link JettyHandoff} (readiness down <em>and</em>
 * {@code Connection: close} and idle connections closed on stop-accepting; a drain that also waits for the open
 * connections), not only on its lifecycle.
 *
 * <p><b>Shared port across processes.</b> With {@link Builder#reusePort(boolean)} the connector binds its port with
 * {@code SO_REUSEPORT}, so that the next instance can bind the same port while this one still listens. The kernel
 * spreads new connections over every listener of the port from the moment each one listens; to leave the group,
 * stop-accepting closes this instance's listener at once (after accepting what its accept queue holds, to narrow
 * the window in which Linux resets queued connections; see {@code docs/shared-port.md}). Re-admission binds the port
 * again.
 *
 * <p>Thread-safe after {@link Builder#start()}.
 */
public final class ChildWebApp {

    private static final Logger LOG = LoggerFactory.getLogger(ChildWebApp.class);
    private static final Duration DEREGISTER_TIMEOUT = Duration.ofSeconds(2);

    private final Server server;
    private final ServerConnector connector;
    /** Set once by the builder, before the server starts. */
    private volatile JettyHandoff handoff;
    private final boolean reusePort;
    private volatile int port;
    /** The listener in use: the connector's own, or the one bound again on re-admission. Guarded by this. */
    private ServerSocketChannel listener;
    /** Accepts on a listener bound again on re-admission; null while the connector's own accepting is used. */
    private Closeable reopenedAcceptor;
    private volatile GracefulTermination termination;
    private volatile ChildAgent agent;

    private ChildWebApp(Server server, ServerConnector connector, boolean reusePort) {
        this.server = server;
        this.connector = connector;
        this.reusePort = reusePort;
    }

    /**
     * @param server the application's server: its handler set, not started; the builder adds the application
     *               connector
     * @return a builder
     * @throws NullPointerException when {@code server} is null
     */
    public static Builder builder(Server server) {
        return new Builder(Objects.requireNonNull(server, "server must not be null"));
    }

    /** @return the port the application connector is bound to */
    public int port() {
        return port;
    }

    /** @return the handoff installed into the server */
    public JettyHandoff handoff() {
        return handoff;
    }

    /** @return the server */
    public Server server() {
        return server;
    }

    /** @return the SIGTERM handler, when installed */
    public Optional<GracefulTermination> termination() {
        return Optional.ofNullable(termination);
    }

    /** @return whether a parent drives this JVM through a {@link ChildAgent} */
    public boolean attachedToParent() {
        return agent != null;
    }

    /** Stop-accepting on a shared port: leave the listening group, after the handoff told clients to leave. */
    private void leavePort() {
        if (reusePort) {
            closeListener();
        }
    }

    /** Re-admission on a shared port: join the listening group again. */
    private void rejoinPort() {
        if (reusePort) {
            reopenListener();
        }
    }

    /**
     * Leaves the SO_REUSEPORT group: the selector stops accepting, the connections still queued are accepted, then
     * the listener closes. Linux resets connections that reach the queue between the last accept and the close
     * (unless {@code net.ipv4.tcp_migrate_req=1}); accepting first leaves only that window.
     */
    private synchronized void closeListener() {
        ServerSocketChannel channel = listener;
        if (channel == null || !channel.isOpen()) {
            return;
        }
        if (reopenedAcceptor == null) {
            connector.setAccepting(false);
        } else {
            closeQuietly(reopenedAcceptor, "the selector's acceptor");
            reopenedAcceptor = null;
        }
        long deadline = System.nanoTime() + DEREGISTER_TIMEOUT.toNanos();
        while (channel.isRegistered() && System.nanoTime() - deadline < 0) {
            // The selector deregisters the key on its next loop, within microseconds; nothing to wait on but it.
            LockSupport.parkNanos(TimeUnit.MICROSECONDS.toNanos(100));
        }
        int accepted = 0;
        try {
            if (!channel.isRegistered()) {
                channel.configureBlocking(false);
                for (SocketChannel socket = channel.accept(); socket != null; socket = channel.accept()) {
                    socket.configureBlocking(false);
                    socket.socket().setTcpNoDelay(true);
                    accepted++;
                    connector.getSelectorManager().accept(socket);
                }
            }
        } catch (IOException e) {
            LOG.warn("shared port {}: accepting the queued connections failed: {}", port, e.getMessage());
        }
        // With no acceptor thread, ServerConnector.close() leaves the channel open: close it here.
        closeQuietly(channel, "the listener");
        LOG.info("shared port {}: listener closed ({} queued connection(s) accepted first)", port, accepted);
    }

    /** Re-admission on a shared port: binds the port again and has the connector's selector accept on it. */
    private synchronized void reopenListener() {
        if (listener != null && listener.isOpen()) {
            return;
        }
        ServerSocketChannel channel = null;
        try {
            channel = ServerSocketChannel.open();
            channel.setOption(StandardSocketOptions.SO_REUSEADDR, true);
            channel.setOption(StandardSocketOptions.SO_REUSEPORT, true);
            channel.bind(new InetSocketAddress(connector.getHost(), port), connector.getAcceptQueueSize());
            channel.configureBlocking(false);
            reopenedAcceptor = connector.getSelectorManager().acceptor(channel);
            listener = channel;
            LOG.info("shared port {}: listening again", port);
        } catch (IOException | RuntimeException e) {
            if (channel != null) {
                closeQuietly(channel, "the listener bound again");
            }
            throw new IllegalStateException("cannot listen on shared port " + port + " again: " + e.getMessage(), e);
        }
    }

    private void closeQuietly(Closeable closeable, String what) {
        try {
            closeable.close();
        } catch (IOException e) {
            LOG.warn("shared port {}: closing {} failed: {}", port, what, e.getMessage());
        }
    }

    /** Configures and starts a {@link ChildWebApp}; validates each value as it is set. Not thread-safe. */
    public static final class Builder {
        private final Server server;
        private String host = "127.0.0.1";
        private int port;
        private boolean reusePort;
        private boolean terminationOnSigterm = true;
        private Consumer<JettyHandoff.Builder> handoffCustomizer = builder -> { };
        private Consumer<GracefulTermination.Builder> terminationCustomizer = builder -> { };

        private Builder(Server server) {
            this.server = server;
        }

        /**
         * @param host the application connector's address; {@code 127.0.0.1} by default
         * @return this builder
         * @throws IllegalArgumentException when blank
         */
        public Builder host(String host) {
            this.host = Checks.notBlank("host", host);
            return this;
        }

        /**
         * @param port the application connector's port; 0 (the default) binds any free one
         * @return this builder
         * @throws IllegalArgumentException when not in 0..65535
         */
        public Builder port(int port) {
            this.port = Checks.port("port", port);
            return this;
        }

        /**
         * @param enabled bind with {@code SO_REUSEPORT}, to share the port with the instance before or after this
         *                one; stop-accepting then closes the listener (see the class comment). Off by default
         * @return this builder
         */
        public Builder reusePort(boolean enabled) {
            this.reusePort = enabled;
            return this;
        }

        /**
         * @param customizer configures the {@link JettyHandoff} (name, probes, management port...); the name
         *                   defaults to the instance id the parent gave, and readiness is marked by
         *                   {@link #start()}
         * @return this builder
         * @throws NullPointerException when {@code customizer} is null
         */
        public Builder handoff(Consumer<JettyHandoff.Builder> customizer) {
            this.handoffCustomizer = Objects.requireNonNull(customizer, "handoff customizer must not be null");
            return this;
        }

        /**
         * @param customizer configures the SIGTERM sequence (propagation delay, drain budget, close hooks...);
         *                   stopping the server is registered as the last close hook
         * @return this builder
         * @throws NullPointerException when {@code customizer} is null
         */
        public Builder termination(Consumer<GracefulTermination.Builder> customizer) {
            this.terminationCustomizer = Objects.requireNonNull(customizer,
                    "termination customizer must not be null");
            return this;
        }

        /**
         * @param enabled whether SIGTERM plays the termination sequence ({@link GracefulTermination}); on by
         *                default
         * @return this builder
         */
        public Builder terminationOnSigterm(boolean enabled) {
            this.terminationOnSigterm = enabled;
            return this;
        }

        /**
         * Adds the connector, installs the handoff, attaches to the parent when there is one, starts the server,
         * reports the port, installs the SIGTERM handler and marks the instance READY.
         *
         * @return the running application
         * @throws IllegalStateException when the server is already started or has a handoff installed
         * @throws HandoffException      when the server cannot start (its port is taken...), the port cannot be
         *                               reported, or the handshake with the parent fails
         */
        public ChildWebApp start() {
            // Zero acceptor threads: the selector accepts, so the listener can be closed while the server runs.
            ServerConnector connector = new ServerConnector(server, 0, -1, Protocols.http1AndH2c());
            connector.setHost(host);
            connector.setPort(port);
            connector.setReusePort(reusePort);
            connector.setName("application");
            server.addConnector(connector);
            ChildWebApp app = new ChildWebApp(server, connector, reusePort);
            JettyHandoff.Builder handoffBuilder = JettyHandoff.builder(server);
            handoffCustomizer.accept(handoffBuilder);
            JettyHandoff handoff = handoffBuilder.id(ChildAgent.instanceId().orElse("web")).readyOnStart(false)
                    .intakeControl(app::leavePort, app::rejoinPort).install();
            app.handoff = handoff;
            GracefulTermination termination = null;
            if (terminationOnSigterm) {
                // Built before the agent attaches, so that the agent announces its grace period to the parent;
                // installed once the server runs.
                GracefulTermination.Builder terminationBuilder = GracefulTermination.builder(handoff);
                terminationCustomizer.accept(terminationBuilder);
                termination = terminationBuilder.closeHook("jetty server", server::stop).build();
            }
            if (ChildAgent.launchedByParent()) {
                ChildAgent.Builder agent = ChildAgent.builder(handoff);
                if (termination != null) {
                    agent.terminationBudget(termination.gracePeriod());
                }
                app.agent = agent.attach();
            }
            try {
                server.start();
            } catch (Exception e) {
                handoff.fail(e);
                throw new HandoffException("server did not start on " + host + ":" + port + ": " + e.getMessage(),
                        e);
            }
            app.port = connector.getLocalPort();
            synchronized (app) {
                app.listener = (ServerSocketChannel) connector.getTransport();
            }
            if (termination != null) {
                app.termination = termination.install();
            }
            ChildPorts.report(host, app.port);
            handoff.markReady();
            LOG.info("instance '{}' ready on {}:{}{}", handoff.id(), host, app.port,
                    reusePort ? " (SO_REUSEPORT)" : "");
            return app;
        }
    }
}
