package dev.handoff.jetty;

import dev.handoff.api.spi.InstanceHandle;

import java.net.InetSocketAddress;
import java.util.Objects;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.Executor;

import org.eclipse.jetty.server.Connector;
import org.eclipse.jetty.server.NetworkConnector;
import org.eclipse.jetty.server.Server;

/**
 * The orchestrator's grip on an in-process Jetty {@link Server} with a {@link JettyHandoff} installed.
 *
 * <ul>
 *   <li>{@link #stopAccepting()}: readiness down, {@code Connection: close} on HTTP/1.x responses, long-idle
 *       connections closed, graceful GOAWAY on HTTP/2;</li>
 *   <li>{@link #drain()}: the intake closes; completes when the last request (late ones included) has finished
 *       and the last application connection has closed. The listeners stay open until {@link #destroy()}:
 *       closing a listening socket resets the connections waiting in its accept queue (see
 *       {@link JettyHandoff#drain()});</li>
 *   <li>{@link #forceStop()}: cuts the connections, completes with the number of requests abandoned;</li>
 *   <li>{@link #destroy()}: {@code server.stop()} on the blocking executor;</li>
 *   <li>{@link #failure()}: completes when the server fails.</li>
 * </ul>
 *
 * <p>Thread-safe. No method blocks the caller: blocking Jetty calls run on the executor given at creation.
 */
public final class JettyInstance implements InstanceHandle {

    private final String id;
    private final Server server;
    private final JettyHandoff handoff;
    private final Executor blocking;
    private final Object lock = new Object();
    private CompletableFuture<Void> destroyed;

    /**
     * @param id       the instance's id
     * @param server   the server, with a {@link JettyHandoff} installed (started or not)
     * @param blocking runs {@code server.stop()}
     * @throws NullPointerException     when an argument is null
     * @throws IllegalArgumentException when the server has no {@link JettyHandoff} installed
     */
    public JettyInstance(String id, Server server, Executor blocking) {
        this.id = Objects.requireNonNull(id, "id must not be null");
        this.server = Objects.requireNonNull(server, "server must not be null");
        this.blocking = Objects.requireNonNull(blocking, "blocking must not be null");
        this.handoff = JettyHandoff.of(server).orElseThrow(() -> new IllegalArgumentException(
                "server must have a JettyHandoff installed (JettyHandoff.builder(server).install()), but "
                        + server + " has none"));
    }

    @Override
    public String id() {
        return id;
    }

    /** @return the server */
    public Server server() {
        return server;
    }

    /** @return the handoff installed into the server */
    public JettyHandoff handoff() {
        return handoff;
    }

    /**
     * @return the address of the first application connector, a loopback address when it listens on all
     *     interfaces
     * @throws IllegalStateException when no application connector is open
     */
    public InetSocketAddress address() {
        for (Connector connector : server.getConnectors()) {
            if (handoff.managementConnector().map(management -> management == connector).orElse(false)) {
                continue;
            }
            if (connector instanceof NetworkConnector network && network.getLocalPort() > 0) {
                String host = network.getHost();
                if (host == null || host.isEmpty() || "0.0.0.0".equals(host) || "::".equals(host)) {
                    host = "127.0.0.1";
                }
                return InetSocketAddress.createUnresolved(host, network.getLocalPort());
            }
        }
        throw new IllegalStateException("instance '" + id + "' has no open application connector");
    }

    @Override
    public CompletionStage<Void> awaitReady() {
        return handoff.lifecycle().whenReady();
    }

    @Override
    public CompletionStage<Void> failure() {
        return handoff.failure();
    }

    @Override
    public CompletionStage<Void> stopAccepting() {
        try {
            handoff.stopAccepting();
            return CompletableFuture.completedFuture(null);
        } catch (RuntimeException e) {
            return CompletableFuture.failedFuture(e);
        }
    }

    @Override
    public CompletionStage<Void> resumeAccepting() {
        try {
            handoff.resumeAccepting();
            return CompletableFuture.completedFuture(null);
        } catch (RuntimeException e) {
            return CompletableFuture.failedFuture(e);
        }
    }

    @Override
    public CompletionStage<Void> drain() {
        try {
            return handoff.drain();
        } catch (RuntimeException e) {
            return CompletableFuture.failedFuture(e);
        }
    }

    @Override
    public long inFlight() {
        return handoff.inFlight();
    }

    @Override
    public CompletionStage<Long> forceStop() {
        return CompletableFuture.completedFuture(handoff.forceStop());
    }

    @Override
    public CompletionStage<Void> destroy() {
        synchronized (lock) {
            if (destroyed == null) {
                destroyed = new CompletableFuture<>();
                CompletableFuture<Void> result = destroyed;
                handoff.stopSweeping();
                blocking.execute(() -> {
                    try {
                        server.stop();
                        result.complete(null);
                    } catch (Exception e) {
                        result.completeExceptionally(e);
                    }
                });
            }
            return destroyed.minimalCompletionStage();
        }
    }

    @Override
    public String toString() {
        return "JettyInstance[" + id + ", " + handoff.lifecycle().state() + "]";
    }
}
