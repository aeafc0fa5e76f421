package dev.handoff.jetty;

import dev.handoff.api.Lifecycle;
import dev.handoff.api.spi.Router;
import dev.handoff.jetty.internal.Addresses;
import dev.handoff.jetty.process.ChildPorts;
import dev.handoff.jetty.internal.Checks;
import dev.handoff.jetty.internal.ReleasingCallback;

import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Function;

import org.eclipse.jetty.client.Destination;
import org.eclipse.jetty.client.HttpClient;
import org.eclipse.jetty.client.transport.HttpResponse;
import org.eclipse.jetty.http.HttpHeader;
import org.eclipse.jetty.http.HttpHeaderValue;
import org.eclipse.jetty.http.HttpMethod;
import org.eclipse.jetty.http.HttpStatus;
import org.eclipse.jetty.http.HttpURI;
import org.eclipse.jetty.http2.server.HTTP2CServerConnectionFactory;
import org.eclipse.jetty.proxy.ProxyHandler;
import org.eclipse.jetty.server.HttpConfiguration;
import org.eclipse.jetty.server.HttpConnectionFactory;
import org.eclipse.jetty.server.Request;
import org.eclipse.jetty.server.Response;
import org.eclipse.jetty.server.Server;
import org.eclipse.jetty.server.ServerConnector;
import org.eclipse.jetty.util.Callback;
import org.eclipse.jetty.util.component.LifeCycle;
import org.eclipse.jetty.util.thread.QueuedThreadPool;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The embedded front door, and the default router: a reverse proxy on the public port (loopback unless
 * configured), built on Jetty's {@link ProxyHandler}, spreading requests round-robin over the attached instances.
 *
 * <p><b>Attach and detach are atomic</b>: the set of backends is a copy-on-write array, swapped in one write.
 * <b>A detach is confirmed, not waited out</b>: once the array is swapped no new request picks the backend, and
 * {@link #propagationDelay()} is zero. The router counts the requests it has in flight to each backend, counted
 * before the backend's detached flag is read: a request either sees the flag and picks another backend, or is
 * counted. When a detached backend's count reaches zero, the router removes its destination from the proxy's
 * {@link HttpClient}, which closes the pooled connections to it at once (otherwise they would hold the old
 * server's connections open until their idle timeout, and with them its drain). {@link #detach} completes at once
 * (step 4); {@link #settled} completes then, or after {@link Builder#detachSettleTimeout(Duration)
 * detachSettleTimeout} (5 s by default), whichever comes first (step 5, before the instance's intake closes): a
 * request that never ends must meet the drain deadline (and be abandoned there), not hold the hand-over.
 * An instance attached again before that (re-admission) takes its backend back, connections and count included.
 * Once a detached instance's requests have settled the router forgets it, so its state does not grow with swaps.
 *
 * <p><b>The front door answers {@code CONNECT} itself</b> (405, never forwarded: it is no tunnel), and it never
 * pools a backend connection the backend closes or marks for closing: a response with {@code Connection: close},
 * or one of the statuses a server answers a request it could not read with (400, 408, 413, 414, 431, 501, 505),
 * closes the connection it came on, so another client's request never meets it dead (a 502).
 *
 * <p><b>The backend reads where a request came from in headers the front door sets</b>, from the client's
 * connection: {@code X-Forwarded-For} (the client's address), {@code X-Forwarded-Proto}, {@code X-Forwarded-Host}
 * (the {@code Host} header) and RFC 7239 {@code Forwarded}. The forwarding headers a client sends are dropped, so
 * that no client can claim another address, unless it connects from one of the
 * {@link Builder#trustedProxies(Set) trusted proxies}: then they are kept, and appended to. The connectors the
 * library creates send no {@code Server} header.
 *
 * <p>Backend addresses come from {@link JettyHandoff#address()} by default; give
 * {@link Builder#addressOf(Function)} for other instance handles (a child process).
 *
 * <p>Thread-safe. The per-request path is lock-free: one array read, one round-robin increment, one increment and
 * one decrement of the backend's counter.
 */
public final class ProxyRouter implements Router, AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(ProxyRouter.class);
    private static final String BACKEND_ATTRIBUTE = ProxyRouter.class.getName() + ".backend";
    private static final Backend[] NONE = new Backend[0];
    /** Statuses an HTTP/1 server answers a request it could not read with, before it closes the connection. */
    private static final Set<Integer> CLOSING_STATUSES = Set.of(HttpStatus.BAD_REQUEST_400,
            HttpStatus.REQUEST_TIMEOUT_408, HttpStatus.PAYLOAD_TOO_LARGE_413, HttpStatus.URI_TOO_LONG_414,
            HttpStatus.REQUEST_HEADER_FIELDS_TOO_LARGE_431, HttpStatus.NOT_IMPLEMENTED_501,
            HttpStatus.HTTP_VERSION_NOT_SUPPORTED_505);
    /** Headers that say where a request came from: kept only from a trusted proxy. */
    private static final List<String> FORWARDING_HEADERS = List.of(HttpHeader.FORWARDED.asString(),
            HttpHeader.X_FORWARDED_FOR.asString(), HttpHeader.X_FORWARDED_HOST.asString(),
            HttpHeader.X_FORWARDED_PROTO.asString(), HttpHeader.X_FORWARDED_PORT.asString(),
            HttpHeader.X_FORWARDED_SERVER.asString(), "X-Real-IP");
    private static final String ALLOWED_METHODS = "GET, HEAD, POST, PUT, DELETE, PATCH, OPTIONS, TRACE";

    private final Server server;
    private final ServerConnector connector;
    private final HttpClient client;
    private final Function<Lifecycle, InetSocketAddress> addressOf;
    private final long detachSettleTimeoutMillis;
    private final long requestIdleTimeoutMillis;
    private final Set<String> trustedProxies;
    private final AtomicInteger nextBackend = new AtomicInteger();
    private volatile Backend[] backends = NONE;
    /**
     * The last detached backend of each instance id, until it is attached again or its requests have settled and its
     * connections are closed. Guarded by this.
     */
    private final Map<String, Backend> detachedBackends = new HashMap<>();

    private ProxyRouter(Builder builder) {
        this.addressOf = builder.addressOf;
        this.detachSettleTimeoutMillis = builder.detachSettleTimeoutMillis;
        this.requestIdleTimeoutMillis = builder.requestIdleTimeoutMillis;
        this.trustedProxies = builder.trustedProxies;
        QueuedThreadPool serverThreads = new QueuedThreadPool(builder.maxThreads);
        serverThreads.setName("handoff-proxy");
        serverThreads.setDaemon(true);
        this.server = new Server(serverThreads);
        HttpConfiguration configuration = new HttpConfiguration();
        configuration.setSendServerVersion(false);
        this.connector = new ServerConnector(server, new HttpConnectionFactory(configuration),
                new HTTP2CServerConnectionFactory(configuration));
        connector.setHost(builder.host);
        connector.setPort(builder.port);
        server.addConnector(connector);
        QueuedThreadPool clientThreads = new QueuedThreadPool(builder.maxThreads);
        clientThreads.setName("handoff-proxy-client");
        clientThreads.setDaemon(true);
        this.client = new HttpClient();
        client.setExecutor(clientThreads);
        client.setFollowRedirects(false);
        // The backend sees the client's User-Agent, or none, not the proxy's HttpClient's.
        client.setUserAgentField(null);
        client.setMaxConnectionsPerDestination(builder.maxConnectionsPerBackend);
        client.setIdleTimeout(builder.backendIdleTimeoutMillis);
        server.addBean(client);
        RoutingHandler handler = new RoutingHandler();
        handler.setHttpClient(client);
        server.setHandler(handler);
    }

    /** @return a builder for a front door on {@code 127.0.0.1}, port 0 */
    public static Builder builder() {
        return new Builder();
    }

    /**
     * Starts the front door: checks the wiring of child JVMs' addresses ({@link ChildPorts#addressOf()}), then
     * binds the public port. Every router starts this way: {@code builder()...build().start()}.
     *
     * @return this router
     * @throws IllegalStateException when {@code addressOf} reads a {@link ChildPorts} no launcher was configured with
     * @throws Exception             when the port cannot be bound
     */
    public ProxyRouter start() throws Exception {
        ChildPorts.requireWired(addressOf);
        server.start();
        return this;
    }

    /** @return the public port, once started */
    public int port() {
        return connector.getLocalPort();
    }

    /** @return the public address's host */
    public String host() {
        return connector.getHost();
    }

    /** @return the ids of the attached instances, in attach order */
    public List<String> attached() {
        List<String> ids = new ArrayList<>();
        for (Backend backend : backends) {
            ids.add(backend.id);
        }
        return ids;
    }

    /**
     * @param instanceId an attached instance's id
     * @return requests the router has in flight to it now; 0 when not attached
     */
    public long inFlight(String instanceId) {
        for (Backend backend : backends) {
            if (backend.id.equals(instanceId)) {
                return backend.inFlight.get();
            }
        }
        return 0;
    }

    /**
     * {@inheritDoc}
     *
     * <p>Completes at once: the next request may go to the instance. Attaching an attached instance is a no-op.
     *
     * @throws IllegalArgumentException (in the stage) when the instance's address cannot be found
     */
    @Override
    public CompletionStage<Void> attach(Lifecycle instance) {
        Objects.requireNonNull(instance, "instance must not be null");
        InetSocketAddress address;
        try {
            address = Objects.requireNonNull(addressOf.apply(instance), "address of " + instance.id());
        } catch (RuntimeException e) {
            return CompletableFuture.failedFuture(e);
        }
        synchronized (this) {
            for (Backend backend : backends) {
                if (backend.id.equals(instance.id())) {
                    return CompletableFuture.completedFuture(null);
                }
            }
            // A re-admitted instance (its replacement failed after the cut-over) takes back its detached backend
            // while requests the router sent it are still running: a second backend for the same address would
            // let the first one, once its last request ends, close the pooled connections both share.
            Backend backend = detachedBackends.remove(instance.id());
            if (backend == null || !backend.readmit(address)) {
                backend = new Backend(instance.id(), address.getHostString(), address.getPort());
            }
            Backend[] current = backends;
            Backend[] next = Arrays.copyOf(current, current.length + 1);
            next[current.length] = backend;
            backends = next;
        }
        LOG.info("attached instance '{}' at {}", instance.id(), Addresses.text(address));
        return CompletableFuture.completedFuture(null);
    }

    /**
     * {@inheritDoc}
     *
     * <p>The instance gets no new request from the moment this is called, and the stage completes at once: the swap
     * of the backend array is the confirmation. The requests the router has already sent to it go on: see
     * {@link #settled}.
     */
    @Override
    public CompletionStage<Void> detach(Lifecycle instance) {
        Objects.requireNonNull(instance, "instance must not be null");
        Backend detached = null;
        synchronized (this) {
            Backend[] current = backends;
            List<Backend> kept = new ArrayList<>(current.length);
            for (Backend backend : current) {
                if (backend.id.equals(instance.id())) {
                    detached = backend;
                } else {
                    kept.add(backend);
                }
            }
            if (detached == null) {
                return CompletableFuture.completedFuture(null);
            }
            detached.detached = true;
            backends = kept.toArray(NONE);
            detachedBackends.put(detached.id, detached);
        }
        LOG.info("detaching instance '{}': {} request(s) in flight through the router", instance.id(),
                detached.inFlight.get());
        detached.idleIfDrained();
        return CompletableFuture.completedFuture(null);
    }

    /**
     * {@inheritDoc}
     *
     * <p>Completes when the last request the router had sent to the detached instance has been answered and the
     * pooled connections to it are closed, or after the builder's
     * {@link Builder#detachSettleTimeout(Duration) detachSettleTimeout}, whichever comes first. Waiting for them
     * matters: a request that picked the instance just before the detach may still be on its way, on a new
     * connection the instance has not seen yet, and the instance's drain must not complete before it arrives. The
     * bound matters too: a request that never ends must meet the drain deadline (and be abandoned there), not hold
     * the hand-over.
     */
    @Override
    public CompletionStage<Void> settled(Lifecycle instance) {
        Objects.requireNonNull(instance, "instance must not be null");
        Backend backend;
        synchronized (this) {
            backend = detachedBackends.get(instance.id());
        }
        if (backend == null) {
            return CompletableFuture.completedFuture(null);
        }
        return backend.gone.copy().completeOnTimeout(null, detachSettleTimeoutMillis, TimeUnit.MILLISECONDS)
                .handle((settled, failure) -> null);
    }

    /** @return how many detached instances the router still holds, for a re-admission or their last requests */
    synchronized int detachedBackendsHeld() {
        return detachedBackends.size();
    }

    /**
     * Stops the front door: the public port closes. Idempotent.
     *
     * @throws IllegalStateException when Jetty fails to stop (the cause attached)
     */
    @Override
    public void close() {
        try {
            server.stop();
        } catch (Exception e) {
            throw new IllegalStateException("front door on port " + port() + " failed to stop", e);
        }
    }

    private Backend acquire() {
        Backend[] current = backends;
        while (current.length > 0) {
            Backend backend = current[Math.floorMod(nextBackend.getAndIncrement(), current.length)];
            backend.inFlight.incrementAndGet();
            if (!backend.detached) {
                return backend;
            }
            backend.release();
            current = backends;
        }
        return null;
    }

    /**
     * A backend that could not read a request answers it with one of {@link #CLOSING_STATUSES} and closes the
     * connection, often without saying so; pooled, that connection would fail another client's next request with a
     * 502. The client pools a connection unless its response says {@code Connection: close}, so the response gets
     * one (a hop-by-hop header: the proxy does not pass it on to the client).
     */
    private static void closeAfterUnreadableRequest(org.eclipse.jetty.client.Response response) {
        if (CLOSING_STATUSES.contains(response.getStatus()) && response instanceof HttpResponse closing) {
            closing.headers(headers -> headers.put(HttpHeader.CONNECTION, HttpHeaderValue.CLOSE.asString()));
        }
    }

    /**
     * Drops a detached backend whose requests have settled: it can no longer be taken back (its connections are
     * closed), so holding it would only grow the map with every swap.
     */
    private synchronized void forget(Backend backend) {
        detachedBackends.remove(backend.id, backend);
    }

    private void removeDestinations(Backend backend) {
        for (Destination destination : client.getDestinations()) {
            if (destination.getOrigin().getAddress().getPort() == backend.port
                    && destination.getOrigin().getAddress().getHost().equals(backend.host)) {
                client.removeDestination(destination);
                if (destination instanceof LifeCycle lifeCycle) {
                    LifeCycle.stop(lifeCycle);
                }
            }
        }
    }

    /** One attached instance and the requests the router has in flight to it. */
    private final class Backend {
        final String id;
        final String host;
        final int port;
        final AtomicLong inFlight = new AtomicLong();
        final CompletableFuture<Void> gone = new CompletableFuture<>();
        volatile boolean detached;

        Backend(String id, String host, int port) {
            this.id = id;
            this.host = host;
            this.port = port;
        }

        void release() {
            if (inFlight.decrementAndGet() == 0 && detached) {
                idleIfDrained();
            }
        }

        /**
         * Takes a detached backend back (re-admission), unless its connections are already closed.
         *
         * @param address the instance's address now
         * @return whether it was taken back; if not, the caller makes a new backend
         */
        synchronized boolean readmit(InetSocketAddress address) {
            if (gone.isDone() || address.getPort() != port || !address.getHostString().equals(host)) {
                return false;
            }
            detached = false;
            return true;
        }

        void idleIfDrained() {
            if (!detached || inFlight.get() != 0 || gone.isDone()) {
                return;
            }
            synchronized (this) {
                // Checked again under the lock that readmit takes: a backend taken back keeps its connections.
                if (!detached || inFlight.get() != 0 || gone.isDone()) {
                    return;
                }
                try {
                    removeDestinations(this);
                    gone.complete(null);
                    LOG.info("detached instance '{}': no request in flight, connections closed", id);
                } catch (RuntimeException e) {
                    gone.completeExceptionally(e);
                }
            }
            // Outside this backend's lock: attach takes the router's lock, then this one (readmit).
            forget(this);
        }
    }

    /** The proxy: picks and counts a backend per request, rewrites the URI to it. */
    private final class RoutingHandler extends ProxyHandler {
        @Override
        public boolean handle(Request request, Response response, Callback callback) {
            if (HttpMethod.CONNECT.is(request.getMethod())) {
                // A tunnel is not the front door's job, and a backend answers it 400 and closes the connection.
                response.getHeaders().put(HttpHeader.ALLOW, ALLOWED_METHODS);
                Response.writeError(request, response, callback, HttpStatus.METHOD_NOT_ALLOWED_405,
                        "CONNECT is not supported by the front door");
                return true;
            }
            Backend backend = acquire();
            if (backend == null) {
                Response.writeError(request, response, callback, HttpStatus.SERVICE_UNAVAILABLE_503,
                        "no instance attached");
                return true;
            }
            request.setAttribute(BACKEND_ATTRIBUTE, backend);
            Releasing releasing = new Releasing(callback, backend);
            boolean handled;
            try {
                handled = super.handle(request, response, releasing);
            } catch (RuntimeException | Error e) {
                releasing.release();
                throw e;
            }
            if (!handled) {
                releasing.release();
            }
            return handled;
        }

        /**
         * The proxied request waits for the backend's answer as long as the request idle timeout, not the pooled
         * connections' idle timeout (which the client would otherwise apply to it, cutting a slow request with a
         * 504 after a short idle time).
         */
        @Override
        protected org.eclipse.jetty.client.Request newProxyToServerRequest(Request clientToProxyRequest,
                                                                           HttpURI newHttpURI) {
            return super.newProxyToServerRequest(clientToProxyRequest, newHttpURI)
                    .idleTimeout(requestIdleTimeoutMillis, TimeUnit.MILLISECONDS)
                    .onResponseHeaders(ProxyRouter::closeAfterUnreadableRequest);
        }

        /**
         * Drops the client's forwarding headers unless it is a trusted proxy, then adds the connection's: Jetty's
         * {@code Via} and RFC 7239 {@code Forwarded} (appended to a trusted proxy's), {@code X-Forwarded-For}
         * (likewise), and {@code X-Forwarded-Proto} and {@code X-Forwarded-Host} unless a trusted proxy set them.
         */
        @Override
        protected void addProxyHeaders(Request clientToProxyRequest,
                                       org.eclipse.jetty.client.Request proxyToServerRequest) {
            boolean trusted = trustedProxies.contains(remoteAddress(clientToProxyRequest));
            if (!trusted) {
                proxyToServerRequest.headers(headers -> FORWARDING_HEADERS.forEach(headers::remove));
            }
            super.addProxyHeaders(clientToProxyRequest, proxyToServerRequest);
            String clientAddress = Request.getRemoteAddr(clientToProxyRequest);
            String host = clientToProxyRequest.getHeaders().get(HttpHeader.HOST);
            String proto = clientToProxyRequest.isSecure() ? "https" : "http";
            proxyToServerRequest.headers(headers -> {
                String forwardedFor = headers.get(HttpHeader.X_FORWARDED_FOR);
                headers.put(HttpHeader.X_FORWARDED_FOR,
                        forwardedFor == null ? clientAddress : forwardedFor + ", " + clientAddress);
                if (!headers.contains(HttpHeader.X_FORWARDED_PROTO)) {
                    headers.put(HttpHeader.X_FORWARDED_PROTO, proto);
                }
                if (host != null && !headers.contains(HttpHeader.X_FORWARDED_HOST)) {
                    headers.put(HttpHeader.X_FORWARDED_HOST, host);
                }
            });
        }

        private static String remoteAddress(Request request) {
            return request.getConnectionMetaData().getRemoteSocketAddress() instanceof InetSocketAddress remote
                    && remote.getAddress() != null ? remote.getAddress().getHostAddress() : null;
        }

        @Override
        protected HttpURI rewriteHttpURI(Request request) {
            Backend backend = (Backend) request.getAttribute(BACKEND_ATTRIBUTE);
            return HttpURI.build(request.getHttpURI()).scheme("http").host(backend.host).port(backend.port);
        }
    }

    /** Releases the backend's count exactly once when the proxied exchange completes. */
    private static final class Releasing extends ReleasingCallback {
        private final Backend backend;

        Releasing(Callback delegate, Backend backend) {
            super(delegate);
            this.backend = backend;
        }

        @Override
        protected void onRelease() {
            backend.release();
        }
    }

    /** Configures a {@link ProxyRouter}. Each value is validated as it is set. Not thread-safe. */
    public static final class Builder {
        private String host = "127.0.0.1";
        private int port;
        private int maxThreads = 200;
        private int maxConnectionsPerBackend = 256;
        private long backendIdleTimeoutMillis = 15_000;
        private long detachSettleTimeoutMillis = 5_000;
        private long requestIdleTimeoutMillis = 60_000;
        private Function<Lifecycle, InetSocketAddress> addressOf = Builder::jettyAddress;
        private Set<String> trustedProxies = Set.of();

        private Builder() {
        }

        private static InetSocketAddress jettyAddress(Lifecycle instance) {
            if (instance instanceof JettyHandoff jetty) {
                return jetty.address();
            }
            throw new IllegalArgumentException("instance must be a JettyHandoff unless addressOf is configured, "
                    + "but was " + instance.getClass().getName());
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
         * @param maxThreads threads of the proxy's server pool and of its client pool, each; default 200
         * @return this builder
         * @throws IllegalArgumentException when below 8
         */
        public Builder maxThreads(int maxThreads) {
            if (maxThreads < 8) {
                throw new IllegalArgumentException("maxThreads must be >= 8, but was " + maxThreads);
            }
            this.maxThreads = maxThreads;
            return this;
        }

        /**
         * @param max pooled connections to each backend; default 256
         * @return this builder
         * @throws IllegalArgumentException when not positive
         */
        public Builder maxConnectionsPerBackend(int max) {
            this.maxConnectionsPerBackend = Checks.positive("maxConnectionsPerBackend", max);
            return this;
        }

        /**
         * @param timeout how long a pooled connection to a backend may stay idle; keep it below the instances' own
         *                idle timeout (Jetty's default is 30 s), so that the proxy, not the backend, closes idle
         *                connections and never sends a request on one the backend is closing; default 15 s
         * @return this builder
         * @throws IllegalArgumentException when not positive
         */
        public Builder backendIdleTimeout(Duration timeout) {
            Checks.positive("backendIdleTimeout", timeout);
            this.backendIdleTimeoutMillis = timeout.toMillis();
            return this;
        }

        /**
         * @param timeout how long a proxied request may wait with no byte from the backend before the front door
         *                answers 504 (a slow request's whole server time, when it sends nothing until done); it
         *                replaces, for the time of a request, the pooled connection's
         *                {@link #backendIdleTimeout(Duration) idle timeout}; default 60 s
         * @return this builder
         * @throws IllegalArgumentException when not positive
         */
        public Builder requestIdleTimeout(Duration timeout) {
            Checks.positive("requestIdleTimeout", timeout);
            this.requestIdleTimeoutMillis = timeout.toMillis();
            return this;
        }

        /**
         * @param timeout the longest {@link ProxyRouter#settled settled} waits, after a detach, for the requests
         *                already sent to the instance to be answered; keep it below the orchestrator's detach
         *                timeout, which also bounds it; default 5 s
         * @return this builder
         * @throws IllegalArgumentException when not positive
         */
        public Builder detachSettleTimeout(Duration timeout) {
            Checks.positive("detachSettleTimeout", timeout);
            this.detachSettleTimeoutMillis = timeout.toMillis();
            return this;
        }

        /**
         * @param addressOf finds an instance's HTTP address; default {@link JettyHandoff#address()}
         * @return this builder
         */
        public Builder addressOf(Function<Lifecycle, InetSocketAddress> addressOf) {
            this.addressOf = Objects.requireNonNull(addressOf, "addressOf must not be null");
            return this;
        }

        /**
         * Declares the proxies in front of the front door. A request that comes from one of these addresses keeps
         * the forwarding headers it carries ({@code Forwarded}, {@code X-Forwarded-For}, {@code -Host},
         * {@code -Proto}, {@code -Port}, {@code -Server}, {@code X-Real-IP}), and the front door appends the
         * connection's own values to {@code Forwarded} and {@code X-Forwarded-For}; from any other address they are
         * dropped and replaced. By default none is trusted: clients cannot forge what the backend reads.
         *
         * @param addresses IP addresses as Java prints them ({@code 10.0.0.7}, {@code 0:0:0:0:0:0:0:1}), matched
         *                  exactly against the connection's remote address; default none
         * @return this builder
         * @throws NullPointerException     when {@code addresses} is null
         * @throws IllegalArgumentException when it holds a null or blank address
         */
        public Builder trustedProxies(Set<String> addresses) {
            Objects.requireNonNull(addresses, "trustedProxies must not be null");
            for (String address : addresses) {
                if (address == null || address.isBlank()) {
                    throw new IllegalArgumentException("trustedProxies must hold IP addresses, but held '"
                            + address + "'");
                }
            }
            this.trustedProxies = Set.copyOf(addresses);
            return this;
        }

        /** @return a router, not started */
        public ProxyRouter build() {
            return new ProxyRouter(this);
        }
    }
}
