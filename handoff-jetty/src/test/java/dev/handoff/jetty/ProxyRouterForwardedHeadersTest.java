package dev.handoff.jetty;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.handoff.api.Lifecycle;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import org.eclipse.jetty.http.HttpField;
import org.eclipse.jetty.server.Handler;
import org.eclipse.jetty.server.Request;
import org.eclipse.jetty.server.Response;
import org.eclipse.jetty.server.Server;
import org.eclipse.jetty.util.Callback;
import org.eclipse.jetty.util.thread.QueuedThreadPool;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The forwarding headers the backend receives are the front door's, from the client's connection. Regression: a
 * client-supplied {@code X-Forwarded-For}, {@code X-Forwarded-Host} and {@code Forwarded} reached the backend as
 * the client wrote them, with no {@code X-Forwarded-For} of the real client; and the instances' connectors sent
 * {@code Server: Jetty(...)}, which the front door passed on.
 */
class ProxyRouterForwardedHeadersTest {

    private static final String SPOOFED = "GET /echo HTTP/1.1\r\nHost: localhost\r\n"
            + "X-Forwarded-For: 6.6.6.6\r\nX-Forwarded-Host: evil.example\r\nX-Forwarded-Proto: https\r\n"
            + "Forwarded: for=6.6.6.6;host=evil.example\r\n\r\n";

    private Lifecycle instance;

    @BeforeEach
    void launchEchoBackend() throws Exception {
        instance = JettyLauncher.builder(id -> echoServer()).handoff(handoff -> handoff.managementPort(0)).build()
                .launch("echo-1").toCompletableFuture().get(30, TimeUnit.SECONDS);
        instance.whenReady().toCompletableFuture().get(30, TimeUnit.SECONDS);
    }

    @AfterEach
    void destroyBackend() throws Exception {
        instance.destroy().toCompletableFuture().get(30, TimeUnit.SECONDS);
    }

    @Test
    void givenNoTrustedProxy_whenAClientSendsForwardingHeaders_thenTheBackendGetsTheFrontDoorsOwn()
            throws Exception {
        try (ProxyRouter proxy = ProxyRouter.builder().build().start();
             RawHttpConnection client = new RawHttpConnection(proxy.port())) {
            proxy.attach(instance).toCompletableFuture().get(10, TimeUnit.SECONDS);

            RawHttpConnection.Reply reply = client.send(SPOOFED);

            assertThat(reply.status()).isEqualTo(200);
            assertThat(reply.body()).doesNotContain("6.6.6.6").doesNotContain("evil.example")
                    .contains("x-forwarded-for: 127.0.0.1\n")
                    .contains("x-forwarded-host: localhost\n")
                    .contains("x-forwarded-proto: http\n")
                    .containsPattern("forwarded: by=[^\\n,]*;for=\"?127\\.0\\.0\\.1\"?;host=\"?localhost\"?;proto=http\\n");
            assertThat(reply.header("Server")).as("Server header through the front door").isNull();
        }
    }

    @Test
    void givenTheClientIsATrustedProxy_whenItSendsForwardingHeaders_thenTheyAreKeptAndAppendedTo()
            throws Exception {
        try (ProxyRouter proxy = ProxyRouter.builder().trustedProxies(Set.of("127.0.0.1")).build().start();
             RawHttpConnection client = new RawHttpConnection(proxy.port())) {
            proxy.attach(instance).toCompletableFuture().get(10, TimeUnit.SECONDS);

            RawHttpConnection.Reply reply = client.send(SPOOFED);

            assertThat(reply.status()).isEqualTo(200);
            assertThat(reply.body())
                    .contains("x-forwarded-for: 6.6.6.6, 127.0.0.1\n")
                    .contains("x-forwarded-host: evil.example\n")
                    .contains("x-forwarded-proto: https\n")
                    .containsPattern("forwarded: for=6\\.6\\.6\\.6;host=evil\\.example, by=[^\\n,]*;for=\"?127\\.0\\.0\\.1\"?;");
        }
    }

    @Test
    void theConnectorsTheLibraryCreatesSendNoServerHeader() throws Exception {
        JettyHandoff jetty = (JettyHandoff) instance;
        int managementPort = jetty.managementConnector().orElseThrow().getLocalPort();
        try (RawHttpConnection application = new RawHttpConnection(jetty.address().getPort());
             RawHttpConnection management = new RawHttpConnection(managementPort)) {
            RawHttpConnection.Reply reply = application.get("/echo");
            RawHttpConnection.Reply probe = management.get("/ready");

            assertThat(reply.status()).isEqualTo(200);
            assertThat(reply.header("Server")).as("the launcher's connector").isNull();
            assertThat(probe.status()).isEqualTo(200);
            assertThat(probe.header("Server")).as("the management connector").isNull();
        }
    }

    @Test
    void theTrustedProxiesAreValidated() {
        assertThatThrownBy(() -> ProxyRouter.builder().trustedProxies(null))
                .isInstanceOf(NullPointerException.class)
                .hasMessage("trustedProxies must not be null");
        assertThatThrownBy(() -> ProxyRouter.builder().trustedProxies(Set.of(" ")))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("trustedProxies must hold IP addresses, but held ' '");
    }

    /** A server whose one handler answers with the request's headers, one {@code name: value} line each. */
    private static Server echoServer() {
        QueuedThreadPool threads = new QueuedThreadPool(16, 2);
        threads.setName("app-echo");
        threads.setDaemon(true);
        Server server = new Server(threads);
        server.setHandler(new Handler.Abstract() {
            @Override
            public boolean handle(Request request, Response response, Callback callback) {
                StringBuilder body = new StringBuilder();
                for (HttpField field : request.getHeaders()) {
                    body.append(field.getLowerCaseName()).append(": ").append(field.getValue()).append('\n');
                }
                response.setStatus(200);
                response.write(true, ByteBuffer.wrap(body.toString().getBytes(StandardCharsets.UTF_8)), callback);
                return true;
            }
        });
        return server;
    }
}
