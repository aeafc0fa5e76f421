package dev.handoff.spring.boot.internal;

import java.lang.reflect.Method;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Set;
import java.util.WeakHashMap;

import org.apache.catalina.connector.Connector;
import org.apache.coyote.AbstractProtocol;
import org.apache.coyote.Processor;
import org.apache.coyote.ProtocolHandler;
import org.apache.coyote.http11.AbstractHttp11Protocol;
import org.apache.tomcat.util.net.AbstractEndpoint;
import org.apache.tomcat.util.net.NioEndpoint;
import org.apache.tomcat.util.net.SocketWrapperBase;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Tomcat's connections: keep-alive turned off on every HTTP/1.1 protocol handler ({@code maxKeepAliveRequests=1},
 * so that every response after stop-accepting closes its connection, also those that do not pass the filter),
 * graceful GOAWAY on upgraded HTTP/2 connections, and HTTP/1.x connections closed when idle: no processor attached
 * (nothing running, not asynchronous, not upgraded), nothing read since the last response was written, and no
 * read or write for at least the threshold. Not API. Thread-safe.
 *
 * <p>Tomcat keeps a protocol handler's endpoint protected; it is read once, reflectively, at start-up.
 */
public final class TomcatConnections implements ServerConnections {

    private static final Logger LOG = LoggerFactory.getLogger(TomcatConnections.class);

    private final List<Handler> handlers = new ArrayList<>();
    private final long thresholdMillis;
    private final Set<Object> goneAway = Collections.newSetFromMap(new WeakHashMap<>());

    /**
     * @param connectors    the application connectors of the server
     * @param idleThreshold how long an HTTP/1.x connection must have been idle to be closed
     */
    public TomcatConnections(List<Connector> connectors, Duration idleThreshold) {
        this.thresholdMillis = idleThreshold.toMillis();
        for (Connector connector : connectors) {
            ProtocolHandler protocol = connector.getProtocolHandler();
            AbstractEndpoint<?, ?> endpoint = endpoint(protocol);
            if (endpoint == null) {
                LOG.warn("Tomcat connector {}: its endpoint cannot be read; idle connections will not be closed "
                        + "while draining (Connection: close still is sent)", connector);
            }
            handlers.add(new Handler(protocol, endpoint));
        }
    }

    private static AbstractEndpoint<?, ?> endpoint(ProtocolHandler protocol) {
        if (!(protocol instanceof AbstractProtocol)) {
            return null;
        }
        try {
            Method getter = AbstractProtocol.class.getDeclaredMethod("getEndpoint");
            getter.setAccessible(true);
            return (AbstractEndpoint<?, ?>) getter.invoke(protocol);
        } catch (ReflectiveOperationException | RuntimeException e) {
            LOG.debug("cannot read the endpoint of {}", protocol, e);
            return null;
        }
    }

    @Override
    public String kind() {
        return "tomcat";
    }

    @Override
    public synchronized void tellClientsToLeave() {
        long now = System.currentTimeMillis();
        for (Handler handler : handlers) {
            if (handler.protocol instanceof AbstractHttp11Protocol<?> http11) {
                if (handler.savedMaxKeepAlive == null) {
                    handler.savedMaxKeepAlive = http11.getMaxKeepAliveRequests();
                }
                http11.setMaxKeepAliveRequests(1);
            }
            if (handler.endpoint == null) {
                continue;
            }
            for (SocketWrapperBase<?> wrapper : handler.endpoint.getConnections()) {
                Object processor = wrapper.getCurrentProcessor();
                if (processor instanceof Processor upgraded && upgraded.isUpgrade()) {
                    if (goneAway.add(wrapper)) {
                        LOG.debug("graceful GOAWAY on {}", wrapper);
                        upgraded.pause();
                    }
                } else if (processor == null && isIdle(wrapper, now)) {
                    LOG.debug("closing idle connection {}", wrapper);
                    wrapper.close();
                }
            }
        }
    }

    private boolean isIdle(SocketWrapperBase<?> wrapper, long now) {
        if (!(wrapper instanceof NioEndpoint.NioSocketWrapper nio)) {
            return false;
        }
        long lastRead = nio.getLastRead();
        long lastWrite = nio.getLastWrite();
        return lastWrite >= lastRead && now - Math.max(lastRead, lastWrite) >= thresholdMillis;
    }

    @Override
    public synchronized void resumeKeepAlive() {
        for (Handler handler : handlers) {
            if (handler.protocol instanceof AbstractHttp11Protocol<?> http11 && handler.savedMaxKeepAlive != null) {
                http11.setMaxKeepAliveRequests(handler.savedMaxKeepAlive);
                handler.savedMaxKeepAlive = null;
            }
        }
        goneAway.clear();
    }

    @Override
    public int openConnections() {
        int open = 0;
        for (Handler handler : handlers) {
            if (handler.endpoint != null) {
                for (SocketWrapperBase<?> wrapper : handler.endpoint.getConnections()) {
                    if (!wrapper.isClosed()) {
                        open++;
                    }
                }
            }
        }
        return open;
    }

    @Override
    public void closeAll() {
        for (Handler handler : handlers) {
            if (handler.endpoint != null) {
                for (SocketWrapperBase<?> wrapper : handler.endpoint.getConnections()) {
                    wrapper.close();
                }
            }
        }
    }

    private static final class Handler {
        final ProtocolHandler protocol;
        final AbstractEndpoint<?, ?> endpoint;
        Integer savedMaxKeepAlive;

        Handler(ProtocolHandler protocol, AbstractEndpoint<?, ?> endpoint) {
            this.protocol = protocol;
            this.endpoint = endpoint;
        }
    }
}
