package dev.handoff.jetty;

import dev.handoff.api.Lifecycle;
import dev.handoff.api.spi.Router;
import dev.handoff.core.Scheduler;
import dev.handoff.jetty.internal.Blocking;
import dev.handoff.jetty.internal.Checks;
import dev.handoff.jetty.internal.Protocols;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.StandardSocketOptions;
import java.nio.channels.ServerSocketChannel;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.Executor;
import java.util.concurrent.TimeoutException;

import org.eclipse.jetty.http2.server.HTTP2CServerConnectionFactory;
import org.eclipse.jetty.server.ConnectionFactory;
import org.eclipse.jetty.server.Connector;
import org.eclipse.jetty.server.HttpConnectionFactory;
import org.eclipse.jetty.server.ServerConnector;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The shared port: the public port never stops listening. The router opens and owns the listening
 * {@link ServerSocketChannel}; the instance attached last accepts on it through a connector the router adds to its
 * server, built with zero acceptor threads so that the connector's selector accepts (an acceptor thread would close
 * the shared socket when its server stops). A handover from one instance to the next:
 *
 * <ol>
 *   <li>the current owner's connector stops accepting ({@code setAccepting(false)}: its selector cancels the
 *       channel's key);</li>
 *   <li>the router waits until the channel is deregistered from that selector (a channel cannot be handed to
 *       another connector while a selector holds it);</li>
 *   <li>the next instance's connector opens on the same channel ({@code open(channel)}) and starts.</li>
 * </ol>
 *
 * <p>During the handover connections wait in the socket's accept queue; none is refused. {@link #attach} hands the
 * port to the new instance at once (the old one keeps serving the connections it has, with
 * {@code Connection: close} once told to stop accepting); {@link #detach} of the owner hands the port back to the
 * instance attached before it (a rollback), or keeps it listening with no owner when none is left. Detach an
 * instance before destroying it: a server stopped while it owns the port would close the shared socket.
 *
 * <p><b>Across processes</b> (another JVM), the same port is shared with {@code SO_REUSEPORT} instead: the new
 * server binds the port with {@code ServerConnector.setReusePort(true)} before the old one closes its listener. The
 * guarantee is weaker, and we measured it: Linux resets the connections still waiting in a closing listener's
 * accept queue (about 1 request in 90 swaps under 8 busy clients) unless {@code net.ipv4.tcp_migrate_req=1}
 * (Linux 5.14+), which migrates them to another listener of the group (0 failures measured with it). The in-process
 * handover here never closes the listener and does not depend on that setting.
 *
 * <p>Only {@link JettyHandoff}s can be attached. Thread-safe: attaches and detaches run one at a time, in call
 * order.
 */
public final class SharedPortRouter implements Router, AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(SharedPortRouter.class);
    private static final Duration POLL = Duration.ofMillis(1);

    private final String host;
    private final int requestedPort;
    private final int acceptQueueSize;
    private final Duration handoverTimeout;
    private final Scheduler scheduler;
    private final Executor blocking;
    /** Guarded by this. */
    private final List<Slot> attached = new ArrayList<>();
    /** Guarded by this. */
    private Slot owner;
    /** The last operation queued; each one starts when the previous one ends. Guarded by this. */
    private CompletableFuture<Void> tail = CompletableFuture.completedFuture(null);
    private volatile ServerSocketChannel channel;

    private SharedPortRouter(Builder builder) {
        this.host = builder.host;
        this.requestedPort = builder.port;
        this.acceptQueueSize = builder.acceptQueueSize;
        this.handoverTimeout = builder.handoverTimeout;
        this.scheduler = builder.scheduler;
        this.blocking = builder.blocking;
    }

    /** @return a builder for a shared port on {@code 127.0.0.1}, port 0 */
    public static Builder builder() {
        return new Builder();
    }

    /**
     * Starts the router: binds the public port; it listens from now until {@link #close()}. Every router starts
     * this way: {@code builder()...build().start()}.
     *
     * @return this router
     * @throws IOException           when the port cannot be bound
     * @throws IllegalStateException when already started
     */
    public synchronized SharedPortRouter start() throws IOException {
        if (channel != null) {
            throw new IllegalStateException("shared port is already open on " + port());
        }
        ServerSocketChannel opened = ServerSocketChannel.open();
        try {
            opened.setOption(StandardSocketOptions.SO_REUSEADDR, true);
            opened.bind(new InetSocketAddress(host, requestedPort), acceptQueueSize);
        } catch (IOException e) {
            opened.close();
            throw new IOException("Failed to bind shared port " + host + ":" + requestedPort, e);
        }
        channel = opened;
        return this;
    }

    /**
     * @return the public port
     * @throws IllegalStateException when not open
     */
    public int port() {
        ServerSocketChannel current = channel;
        if (current == null) {
            throw new IllegalStateException("shared port is not open");
        }
        return current.socket().getLocalPort();
    }

    /** @return the id of the instance accepting on the port now, or null */
    public synchronized String owner() {
        return owner == null ? null : owner.instance.id();
    }

    /**
     * {@inheritDoc}
     *
     * <p>Hands the port to {@code instance}: completes when its connector accepts on it.
     *
     * @throws IllegalArgumentException (in the stage) when {@code instance} is not a {@link JettyHandoff}
     */
    @Override
    public CompletionStage<Void> attach(Lifecycle instance) {
        Objects.requireNonNull(instance, "instance must not be null");
        if (!(instance instanceof JettyHandoff jetty)) {
            return CompletableFuture.failedFuture(new IllegalArgumentException(
                    "instance must be a JettyHandoff, but was " + instance.getClass().getName()));
        }
        return enqueue(() -> {
            Slot slot;
            Slot previous;
            synchronized (this) {
                requireOpen();
                if (find(jetty.id()) != null) {
                    return CompletableFuture.completedFuture(null);
                }
                slot = new Slot(jetty);
                previous = owner;
            }
            return handOver(previous, slot).thenRun(() -> {
                synchronized (this) {
                    attached.add(slot);
                    owner = slot;
                }
                LOG.info("shared port {}: instance '{}' accepts", port(), jetty.id());
            });
        });
    }

    /**
     * {@inheritDoc}
     *
     * <p>For the instance accepting on the port: completes when its connector has let go of the channel and the
     * instance attached before it (if any) accepts again. For any other attached instance: at once (it accepts
     * nothing new already).
     */
    @Override
    public CompletionStage<Void> detach(Lifecycle instance) {
        Objects.requireNonNull(instance, "instance must not be null");
        return enqueue(() -> {
            Slot slot;
            Slot successor;
            synchronized (this) {
                slot = find(instance.id());
                if (slot == null) {
                    return CompletableFuture.completedFuture(null);
                }
                attached.remove(slot);
                if (slot != owner) {
                    return CompletableFuture.completedFuture(null);
                }
                successor = attached.isEmpty() ? null : attached.get(attached.size() - 1);
            }
            return handOver(slot, successor).thenRun(() -> {
                synchronized (this) {
                    owner = successor;
                }
                LOG.info("shared port {}: instance '{}' detached, {} accepts", port(), instance.id(),
                        successor == null ? "nobody (connections queue)" : "'" + successor.instance.id() + "'");
            });
        });
    }

    /** {@inheritDoc} At once: requests reach the servers' own connectors directly; the router carries none itself. */
    @Override
    public CompletionStage<Void> settled(Lifecycle instance) {
        return CompletableFuture.completedFuture(null);
    }

    /** Closes the shared port. Detach the instances first. Idempotent. */
    @Override
    public synchronized void close() {
        ServerSocketChannel current = channel;
        if (current != null) {
            try {
                current.close();
            } catch (IOException e) {
                LOG.warn("closing shared port failed", e);
            }
        }
    }

    private CompletionStage<Void> enqueue(java.util.function.Supplier<CompletionStage<Void>> operation) {
        CompletableFuture<Void> result = new CompletableFuture<>();
        synchronized (this) {
            CompletableFuture<Void> previous = tail;
            tail = result.handle((ignored, error) -> null);
            previous.whenComplete((ignored, error) -> {
                try {
                    operation.get().whenComplete((value, failure) -> {
                        if (failure != null) {
                            result.completeExceptionally(failure);
                        } else {
                            result.complete(null);
                        }
                    });
                } catch (RuntimeException e) {
                    result.completeExceptionally(e);
                }
            });
        }
        return result.minimalCompletionStage();
    }

    /** Moves the channel from {@code from}'s connector (if any) to {@code to}'s (if any). */
    private CompletableFuture<Void> handOver(Slot from, Slot to) {
        CompletableFuture<Void> released = from == null ? CompletableFuture.completedFuture(null) : release(from);
        if (to == null) {
            return released;
        }
        return released.thenCompose(ignored -> CompletableFuture.runAsync(() -> acquire(to), blocking))
                .whenComplete((ignored, error) -> {
                    if (error != null && from != null) {
                        LOG.warn("shared port {}: instance '{}' could not take the port; back to '{}'", port(),
                                to.instance.id(), from.instance.id(), error);
                        try {
                            acquire(from);
                        } catch (RuntimeException e) {
                            error.addSuppressed(e);
                        }
                    }
                });
    }

    private CompletableFuture<Void> release(Slot slot) {
        slot.connector.setAccepting(false);
        CompletableFuture<Void> deregistered = new CompletableFuture<>();
        awaitDeregistered(deregistered, scheduler.now().plus(handoverTimeout));
        return deregistered;
    }

    private void awaitDeregistered(CompletableFuture<Void> deregistered, Instant deadline) {
        if (!channel.isRegistered()) {
            deregistered.complete(null);
        } else if (scheduler.now().isAfter(deadline)) {
            deregistered.completeExceptionally(new TimeoutException(
                    "shared port " + port() + " still registered with a selector after " + handoverTimeout));
        } else {
            scheduler.schedule(POLL, () -> awaitDeregistered(deregistered, deadline));
        }
    }

    private void acquire(Slot slot) {
        ServerConnector connector = slot.connector;
        try {
            if (connector.isStarted()) {
                // A failed open(channel) elsewhere may have left it blocking; a selector needs it non-blocking.
                if (channel.isBlocking()) {
                    channel.configureBlocking(false);
                }
                connector.setAccepting(true);
                return;
            }
            connector.open(channel);
            slot.instance.server().addConnector(connector);
            slot.instance.adoptRouterConnector(connector);
            if (!connector.isStarted()) {
                connector.start();
            }
        } catch (Exception e) {
            throw new IllegalStateException("instance '" + slot.instance.id() + "' could not accept on shared port "
                    + port(), e);
        }
    }

    private Slot find(String id) {
        for (Slot slot : attached) {
            if (slot.instance.id().equals(id)) {
                return slot;
            }
        }
        return null;
    }

    private void requireOpen() {
        if (channel == null || !channel.isOpen()) {
            throw new IllegalStateException("shared port is not open; call start() first");
        }
    }

    /** An attached instance and the connector the router gave its server. */
    private static final class Slot {
        final JettyHandoff instance;
        final ServerConnector connector;

        Slot(JettyHandoff instance) {
            this.instance = instance;
            this.connector = new ServerConnector(instance.server(), null, null, null, 0, 1,
                    connectionFactoriesLike(instance));
            connector.setName("handoff-shared-port");
        }

        /** Same protocols and configuration as the instance's first application connector. */
        private static ConnectionFactory[] connectionFactoriesLike(JettyHandoff instance) {
            for (Connector connector : instance.applicationConnectors()) {
                List<ConnectionFactory> copies = new ArrayList<>();
                for (ConnectionFactory factory : connector.getConnectionFactories()) {
                    if (factory instanceof HTTP2CServerConnectionFactory http2) {
                        copies.add(new HTTP2CServerConnectionFactory(http2.getHttpConfiguration()));
                    } else if (factory instanceof HttpConnectionFactory http1) {
                        copies.add(new HttpConnectionFactory(http1.getHttpConfiguration()));
                    } else {
                        throw new IllegalArgumentException("shared port supports HTTP/1.1 and h2c connectors, but "
                                + "instance '" + instance.id() + "' uses " + factory.getProtocol());
                    }
                }
                return copies.toArray(new ConnectionFactory[0]);
            }
            return Protocols.http1AndH2c();
        }
    }

    /** Configures a {@link SharedPortRouter}. Each value is validated as it is set. Not thread-safe. */
    public static final class Builder {
        private String host = "127.0.0.1";
        private int port;
        private int acceptQueueSize = 1024;
        private Duration handoverTimeout = Duration.ofSeconds(5);
        private Scheduler scheduler = Scheduler.system();
        private Executor blocking = Blocking.EXECUTOR;

        private Builder() {
        }

        /**
         * @param host the public address; default {@code 127.0.0.1}
         * @return this builder
         * @throws IllegalArgumentException when blank
         */
        public Builder host(String host) {
            this.host = Checks.notBlank("host", host);
            return this;
        }

        /**
         * @param port the public port, 0 for any free one; default 0
         * @return this builder
         * @throws IllegalArgumentException when not in 0..65535
         */
        public Builder port(int port) {
            this.port = Checks.port("port", port);
            return this;
        }

        /**
         * @param size the listening socket's accept queue (backlog), which holds connections during a handover;
         *             default 1024
         * @return this builder
         * @throws IllegalArgumentException when not positive
         */
        public Builder acceptQueueSize(int size) {
            this.acceptQueueSize = Checks.positive("acceptQueueSize", size);
            return this;
        }

        /**
         * @param timeout how long a handover may wait for the old selector to let go of the channel; default 5 s
         * @return this builder
         * @throws IllegalArgumentException when not positive
         */
        public Builder handoverTimeout(Duration timeout) {
            this.handoverTimeout = Checks.positive("handoverTimeout", timeout);
            return this;
        }

        /**
         * @param scheduler paces the wait for deregistration; default {@link Scheduler#system()}
         * @return this builder
         */
        public Builder scheduler(Scheduler scheduler) {
            this.scheduler = Objects.requireNonNull(scheduler, "scheduler must not be null");
            return this;
        }

        /**
         * @param executor runs the connector starts; default a shared pool of daemon threads
         * @return this builder
         */
        public Builder blockingExecutor(Executor executor) {
            this.blocking = Objects.requireNonNull(executor, "executor must not be null");
            return this;
        }

        /** @return a router, not open */
        public SharedPortRouter build() {
            return new SharedPortRouter(this);
        }
    }
}
