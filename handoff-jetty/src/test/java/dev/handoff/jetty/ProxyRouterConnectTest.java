package dev.handoff.jetty;

import static org.assertj.core.api.Assertions.assertThat;

import dev.handoff.api.Lifecycle;
import dev.handoff.test.sim.SimulatedInstance;
import dev.handoff.test.sim.VirtualClock;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.eclipse.jetty.server.Handler;
import org.eclipse.jetty.server.Request;
import org.eclipse.jetty.server.Response;
import org.eclipse.jetty.server.Server;
import org.eclipse.jetty.util.Callback;
import org.junit.jupiter.api.Test;

/**
 * The front door refuses {@code CONNECT} itself. Regression: it forwarded {@code CONNECT} to the backend, which
 * answered 400 and closed the connection without saying so; the proxy put that connection back in its pool and
 * the next request, from another client, was answered 502 (10 of 60 keep-alive requests).
 */
class ProxyRouterConnectTest {

    private static final int REQUESTS = 60;

    @Test
    void givenConnectRequestsFromOneClient_whenAnotherClientSendsKeepAliveRequests_thenNoneFails() throws Exception {
        AtomicInteger connectsSeen = new AtomicInteger();
        TestApp app = new TestApp("web-1");
        JettyLauncher launcher = JettyLauncher.builder(id -> {
            Server server = TestApp.server(app);
            server.setHandler(new Handler.Wrapper(app) {
                @Override
                public boolean handle(Request request, Response response, Callback callback) throws Exception {
                    if ("CONNECT".equals(request.getMethod())) {
                        connectsSeen.incrementAndGet();
                    }
                    return super.handle(request, response, callback);
                }
            });
            return server;
        }).build();
        Lifecycle instance = launcher.launch("web-1").toCompletableFuture().get(30, TimeUnit.SECONDS);
        try (ProxyRouter proxy = ProxyRouter.builder().build().start()) {
            instance.whenReady().toCompletableFuture().get(30, TimeUnit.SECONDS);
            proxy.attach(instance).toCompletableFuture().get(10, TimeUnit.SECONDS);
            List<String> failures = new ArrayList<>();
            List<Integer> connectStatuses = new ArrayList<>();

            try (RawHttpConnection keepAlive = new RawHttpConnection(proxy.port())) {
                for (int i = 0; i < REQUESTS; i++) {
                    if (i % 3 == 0) {
                        connectStatuses.add(connect(proxy.port()));
                    }
                    RawHttpConnection.Reply reply = keepAlive.get("/fast");
                    if (reply.status() != 200) {
                        failures.add("request " + i + ": " + reply.status());
                    }
                }
            }

            assertThat(failures).as("the keep-alive client's failed requests").isEmpty();
            assertThat(connectStatuses).as("CONNECT answered by the front door").hasSize(REQUESTS / 3)
                    .allMatch(status -> status == 405);
            assertThat(connectsSeen).as("CONNECT requests the backend received").hasValue(0);
        } finally {
            instance.destroy().toCompletableFuture().get(30, TimeUnit.SECONDS);
        }
    }

    /**
     * The backend answers one client's unreadable request with 400 and closes the connection without saying so:
     * the proxy must not put that connection back in its pool, where another client's request would find it dead.
     */
    @Test
    void givenABackendThatClosesAfterA400_whenAnotherClientSendsKeepAliveRequests_thenNoneFails() throws Exception {
        try (RawHttpBackend backend = new RawHttpBackend();
             ProxyRouter proxy = ProxyRouter.builder().addressOf(instance -> backend.address()).build().start()) {
            proxy.attach(SimulatedInstance.running("raw-1", new VirtualClock())).toCompletableFuture()
                    .get(10, TimeUnit.SECONDS);
            List<String> failures = new ArrayList<>();
            List<Integer> badStatuses = new ArrayList<>();

            try (RawHttpConnection keepAlive = new RawHttpConnection(proxy.port())) {
                for (int i = 0; i < REQUESTS; i++) {
                    if (i % 3 == 0) {
                        try (RawHttpConnection other = new RawHttpConnection(proxy.port())) {
                            badStatuses.add(other.get("/bad").status());
                        }
                    }
                    RawHttpConnection.Reply reply = keepAlive.get("/fast");
                    if (reply.status() != 200) {
                        failures.add("request " + i + ": " + reply.status());
                    }
                }
            }

            assertThat(failures).as("the keep-alive client's failed requests").isEmpty();
            assertThat(badStatuses).as("the backend's 400s, passed on").hasSize(REQUESTS / 3)
                    .allMatch(status -> status == 400);
        }
    }

    private static int connect(int port) throws IOException {
        try (RawHttpConnection connection = new RawHttpConnection(port)) {
            return connection.send("CONNECT example.com:443 HTTP/1.1\r\nHost: example.com:443\r\n\r\n").status();
        }
    }
}
