package dev.handoff.spring.boot;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

import org.eclipse.jetty.http.HttpFields;
import org.eclipse.jetty.http.HttpURI;
import org.eclipse.jetty.http.HttpVersion;
import org.eclipse.jetty.http.MetaData;
import org.eclipse.jetty.http2.api.Session;
import org.eclipse.jetty.http2.api.Stream;
import org.eclipse.jetty.http2.client.HTTP2Client;
import org.eclipse.jetty.http2.frames.GoAwayFrame;
import org.eclipse.jetty.http2.frames.HeadersFrame;
import org.eclipse.jetty.http2.frames.ResetFrame;
import org.eclipse.jetty.util.Callback;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;
import org.springframework.boot.builder.SpringApplicationBuilder;
import org.springframework.context.ConfigurableApplicationContext;

/**
 * A Boot application with {@code server.http2.enabled=true} on a real embedded server (Tomcat or Jetty: the
 * subclasses), spoken to in h2c (HTTP/2 over cleartext, prior knowledge) by Jetty's HTTP/2 client: at
 * stop-accepting an open HTTP/2 connection gets a GOAWAY, and the request in flight on it completes. One context
 * per server.
 */
abstract class Http2DrainTestBase {

    private static ConfigurableApplicationContext context;
    private static SpringBootInstance instance;
    private static int port;
    private static HTTP2Client client;

    static void start(Class<?> server) throws Exception {
        context = new SpringApplicationBuilder(WebTestApp.class, server)
                .properties("server.port=0", "server.address=127.0.0.1", "server.http2.enabled=true",
                        "handoff.termination.enabled=false", "management.endpoints.web.exposure.include=health",
                        "spring.main.banner-mode=off")
                .run();
        instance = context.getBean(SpringBootInstance.class);
        port = Integer.parseInt(context.getEnvironment().getProperty("local.server.port"));
        client = new HTTP2Client();
        client.start();
    }

    @AfterAll
    static void stop() throws Exception {
        WebTestApp.gate.countDown();
        if (client != null) {
            client.stop();
        }
        if (context != null) {
            context.close();
        }
    }

    @Test
    void stopAcceptingSendsGoAwayAndTheRequestInFlightCompletes() throws Exception {
        WebTestApp.gate = new CountDownLatch(1);
        WebTestApp.slowStarted = new CountDownLatch(1);
        CompletableFuture<GoAwayFrame> goAway = new CompletableFuture<>();
        Session session = client.connect(new InetSocketAddress("127.0.0.1", port), new Session.Listener() {
            @Override
            public void onGoAway(Session session, GoAwayFrame frame) {
                goAway.complete(frame);
            }
        }).get(5, TimeUnit.SECONDS);
        Response slow = new Response();
        MetaData.Request request = new MetaData.Request("GET", HttpURI.from("http://127.0.0.1:" + port + "/slow"),
                HttpVersion.HTTP_2, HttpFields.EMPTY);
        session.newStream(new HeadersFrame(request, null, true), slow).get(5, TimeUnit.SECONDS);
        assertThat(WebTestApp.slowStarted.await(10, TimeUnit.SECONDS)).isTrue();

        instance.stopAccepting().toCompletableFuture().get(5, TimeUnit.SECONDS);

        GoAwayFrame frame = goAway.get(10, TimeUnit.SECONDS);
        assertThat(frame.getError()).as(frame.toString()).isZero();
        CompletableFuture<Void> drained = instance.drain().toCompletableFuture();
        assertThat(slow.done).isNotDone();
        WebTestApp.gate.countDown();
        assertThat(slow.done.get(10, TimeUnit.SECONDS)).isEqualTo("200 slow");
        drained.get(10, TimeUnit.SECONDS);
    }

    /** A response read off one HTTP/2 stream: "status body", or failed if the stream is reset. */
    private static final class Response implements Stream.Listener {
        final CompletableFuture<String> done = new CompletableFuture<>();
        private final StringBuilder body = new StringBuilder();
        private volatile int status;

        @Override
        public void onHeaders(Stream stream, HeadersFrame frame) {
            if (frame.getMetaData() instanceof MetaData.Response response) {
                status = response.getStatus();
            }
            if (frame.isEndStream()) {
                done.complete(status + " " + body);
            } else {
                stream.demand();
            }
        }

        @Override
        public void onDataAvailable(Stream stream) {
            Stream.Data data = stream.readData();
            if (data == null) {
                stream.demand();
                return;
            }
            body.append(StandardCharsets.UTF_8.decode(data.frame().getByteBuffer()));
            data.release();
            if (data.frame().isEndStream()) {
                done.complete(status + " " + body);
            } else {
                stream.demand();
            }
        }

        @Override
        public void onReset(Stream stream, ResetFrame frame, Callback callback) {
            done.completeExceptionally(new AssertionError("stream reset: " + frame));
            callback.succeeded();
        }
    }
}
