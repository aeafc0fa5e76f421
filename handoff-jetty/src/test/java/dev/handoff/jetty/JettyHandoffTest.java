package dev.handoff.jetty;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import dev.handoff.api.LifecycleState;
import dev.handoff.core.HandoffMetrics;
import dev.handoff.core.InFlightTracker;

import io.micrometer.core.instrument.Tags;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;

import java.io.InputStream;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;

import org.eclipse.jetty.client.CompletableResponseListener;
import org.eclipse.jetty.client.ContentResponse;
import org.eclipse.jetty.http.HttpVersion;
import org.eclipse.jetty.http2.client.HTTP2Client;
import org.eclipse.jetty.http2.client.transport.HttpClientTransportOverHTTP2;
import org.eclipse.jetty.http2.server.HTTP2CServerConnectionFactory;
import org.eclipse.jetty.io.EndPoint;
import org.eclipse.jetty.server.HttpConfiguration;
import org.eclipse.jetty.server.HttpConnectionFactory;
import org.eclipse.jetty.server.Handler;
import org.eclipse.jetty.server.Request;
import org.eclipse.jetty.server.Response;
import org.eclipse.jetty.server.Server;
import org.eclipse.jetty.server.ServerConnector;
import org.junit.jupiter.api.AfterEach;
import org.eclipse.jetty.util.Callback;
import org.junit.jupiter.api.Test;

/** The application side on one real server: counting, never a 503, late requests, probes, builder checks. */
class JettyHandoffTest {

    private final TestApp app = new TestApp("app");
    private Server server;

    @AfterEach
    void stopServer() throws Exception {
        app.releaseHeld();
        app.releaseLong();
        if (server != null) {
            server.stop();
        }
    }

    private JettyHandoff start(java.util.function.Consumer<JettyHandoff.Builder> configuration) throws Exception {
        server = TestApp.server(app);
        ServerConnector connector = new ServerConnector(server, 0, 1);
        connector.setHost("127.0.0.1");
        server.addConnector(connector);
        JettyHandoff.Builder builder = JettyHandoff.builder(server).id("app");
        configuration.accept(builder);
        JettyHandoff handoff = builder.install();
        server.start();
        return handoff;
    }

    /** Starts the server with one connector that speaks HTTP/1.1 and h2c, idle HTTP/1 connections left alone. */
    private JettyHandoff startWithHttp2() throws Exception {
        return startWithHttp2(Duration.ofSeconds(30));
    }

    /**
     * @param threshold the idle threshold: also how long an HTTP/2 connection with open streams waits for its
     *                  GOAWAY after stop-accepting
     */
    private JettyHandoff startWithHttp2(Duration threshold) throws Exception {
        server = TestApp.server(app);
        HttpConfiguration configuration = new HttpConfiguration();
        ServerConnector connector = new ServerConnector(server, 0, 1, new HttpConnectionFactory(configuration),
                new HTTP2CServerConnectionFactory(configuration));
        connector.setHost("127.0.0.1");
        server.addConnector(connector);
        JettyHandoff handoff = JettyHandoff.builder(server).idleConnectionThreshold(threshold).install();
        server.start();
        return handoff;
    }

    private int appPort() {
        return ((ServerConnector) server.getConnectors()[0]).getLocalPort();
    }

    @Test
    void anAsyncRequestIsCountedUntilItsResponseCompletes() throws Exception {
        JettyHandoff handoff = start(builder -> { });
        try (RawHttpConnection connection = new RawHttpConnection(appPort())) {
            CompletableFuture<RawHttpConnection.Reply> reply = CompletableFuture.supplyAsync(() -> {
                try {
                    return connection.get("/hold");
                } catch (java.io.IOException e) {
                    throw new IllegalStateException(e);
                }
            });
            assertThat(app.held.await(10, TimeUnit.SECONDS)).isTrue();
            assertThat(handoff.inFlight()).isEqualTo(1);

            app.releaseHeld();

            assertThat(reply.get(10, TimeUnit.SECONDS).status()).isEqualTo(200);
            await().atMost(Duration.ofSeconds(5)).until(() -> handoff.inFlight() == 0);
        }
    }

