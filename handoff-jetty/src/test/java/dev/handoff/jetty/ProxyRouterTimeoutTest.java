package dev.handoff.jetty;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.handoff.api.Lifecycle;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * The front door waits for a slow answer as long as its request idle timeout, not the (short) idle timeout of its
 * pooled backend connections. Regression: a request silent for longer than the pooled connections' idle timeout
 * was answered 504 by the front door.
 */
class ProxyRouterTimeoutTest {

    @Test
    void givenAShortPooledIdleTimeout_whenABackendAnswersAfterIt_thenTheClientGetsTheAnswer() throws Exception {
        JettyLauncher launcher = JettyLauncher.builder(id -> TestApp.server(new TestApp(id))).build();
        Lifecycle instance = launcher.launch("slow-1").toCompletableFuture().get(30, TimeUnit.SECONDS);
        try (ProxyRouter proxy = ProxyRouter.builder().backendIdleTimeout(Duration.ofMillis(200)).build().start()) {
            instance.whenReady().toCompletableFuture().get(30, TimeUnit.SECONDS);
            proxy.attach(instance).toCompletableFuture().get(10, TimeUnit.SECONDS);
            HttpClient client = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
            HttpRequest slow = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + proxy.port() + "/slow?ms=1000"))
                    .timeout(Duration.ofSeconds(30)).build();

            HttpResponse<String> response = client.send(slow, HttpResponse.BodyHandlers.ofString());

            assertThat(response.statusCode()).isEqualTo(200);
            assertThat(response.body()).isEqualTo("slow-1");
        } finally {
            instance.destroy().toCompletableFuture().get(30, TimeUnit.SECONDS);
        }
    }

    @Test
    void theRequestIdleTimeoutIsValidated() {
        assertThatThrownBy(() -> ProxyRouter.builder().requestIdleTimeout(Duration.ZERO))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("requestIdleTimeout must be > 0, but was PT0S");
        assertThatThrownBy(() -> ProxyRouter.builder().detachSettleTimeout(Duration.ofSeconds(-1)))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("detachSettleTimeout must be > 0, but was PT-1S");
    }
}
