package dev.handoff.jetty.internal;

import dev.handoff.core.Scheduler;

import java.time.Duration;
import java.util.Collection;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.CopyOnWriteArrayList;

import org.eclipse.jetty.http2.HTTP2Connection;
import org.eclipse.jetty.io.Connection;
import org.eclipse.jetty.io.EndPoint;
import org.eclipse.jetty.io.IdleTimeout;
import org.eclipse.jetty.server.AbstractConnector;
import org.eclipse.jetty.server.Connector;
import org.eclipse.jetty.server.internal.HttpConnection;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Moves clients off the application connectors of one server: graceful GOAWAY on HTTP/2, closing HTTP/1.x
 * connections that have been idle for a while, counting the connections still open, and cutting everything at a
 * forced stop. Not API. Thread-safe.
 *
 * <p>Why a threshold for idle HTTP/1.x connections: a connection that is idle this instant is often one whose
 * client is about to send its next request; closing it then resets that request. A busy client gets
 * {@code Connection: close} on its next response instead, so only connections idle for at least the threshold are
 * closed, once at stop-accepting and then on every sweep until the connections are gone.
 *
 * <p>Why an HTTP/2 connection gets its GOAWAY only once it has no open stream (or once the same threshold has
 * passed since stop-accepting): Jetty's {@code HttpClient} (12.1) takes a connection that received a GOAWAY out of
 * its pool and, when the first of its streams completes, closes it, failing the streams still open on it
 * ({@code ClosedChannelException}) although the server goes on serving them. A GOAWAY sent while the connection
 * carries no stream leaves at most the streams the client opens before it reads the GOAWAY; the streams opened
 * until then are served, as late requests. See {@code docs/upstream/jetty-h2-goaway.md}.
 */
public final class ConnectionControl {

    private static final Logger LOG = LoggerFactory.getLogger(ConnectionControl.class);
    private static final String GOAWAY_SENT = ConnectionControl.class.getName() + ".goAwaySent";

    private final List<Connector> connectors = new CopyOnWriteArrayList<>();
    private final Duration idleThreshold;
    private final Duration sweepInterval;
    private final Scheduler scheduler;
    private final Runnable onConnectionClosed;
    private final Connection.Listener closeListener;
    /** Guards the sweep schedule. */
    private final Object lock = new Object();
    private Scheduler.Cancellable sweep;
    private volatile boolean sweeping;
    /** When clients were told to leave ({@link System#nanoTime()}); guarded by lock for writes. */
    private volatile long leaveRequestedNanos;

    /**
     * @param idleThreshold      how long an HTTP/1.x connection must have been idle before it is closed
     * @param scheduler          runs the sweeps
     * @param onConnectionClosed told (on a Jetty thread) when an application connection closes, and on each sweep
     */
    public ConnectionControl(Duration idleThreshold, Scheduler scheduler, Runnable onConnectionClosed) {
        this.idleThreshold = Objects.requireNonNull(idleThreshold, "idleThreshold must not be null");
        this.scheduler = Objects.requireNonNull(scheduler, "scheduler must not be null");
        this.onConnectionClosed = Objects.requireNonNull(onConnectionClosed, "onConnectionClosed must not be null");
        // at most 100 ms: an HTTP/2 connection gets its GOAWAY on the first sweep that finds it without a stream
        long half = Math.min(100, Math.max(10, idleThreshold.toMillis() / 2));
        this.sweepInterval = Duration.ofMillis(half);
        this.closeListener = new Connection.Listener() {
            @Override
            public void onClosed(Connection connection) {
                ConnectionControl.this.onConnectionClosed.run();
            }
        };
    }

    /**
     * Adds an application connector; its connections are watched from the next one opened.
     *
     * @param connector a connector of the instance's server that carries application traffic
     */
    public synchronized void adopt(Connector connector) {
        Objects.requireNonNull(connector, "connector must not be null");
        if (!connectors.contains(connector)) {
            connectors.add(connector);
            if (connector instanceof AbstractConnector abstractConnector) {
                abstractConnector.addEventListener(closeListener);
            }
        }
    }