    @Test
    void aStreamedResponseIsCountedUntilItsLastPartIsWritten() throws Exception {
        JettyHandoff handoff = start(builder -> { });
        try (Socket socket = new Socket("127.0.0.1", appPort())) {
            socket.setSoTimeout(10_000);
            socket.getOutputStream().write("GET /stream HTTP/1.1\r\nHost: localhost\r\n\r\n"
                    .getBytes(StandardCharsets.US_ASCII));
            InputStream in = socket.getInputStream();

            String firstPart = readUntil(in, "part-1;");
            assertThat(firstPart).startsWith("HTTP/1.1 200").contains("Transfer-Encoding: chunked");
            assertThat(handoff.inFlight()).as("response started, not complete").isEqualTo(1);

            app.releaseHeld();

            readUntil(in, "part-2\r\n0\r\n\r\n");
            await().atMost(Duration.ofSeconds(5)).until(() -> handoff.inFlight() == 0);
        }
    }

    /** @return what was read, up to and including {@code end}; fails on EOF or the socket's timeout */
    private static String readUntil(InputStream in, String end) throws java.io.IOException {
        StringBuilder read = new StringBuilder();
        while (read.indexOf(end) < 0) {
            int next = in.read();
            if (next == -1) {
                throw new java.io.EOFException("connection closed before '" + end + "'; read: " + read);
            }
            read.append((char) next);
        }
        return read.toString();
    }

    @Test
    void aRequestIsReleasedWhenTheApplicationThrowsOrDoesNotHandleIt() throws Exception {
        server = new Server();
        ServerConnector connector = new ServerConnector(server, 0, 1);
        connector.setHost("127.0.0.1");
        server.addConnector(connector);
        server.setHandler(new Handler.Abstract() {
            @Override
            public boolean handle(Request request, Response response, Callback callback) {
                if ("/throw".equals(Request.getPathInContext(request))) {
                    throw new IllegalStateException("application failure (expected by the test)");
                }
                return false;
            }
        });
        JettyHandoff handoff = JettyHandoff.builder(server).install();
        server.start();
        try (RawHttpConnection connection = new RawHttpConnection(connector.getLocalPort())) {
            assertThat(connection.get("/throw").status()).isEqualTo(500);
            assertThat(connection.get("/unhandled").status()).isEqualTo(404);
        }
        assertThat(handoff.inFlight()).isZero();
        handoff.drain().toCompletableFuture().get(10, TimeUnit.SECONDS);
    }

    @Test
    void whileDrainingResponsesCarryConnectionCloseAndAreNeverRefused() throws Exception {
        JettyHandoff handoff = start(builder -> builder.idleConnectionThreshold(Duration.ofSeconds(30)));
        try (RawHttpConnection connection = new RawHttpConnection(appPort())) {
            RawHttpConnection.Reply before = connection.get("/fast");
            assertThat(before.status()).isEqualTo(200);
            assertThat(before.header("Connection")).isNull();

            handoff.stopAccepting();
            RawHttpConnection.Reply during = connection.get("/fast");

            assertThat(during.status()).isEqualTo(200);
            assertThat(during.header("Connection")).isEqualTo("close");
            assertThat(connection.closedByServer()).isTrue();
        }
    }

    @Test
    void aLateRequestOnAKeepAliveConnectionIsServedAndTheDrainWaitsForIt() throws Exception {
        JettyHandoff handoff = start(builder -> builder.idleConnectionThreshold(Duration.ofSeconds(30)));
        try (RawHttpConnection connection = new RawHttpConnection(appPort())) {
            assertThat(connection.get("/fast").status()).isEqualTo(200);

            handoff.stopAccepting();
            CompletableFuture<Void> drained = handoff.drain().toCompletableFuture();
            await().atMost(Duration.ofSeconds(5)).until(() -> intakeClosedAndIdle(handoff));
            assertThat(handoff.state()).as("drained only once no connection can bring a request")
                    .isEqualTo(LifecycleState.DRAINING);
            assertThat(drained).as("an open keep-alive connection may still bring a request").isNotDone();

            RawHttpConnection.Reply late = connection.get("/fast");

            assertThat(late.status()).isEqualTo(200);
            assertThat(late.header("Connection")).isEqualTo("close");
            assertThat(connection.closedByServer()).isTrue();
            drained.get(10, TimeUnit.SECONDS);
            assertThat(handoff.inFlight()).isZero();
        }
    }

    @Test
    void idleConnectionsAreClosedOnceIdleForTheThreshold() throws Exception {
        JettyHandoff handoff = start(builder -> builder.idleConnectionThreshold(Duration.ofMillis(50)));
        try (RawHttpConnection connection = new RawHttpConnection(appPort())) {
            assertThat(connection.get("/fast").status()).isEqualTo(200);

            handoff.stopAccepting();

            assertThat(connection.closedByServer()).isTrue();
            handoff.drain().toCompletableFuture().get(10, TimeUnit.SECONDS);
        }
    }

