package dev.handoff.jetty;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import dev.handoff.api.LifecycleState;
import dev.handoff.core.process.GracefulTermination;

import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import org.eclipse.jetty.server.Server;
import org.eclipse.jetty.server.ServerConnector;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * Wiring as a new user writes it, in the "wrong" order too: the handler is in front of the application whatever
 * the order, the management port serves nothing but the probes, and a broken chain refuses to start.
 */
class JettyWiringTest {

    private final TestApp app = new TestApp("app");
    private Server server;

    @AfterEach
    void stopServer() throws Exception {
        app.releaseHeld();
        if (server != null) {
            server.stop();
        }
    }

    private static Server serverWithoutHandler() {
        TestApp placeholder = new TestApp("placeholder");
        Server server = TestApp.server(placeholder);
        server.setHandler((org.eclipse.jetty.server.Handler) null);
        ServerConnector connector = new ServerConnector(server, 0, 1);
        connector.setHost("127.0.0.1");
        server.addConnector(connector);
        return server;
    }

    private int appPort() {
        return ((ServerConnector) server.getConnectors()[0]).getLocalPort();
    }

    @Test
    void installBeforeSetHandlerStillCountsEveryRequestAndTheManagementPortServesOnlyProbes() throws Exception {
        // given: install() first, the application's handler set afterwards
        server = serverWithoutHandler();
        JettyHandoff handoff = JettyHandoff.builder(server).id("app").managementPort(0).install();
        server.setHandler(app);
        server.start();
        int management = handoff.managementConnector().orElseThrow().getLocalPort();

        // then: the management port answers the probes, and nothing of the application
        try (RawHttpConnection probe = new RawHttpConnection(management)) {
            RawHttpConnection.Reply ready = probe.get("/ready");
            assertThat(ready.status()).isEqualTo(200);
            assertThat(ready.body()).isEqualTo("{\"status\":\"UP\",\"state\":\"READY\"}");
        }
        try (RawHttpConnection probe = new RawHttpConnection(management)) {
            RawHttpConnection.Reply other = probe.get("/fast");
            assertThat(other.status()).isEqualTo(404);
            assertThat(other.body()).doesNotContain("app");
        }

        // and: a request to the application is counted, so the drain waits for it
        CompletableFuture<RawHttpConnection.Reply> held = CompletableFuture.supplyAsync(() -> {
            try (RawHttpConnection connection = new RawHttpConnection(appPort())) {
                return connection.get("/hold");
            } catch (java.io.IOException e) {
                throw new java.io.UncheckedIOException(e);
            }
        });
        assertThat(app.held.await(10, TimeUnit.SECONDS)).isTrue();
        assertThat(handoff.inFlight()).isEqualTo(1);
        CompletableFuture<Void> drained = handoff.drain().toCompletableFuture();
        assertThat(drained).isNotDone();
        app.releaseHeld();
        assertThat(held.get(10, TimeUnit.SECONDS).status()).isEqualTo(200);
        drained.get(10, TimeUnit.SECONDS);
        assertThat(handoff.state()).isEqualTo(LifecycleState.DRAINED);
    }

    @Test
    void aServerWhoseHandlerWasReplacedAfterItsFirstStartRefusesToStart() throws Exception {
        server = serverWithoutHandler();
        server.setHandler(app);
        JettyHandoff.builder(server).id("app").install();
        server.start();
        server.stop();

        server.setHandler(new TestApp("replacement"));

        assertThatThrownBy(server::start)
                .isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("instance 'app': the HandoffHandler")
                .hasMessageContaining("is no longer in the server's handler chain");
        server = null;
    }

    @Test
    void sigtermThroughTheHandoffMovesKeepAliveClientsAndWaitsForTheirRequests() throws Exception {
        // given: the SIGTERM sequence built on the handoff itself, the one object every path drives
        server = serverWithoutHandler();
        server.setHandler(app);
        JettyHandoff handoff = JettyHandoff.builder(server).id("app")
                .idleConnectionThreshold(Duration.ofSeconds(30)).install();
        server.start();
        GracefulTermination termination = GracefulTermination.builder(handoff)
                .propagationDelay(Duration.ZERO).build();
        try (RawHttpConnection connection = new RawHttpConnection(appPort())) {
            assertThat(connection.get("/fast").header("Connection")).isNull();

            // when: SIGTERM's sequence runs while the client keeps its connection open
            CompletableFuture<Integer> status = CompletableFuture.supplyAsync(termination::terminate);
            await().atMost(Duration.ofSeconds(10)).until(() -> handoff.state() == LifecycleState.DRAINING);

            // then: the next response tells the client to go, and the drain ends once it has gone
            RawHttpConnection.Reply late = connection.get("/fast");
            assertThat(late.status()).isEqualTo(200);
            assertThat(late.header("Connection")).isEqualTo("close");
            assertThat(status.get(30, TimeUnit.SECONDS)).isZero();
        }
        assertThat(handoff.state()).isEqualTo(LifecycleState.DRAINED);
    }
}