    /** @return the application connectors, in adoption order */
    public List<Connector> connectors() {
        return List.copyOf(connectors);
    }

    /**
     * Sends a graceful GOAWAY to every HTTP/2 connection without an open stream (the others get it on a later sweep,
     * once they have none or the threshold has passed), closes long-idle HTTP/1.x ones and starts sweeping.
     */
    public void tellClientsToLeave() {
        synchronized (lock) {
            if (!sweeping) {
                leaveRequestedNanos = System.nanoTime();
            }
            sweeping = true;
            if (sweep == null) {
                sweep = scheduler.schedule(sweepInterval, this::sweep);
            }
        }
        moveClients();
    }

    /** Stops the sweeps started by {@link #tellClientsToLeave()} (re-admission, destroy). */
    public void stopSweeping() {
        synchronized (lock) {
            sweeping = false;
            if (sweep != null) {
                sweep.cancel();
                sweep = null;
            }
        }
    }

    private void sweep() {
        synchronized (lock) {
            sweep = null;
            if (!sweeping) {
                return;
            }
        }
        try {
            moveClients();
            onConnectionClosed.run();
        } catch (RuntimeException e) {
            LOG.warn("sweep of application connections failed; retrying", e);
        }
        synchronized (lock) {
            if (sweeping && sweep == null) {
                sweep = scheduler.schedule(sweepInterval, this::sweep);
            }
        }
    }

    private void moveClients() {
        long thresholdMillis = idleThreshold.toMillis();
        boolean thresholdPassed = System.nanoTime() - leaveRequestedNanos >= idleThreshold.toNanos();
        for (Connector connector : connectors) {
            for (EndPoint endPoint : connector.getConnectedEndPoints()) {
                Connection connection = endPoint.getConnection();
                if (connection instanceof HTTP2Connection http2) {
                    if (thresholdPassed || http2.getSession().getStreams().isEmpty()) {
                        goAway(http2);
                    }
                } else if (connection instanceof HttpConnection http1 && isIdle(http1, endPoint, thresholdMillis)) {
                    LOG.debug("closing idle connection {}", endPoint);
                    connection.close();
                }
            }
        }
    }

    private static void goAway(HTTP2Connection connection) {
        if (connection instanceof org.eclipse.jetty.server.ConnectionMetaData metaData
                && metaData.setAttribute(GOAWAY_SENT, Boolean.TRUE) != null) {
            return;
        }
        LOG.debug("graceful GOAWAY on {}", connection);
        connection.getSession().shutdown();
    }

    private static boolean isIdle(HttpConnection connection, EndPoint endPoint, long thresholdMillis) {
        if (connection.getHttpChannel().getRequest() != null || !connection.isRequestBufferEmpty()) {
            return false;
        }
        return !(endPoint instanceof IdleTimeout idle) || idle.getIdleFor() >= thresholdMillis;
    }

    /**
     * @return connections on the application connectors that may still bring a request: open, and not
     *     half-closed by the server (after a {@code Connection: close} response Jetty shuts its output down and
     *     reads no further request, whether or not the client has closed its side yet). A connector forgets a
     *     closed endpoint only after its close listeners ran, so the endpoints are checked one by one.
     */
    public int openConnections() {
        int total = 0;
        for (Connector connector : connectors) {
            Collection<EndPoint> endPoints = connector.getConnectedEndPoints();
            for (EndPoint endPoint : endPoints) {
                if (endPoint.isOpen() && !endPoint.isOutputShutdown()) {
                    total++;
                }
            }
        }
        return total;
    }

    /** Cuts every application connection (forced stop). */
    public void closeAll() {
        for (Connector connector : connectors) {
            for (EndPoint endPoint : connector.getConnectedEndPoints()) {
                endPoint.close();
            }
        }
    }
}