    @Test
    void anHttp2ConnectionGetsAGracefulGoAwayAndTheDrainCompletesWhenItCloses() throws Exception {
        JettyHandoff handoff = startWithHttp2();
        ServerConnector connector = (ServerConnector) handoff.applicationConnectors().get(0);
        HttpClient client = HttpClient.newBuilder().version(HttpClient.Version.HTTP_2).build();
        URI uri = URI.create("http://127.0.0.1:" + connector.getLocalPort() + "/fast");
        client.send(HttpRequest.newBuilder(uri).build(), HttpResponse.BodyHandlers.ofString());
        HttpResponse<String> overHttp2 = client.send(HttpRequest.newBuilder(uri).build(),
                HttpResponse.BodyHandlers.ofString());
        assertThat(overHttp2.version()).isEqualTo(HttpClient.Version.HTTP_2);
        // The server releases the request when its response completes, which may be a moment after the client
        // has read the response.
        await().atMost(Duration.ofSeconds(10)).until(() -> handoff.inFlight() == 0);

        handoff.stopAccepting();
        CompletableFuture<Void> drained = handoff.drain().toCompletableFuture();

        drained.get(10, TimeUnit.SECONDS);
        assertThat(handoff.applicationConnectors().get(0).getConnectedEndPoints()).allMatch(
                endPoint -> !endPoint.isOpen() || endPoint.isOutputShutdown());
    }

    @Test
    void anHttp2ClientFinishesItsStreamOnTheOldConnectionAndOpensANewOneAfterTheGoAway() throws Exception {
        // a held stream keeps the GOAWAY back until the threshold (200 ms) has passed: then it is sent anyway
        JettyHandoff handoff = startWithHttp2(Duration.ofMillis(200));
        ServerConnector connector = (ServerConnector) handoff.applicationConnectors().get(0);
        org.eclipse.jetty.client.HttpClient client =
                new org.eclipse.jetty.client.HttpClient(new HttpClientTransportOverHTTP2(new HTTP2Client()));
        client.start();
        try {
            String base = "http://127.0.0.1:" + connector.getLocalPort();
            ContentResponse first = client.GET(base + "/fast");
            assertThat(first.getVersion()).isEqualTo(HttpVersion.HTTP_2);
            assertThat(connector.getConnectedEndPoints()).hasSize(1);
            EndPoint oldConnection = connector.getConnectedEndPoints().iterator().next();
            CompletableFuture<ContentResponse> held = new CompletableResponseListener(
                    client.newRequest(base + "/hold").timeout(10, TimeUnit.SECONDS)).send();
            assertThat(app.held.await(10, TimeUnit.SECONDS)).isTrue();

            handoff.stopAccepting();
            // Once the client has read the GOAWAY, its pooled connection takes no new stream: the next request
            // opens a connection of its own (one sent before the GOAWAY arrived is still served on the old one),
            // while the held stream stays open on the old connection.
            await().atMost(Duration.ofSeconds(10)).until(() -> client.GET(base + "/fast").getStatus() == 200
                    && connector.getConnectedEndPoints().size() == 2);
            assertThat(oldConnection.isOpen()).isTrue();
            assertThat(held).isNotDone();

            app.releaseHeld();
            ContentResponse heldResponse = held.get(10, TimeUnit.SECONDS);
            assertThat(heldResponse.getStatus()).isEqualTo(200);
            assertThat(heldResponse.getContentAsString()).isEqualTo("app");
            // With its last stream done, the connection that got the GOAWAY closes.
            await().atMost(Duration.ofSeconds(10)).until(() -> !oldConnection.isOpen());
        } finally {
            client.stop();
        }
        handoff.drain().toCompletableFuture().get(10, TimeUnit.SECONDS);
    }

