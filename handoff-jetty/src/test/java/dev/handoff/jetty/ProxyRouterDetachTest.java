package dev.handoff.jetty;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/** What a detach does to the front door's pooled connections to an instance. */
class ProxyRouterDetachTest {

    /**
     * The old instance closes idle connections only after 30 s here, so its drain completing within the 10 s the
     * test waits shows that the front door closed its pooled connections itself, at the detach.
     */
    @Test
    void aDetachClosesThePooledConnectionsToTheInstanceSoItsDrainNeedNotWaitForThem() throws Exception {
        JettyLauncher launcher = JettyLauncher.builder(id -> TestApp.server(new TestApp(id)))
                .handoff(handoff -> handoff.idleConnectionThreshold(Duration.ofSeconds(30))).build();
        JettyHandoff instance = (JettyHandoff) launcher.launch("old-1").toCompletableFuture()
                .get(30, TimeUnit.SECONDS);
        try (ProxyRouter proxy = ProxyRouter.builder().build().start()) {
            instance.whenReady().toCompletableFuture().get(30, TimeUnit.SECONDS);
            proxy.attach(instance).toCompletableFuture().get(10, TimeUnit.SECONDS);
            HttpClient client = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
            for (int i = 0; i < 5; i++) {
                assertThat(client.send(request("http://127.0.0.1:" + proxy.port() + "/fast"),
                        HttpResponse.BodyHandlers.ofString()).statusCode()).isEqualTo(200);
            }
            assertThat(instance.openApplicationConnections()).as("pooled by the front door").isPositive();

            proxy.detach(instance).toCompletableFuture().get(10, TimeUnit.SECONDS);
            proxy.settled(instance).toCompletableFuture().get(10, TimeUnit.SECONDS);
            instance.stopAccepting().toCompletableFuture().get(10, TimeUnit.SECONDS);

            instance.drain().toCompletableFuture().get(10, TimeUnit.SECONDS);
            assertThat(instance.openApplicationConnections()).isZero();
        } finally {
            instance.destroy().toCompletableFuture().get(30, TimeUnit.SECONDS);
        }
    }

    /**
     * Step 4 is leaving the rotation, step 5 the hand-over: the detach completes while a request sent before it still
     * runs, and {@code settled} only once that request has been answered.
     */
    @Test
    void aDetachCompletesAtOnceAndSettledWhenTheRequestsSentBeforeItAreAnswered() throws Exception {
        TestApp app = new TestApp("old-1");
        JettyLauncher launcher = JettyLauncher.builder(id -> TestApp.server(app)).build();
        JettyHandoff instance = (JettyHandoff) launcher.launch("old-1").toCompletableFuture()
                .get(30, TimeUnit.SECONDS);
        try (ProxyRouter proxy = ProxyRouter.builder().detachSettleTimeout(Duration.ofSeconds(60)).build().start()) {
            instance.whenReady().toCompletableFuture().get(30, TimeUnit.SECONDS);
            proxy.attach(instance).toCompletableFuture().get(10, TimeUnit.SECONDS);
            HttpClient client = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
            CompletableFuture<HttpResponse<String>> held = client.sendAsync(
                    request("http://127.0.0.1:" + proxy.port() + "/hold"), HttpResponse.BodyHandlers.ofString());
            assertThat(app.held.await(10, TimeUnit.SECONDS)).isTrue();

            proxy.detach(instance).toCompletableFuture().get(10, TimeUnit.SECONDS);
            CompletableFuture<Void> settled = proxy.settled(instance).toCompletableFuture();
            assertThat(settled).as("the held request still runs").isNotDone();

            app.releaseHeld();

            assertThat(held.get(10, TimeUnit.SECONDS).statusCode()).isEqualTo(200);
            settled.get(10, TimeUnit.SECONDS);
            await().atMost(Duration.ofSeconds(10)).until(() -> proxy.detachedBackendsHeld() == 0);
        } finally {
            instance.destroy().toCompletableFuture().get(30, TimeUnit.SECONDS);
        }
    }

    /**
     * Re-admission: an instance detached while a request of its is still running (longer than the detach's settle
     * bound) and then attached again keeps serving. Regression: the first backend, once its last request ended,
     * closed the pooled connections it shared with the second backend made for the same instance, and the request
     * then running on one of them was answered 502.
     */
    @Test
    void anInstanceAttachedAgainWhileItsOldRequestRunsKeepsItsConnections() throws Exception {
        TestApp app = new TestApp("old-1");
        JettyLauncher launcher = JettyLauncher.builder(id -> TestApp.server(app)).build();
        JettyHandoff instance = (JettyHandoff) launcher.launch("old-1").toCompletableFuture()
                .get(30, TimeUnit.SECONDS);
        try (ProxyRouter proxy = ProxyRouter.builder().detachSettleTimeout(Duration.ofMillis(200)).build().start()) {
            instance.whenReady().toCompletableFuture().get(30, TimeUnit.SECONDS);
            proxy.attach(instance).toCompletableFuture().get(10, TimeUnit.SECONDS);
            HttpClient client = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
            String base = "http://127.0.0.1:" + proxy.port();
            CompletableFuture<HttpResponse<String>> held = client.sendAsync(request(base + "/hold"),
                    HttpResponse.BodyHandlers.ofString());
            assertThat(app.held.await(10, TimeUnit.SECONDS)).isTrue();

            // The hand-over settles after 200 ms with the held request still running, then the instance comes back.
            proxy.detach(instance).toCompletableFuture().get(10, TimeUnit.SECONDS);
            proxy.settled(instance).toCompletableFuture().get(10, TimeUnit.SECONDS);
            assertThat(held).isNotDone();
            proxy.attach(instance).toCompletableFuture().get(10, TimeUnit.SECONDS);
            CompletableFuture<HttpResponse<String>> slow = client.sendAsync(request(base + "/slow?ms=1000"),
                    HttpResponse.BodyHandlers.ofString());
            await().atMost(Duration.ofSeconds(10)).until(() -> instance.inFlight() == 2);

            app.releaseHeld();

            assertThat(held.get(10, TimeUnit.SECONDS).statusCode()).isEqualTo(200);
            HttpResponse<String> afterReadmission = slow.get(10, TimeUnit.SECONDS);
            assertThat(afterReadmission.statusCode()).isEqualTo(200);
            assertThat(afterReadmission.body()).isEqualTo("old-1");
            for (int i = 0; i < 5; i++) {
                assertThat(client.send(request(base + "/fast"), HttpResponse.BodyHandlers.ofString()).statusCode())
                        .isEqualTo(200);
            }
        } finally {
            app.releaseHeld();
            instance.destroy().toCompletableFuture().get(30, TimeUnit.SECONDS);
        }
    }

    private static HttpRequest request(String uri) {
        return HttpRequest.newBuilder(URI.create(uri)).timeout(Duration.ofSeconds(30)).build();
    }
}
