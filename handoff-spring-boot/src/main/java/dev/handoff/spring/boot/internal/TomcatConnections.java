package dev.handoff.spring.boot.internal;

import java.lang.reflect.Method;
import java.nio.channels.SelectionKey;
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
 * graceful GOAWAY on upgraded HTTP/2 connections, and HTTP/1.x connections closed when idle: waiting for their next
 * request, and without a read or write for at least the threshold.
 *
 * <p>Waiting for the next request means: no processor attached (nothing running, not asynchronous, not upgraded),
 * registered with the poller for reading, and its read timeout is the keep-alive timeout, which Tomcat sets while a
 * kept-alive connection waits for a request line and replaces with the connection timeout once one arrives (so a
 * request whose body is slow to come is not taken for idle). Tomcat's keep-alive timeout defaults to the connection
 * timeout; to tell the two apart, a keep-alive timeout equal to it is made 1 ms longer at start-up.
 *
 * <p>Tomcat keeps a protocol handler's endpoint protected; it is read once, reflectively, at start-up. Not API.
 * Thread-safe.
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
            if (protocol instanceof AbstractProtocol<?> abstractProtocol
                    && abstractProtocol.getKeepAliveTimeout() == abstractProtocol.getConnectionTimeout()) {
                abstractProtocol.setKeepAliveTimeout(abstractProtocol.getConnectionTimeout() + 1);
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
                } else if (processor == null && isIdle(handler, wrapper, now)) {
                    LOG.debug("closing idle connection {}", wrapper);
                    wrapper.close();
                }
            }
        }
    }

    private boolean isIdle(Handler handler, SocketWrapperBase<?> wrapper, long now) {
        if (!(wrapper instanceof NioEndpoint.NioSocketWrapper nio)
                || !(handler.protocol instanceof AbstractProtocol<?> protocol)) {
            return false;
        }
        boolean waitingForRequest = nio.interestOpsHas(SelectionKey.OP_READ)
                && nio.getReadTimeout() == protocol.getKeepAliveTimeout();
        return waitingForRequest && now - Math.max(nio.getLastRead(), nio.getLastWrite()) >= thresholdMillis;
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