    @Test
    void twoStreamsOpenAtTheGoAwayBothFinishOnTheOldConnectionWithJettysClient() throws Exception {
        // Issue 13: after a graceful GOAWAY, when the second-to-last stream of the old connection completed,
        // Jetty's HttpClient reset the last one (ClosedChannelException) although the server was still serving it.
        JettyHandoff handoff = startWithHttp2();
        ServerConnector connector = (ServerConnector) handoff.applicationConnectors().get(0);
        org.eclipse.jetty.client.HttpClient client =
                new org.eclipse.jetty.client.HttpClient(new HttpClientTransportOverHTTP2(new HTTP2Client()));
        client.start();
        try {
            String base = "http://127.0.0.1:" + connector.getLocalPort();
            assertThat(client.GET(base + "/fast").getVersion()).isEqualTo(HttpVersion.HTTP_2);
            CompletableFuture<ContentResponse> shorter = new CompletableResponseListener(
                    client.newRequest(base + "/hold").timeout(10, TimeUnit.SECONDS)).send();
            CompletableFuture<ContentResponse> longer = new CompletableResponseListener(
                    client.newRequest(base + "/hold-long").timeout(10, TimeUnit.SECONDS)).send();
            assertThat(app.held.await(10, TimeUnit.SECONDS)).isTrue();
            assertThat(app.longHeld.await(10, TimeUnit.SECONDS)).isTrue();
            assertThat(connector.getConnectedEndPoints()).as("both streams on one connection").hasSize(1);
            EndPoint oldConnection = connector.getConnectedEndPoints().iterator().next();

            handoff.stopAccepting();
            app.releaseHeld();
            assertThat(shorter.get(10, TimeUnit.SECONDS).getStatus()).isEqualTo(200);
            assertThat(longer).as("the longer stream is still served after the shorter one ended").isNotDone();
            app.releaseLong();
            ContentResponse longResponse = longer.get(10, TimeUnit.SECONDS);
            assertThat(longResponse.getStatus()).isEqualTo(200);
            assertThat(longResponse.getContentAsString()).isEqualTo("app");

            // with no stream left, the old connection gets its GOAWAY: the next requests open a new connection,
            // and the old one closes. (A request the client puts on the old session in the instant its GOAWAY
            // arrives fails in the client, "session closed", before anything is sent: the documented limit of
            // Jetty's client straight to an instance, docs/upstream/jetty-h2-goaway.md; it failed CI once.)
            await().atMost(Duration.ofSeconds(10)).ignoreExceptionsMatching(JettyHandoffTest::sessionClosedInClient)
                    .until(() -> client.GET(base + "/fast").getStatus() == 200 && !oldConnection.isOpen());
        } finally {
            client.stop();
        }
        handoff.drain().toCompletableFuture().get(10, TimeUnit.SECONDS);
    }

    private static boolean sessionClosedInClient(Throwable failure) {
        return failure instanceof ExecutionException
                && failure.getCause() instanceof IllegalStateException closed
                && "session closed".equals(closed.getMessage());
    }

    @Test
    void theGaugesShowRequestsLateRequestsOpenConnectionsAndStateUntilClosed() throws Exception {
        JettyHandoff handoff = start(builder -> builder.idleConnectionThreshold(Duration.ofSeconds(30)));
        SimpleMeterRegistry registry = new SimpleMeterRegistry();
        JettyHandoffMetrics metrics = new JettyHandoffMetrics(handoff, Tags.of("version", "v2"));
        metrics.bindTo(registry);
        try (RawHttpConnection connection = new RawHttpConnection(appPort())) {
            assertThat(connection.get("/fast").status()).isEqualTo(200);
            await().atMost(Duration.ofSeconds(10)).until(() -> handoff.inFlight() == 0);
            assertThat(gauge(registry, HandoffMetrics.IN_FLIGHT, "tracker", "requests")).isZero();
            assertThat(gauge(registry, HandoffMetrics.IN_FLIGHT, "tracker", "late-requests")).isZero();
            assertThat(gauge(registry, HandoffMetrics.JETTY_CONNECTIONS_OPEN, "instance", "app")).isEqualTo(1);
            assertThat(gauge(registry, HandoffMetrics.LIFECYCLE_STATE, "state", "ready")).isEqualTo(1);

            handoff.stopAccepting();
            CompletableFuture<Void> drained = handoff.drain().toCompletableFuture();
            await().atMost(Duration.ofSeconds(5)).until(() -> intakeClosedAndIdle(handoff));
            assertThat(handoff.state()).as("drained only once no connection can bring a request")
                    .isEqualTo(LifecycleState.DRAINING);
            CompletableFuture<RawHttpConnection.Reply> late = CompletableFuture.supplyAsync(() -> {
                try {
                    return connection.get("/hold");
                } catch (java.io.IOException e) {
                    throw new java.io.UncheckedIOException(e);
                }
            });
            assertThat(app.held.await(10, TimeUnit.SECONDS)).isTrue();

            assertThat(gauge(registry, HandoffMetrics.IN_FLIGHT, "tracker", "late-requests")).isEqualTo(1);
            assertThat(gauge(registry, HandoffMetrics.JETTY_CONNECTIONS_OPEN, "instance", "app")).isEqualTo(1);
            assertThat(gauge(registry, HandoffMetrics.LIFECYCLE_STATE, "state", "draining")).isEqualTo(1);
            assertThat(drained).isNotDone();

            app.releaseHeld();
            assertThat(late.get(10, TimeUnit.SECONDS).status()).isEqualTo(200);
            drained.get(10, TimeUnit.SECONDS);
            assertThat(gauge(registry, HandoffMetrics.IN_FLIGHT, "tracker", "late-requests")).isZero();
            assertThat(gauge(registry, HandoffMetrics.JETTY_CONNECTIONS_OPEN, "instance", "app")).isZero();
        }
        assertThat(registry.find(HandoffMetrics.JETTY_CONNECTIONS_OPEN).tag("version", "v2").gauge()).isNotNull();

        metrics.close();

        assertThat(registry.getMeters()).isEmpty();
    }

