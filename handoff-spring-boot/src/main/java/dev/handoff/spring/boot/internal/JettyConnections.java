package dev.handoff.spring.boot.internal;

import java.time.Duration;
import java.util.List;

import org.eclipse.jetty.io.Connection;
import org.eclipse.jetty.io.EndPoint;
import org.eclipse.jetty.io.IdleTimeout;
import org.eclipse.jetty.server.Connector;
import org.eclipse.jetty.server.internal.HttpConnection;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Jetty's connections: graceful GOAWAY on HTTP/2 connections (when Jetty's HTTP/2 is on the class path), and
 * HTTP/1.x connections closed when idle (no request running, nothing buffered, idle for at least the threshold).
 * {@code Connection: close} on responses is the filter's part. Not API. Thread-safe.
 */
public final class JettyConnections implements ServerConnections {

    private static final Logger LOG = LoggerFactory.getLogger(JettyConnections.class);
    private static final boolean HTTP2 = present("org.eclipse.jetty.http2.HTTP2Connection");

    private final List<Connector> connectors;
    private final long thresholdMillis;

    /**
     * @param connectors    the application connectors of the server
     * @param idleThreshold how long an HTTP/1.x connection must have been idle to be closed
     */
    public JettyConnections(List<Connector> connectors, Duration idleThreshold) {
        this.connectors = List.copyOf(connectors);
        this.thresholdMillis = idleThreshold.toMillis();
    }

    private static boolean present(String className) {
        try {
            Class.forName(className, false, JettyConnections.class.getClassLoader());
            return true;
        } catch (ClassNotFoundException | LinkageError e) {
            return false;
        }
    }

    @Override
    public String kind() {
        return "jetty";
    }

    @Override
    public void tellClientsToLeave() {
        for (Connector connector : connectors) {
            for (EndPoint endPoint : connector.getConnectedEndPoints()) {
                Connection connection = endPoint.getConnection();
                if (HTTP2 && Http2.goAway(connection)) {
                    continue;
                }
                if (connection instanceof HttpConnection http1 && isIdle(http1, endPoint)) {
                    LOG.debug("closing idle connection {}", endPoint);
                    connection.close();
                }
            }
        }
    }

    private boolean isIdle(HttpConnection connection, EndPoint endPoint) {
        if (connection.getHttpChannel().getRequest() != null || !connection.isRequestBufferEmpty()) {
            return false;
        }
        return !(endPoint instanceof IdleTimeout idle) || idle.getIdleFor() >= thresholdMillis;
    }

    @Override
    public void resumeKeepAlive() {
        // Jetty keeps connections alive unless a response says Connection: close: nothing to restore.
    }

    @Override
    public int openConnections() {
        int open = 0;
        for (Connector connector : connectors) {
            for (EndPoint endPoint : connector.getConnectedEndPoints()) {
                if (endPoint.isOpen() && !endPoint.isOutputShutdown()) {
                    open++;
                }
            }
        }
        return open;
    }

    @Override
    public void closeAll() {
        for (Connector connector : connectors) {
            for (EndPoint endPoint : connector.getConnectedEndPoints()) {
                endPoint.close();
            }
        }
    }

    /** Loaded only when Jetty's HTTP/2 is on the class path. */
    private static final class Http2 {
        private static final String GOAWAY_SENT = JettyConnections.class.getName() + ".goAwaySent";

        static boolean goAway(Connection connection) {
            if (!(connection instanceof org.eclipse.jetty.http2.HTTP2Connection http2)) {
                return false;
            }
            if (connection instanceof org.eclipse.jetty.server.ConnectionMetaData metaData
                    && metaData.setAttribute(GOAWAY_SENT, Boolean.TRUE) != null) {
                return true;
            }
            LOG.debug("graceful GOAWAY on {}", connection);
            http2.getSession().shutdown();
            return true;
        }
    }
}