    private static double gauge(SimpleMeterRegistry registry, String name, String tag, String value) {
        return registry.get(name).tag(tag, value).tag("instance", "app").gauge().value();
    }

    @Test
    void probesAnswerOnTheManagementConnectorOnlyByDefault() throws Exception {
        JettyHandoff handoff = start(builder -> builder.managementPort(0));
        int management = handoff.managementConnector().orElseThrow().getLocalPort();
        assertThat(handoff.managementConnector().orElseThrow().getHost()).isEqualTo("127.0.0.1");
        try (RawHttpConnection probes = new RawHttpConnection(management);
             RawHttpConnection application = new RawHttpConnection(appPort())) {
            RawHttpConnection.Reply ready = probes.get("/ready");
            assertThat(ready.status()).isEqualTo(200);
            assertThat(ready.body()).isEqualTo("{\"status\":\"UP\",\"state\":\"READY\"}");
            assertThat(probes.get("/live").status()).isEqualTo(200);
            assertThat(probes.get("/fast").status()).isEqualTo(404);
            assertThat(application.get("/ready").body()).isEqualTo("app");

            handoff.stopAccepting();

            RawHttpConnection.Reply draining = probes.get("/ready");
            assertThat(draining.status()).isEqualTo(503);
            assertThat(draining.body()).isEqualTo("{\"status\":\"DOWN\",\"state\":\"DRAINING\"}");
            assertThat(probes.get("/live").status()).isEqualTo(200);
        }
    }

    @Test
    void probesCanBeServedOnTheApplicationConnectorWithCustomPaths() throws Exception {
        start(builder -> builder.probesOnApplicationConnectors(true).readinessPath("/health/ready")
                .livenessPath("/health/live"));
        try (RawHttpConnection application = new RawHttpConnection(appPort())) {
            assertThat(application.get("/health/ready").body()).isEqualTo("{\"status\":\"UP\",\"state\":\"READY\"}");
            assertThat(application.get("/health/live").status()).isEqualTo(200);
            assertThat(application.get("/ready").body()).isEqualTo("app");
        }
    }

    @Test
    void theBuilderRejectsBadValuesNamingTheFieldAndTheValue() throws Exception {
        JettyHandoff.Builder builder = JettyHandoff.builder(new Server());
        assertThatThrownBy(() -> builder.readinessPath("ready")).isInstanceOf(IllegalArgumentException.class)
                .hasMessage("readinessPath must start with '/', but was 'ready'");
        assertThatThrownBy(() -> builder.managementPort(70000)).isInstanceOf(IllegalArgumentException.class)
                .hasMessage("managementPort must be in 0..65535, but was 70000");
        assertThatThrownBy(() -> builder.idleConnectionThreshold(Duration.ofMillis(-1)))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("idleConnectionThreshold must be >= 0, but was PT-0.001S");
        assertThatThrownBy(() -> builder.readinessPath("/x").livenessPath("/x").install())
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("readinessPath and livenessPath must differ, but both were '/x'");

        start(configured -> { });
        assertThatThrownBy(() -> JettyHandoff.builder(server).install()).isInstanceOf(IllegalStateException.class)
                .hasMessage("server must be stopped to install handoff, but was STARTED");
    }

    /** The requests tracker is closed and empty: only a connection left open may still bring a (late) request. */
    private static boolean intakeClosedAndIdle(JettyHandoff handoff) {
        InFlightTracker requests = handoff.trackers().get(0);
        return requests.isClosed() && requests.inFlight() == 0;
    }
}
