package dev.handoff.test.haproxy;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import com.sun.net.httpserver.HttpServer;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.Channels;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;

import org.junit.jupiter.api.Test;

/**
 * The throwaway HAProxy's HTTP check and retries, on a real HAProxy and a real HTTP server: a server added with
 * {@code check} is up while the check path answers 200 and down once it answers 503; with {@code retries 0} the
 * requests balanced to a server that refuses connections fail (503 from HAProxy, no redispatch to the live one). Bad options are refused.
 */
class HaproxyProcessChecksTest {

    @Test
    void httpCheckFollowsTheStatusOfThePathAndRetriesZeroFailsARefusedConnection() throws Exception {
        AtomicInteger readiness = new AtomicInteger(200);
        HttpServer app = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 16);
        app.createContext("/ready", exchange -> {
            exchange.sendResponseHeaders(readiness.get(), -1);
            exchange.close();
        });
        app.start();
        try (HaproxyProcess haproxy = HaproxyProcess.builder().httpCheck("/ready").retries(0).start()) {
            String server = haproxy.backend() + "/s1";
            assertThat(admin(haproxy, "add server " + server + " 127.0.0.1:" + app.getAddress().getPort()
                    + " check inter 100")).contains("New server registered");
            admin(haproxy, "enable server " + server);
            admin(haproxy, "enable health " + server);
            await().atMost(Duration.ofSeconds(10)).until(() -> status(haproxy).startsWith("UP"));

            readiness.set(503);
            await().atMost(Duration.ofSeconds(10)).until(() -> status(haproxy).startsWith("DOWN"));

            // s1 up again; s2 (no check) refuses connections: without retry nor redispatch, its share fails
            readiness.set(200);
            await().atMost(Duration.ofSeconds(10)).until(() -> status(haproxy).startsWith("UP"));
            int refusing;
            try (ServerSocket closed = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
                refusing = closed.getLocalPort();
            }
            assertThat(admin(haproxy, "add server " + haproxy.backend() + "/s2 127.0.0.1:" + refusing))
                    .contains("New server registered");
            admin(haproxy, "enable server " + haproxy.backend() + "/s2");
            List<String> answers = new ArrayList<>();
            for (int i = 0; i < 4; i++) {
                answers.add(get(haproxy.frontendPort()));
            }
            assertThat(answers).contains("HTTP/1.1 503", "HTTP/1.1 404");
        } finally {
            app.stop(0);
        }
    }

    @Test
    void badOptionsAreRefusedByName() {
        assertThatThrownBy(() -> HaproxyProcess.builder().retries(-1))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("retries");
        assertThatThrownBy(() -> HaproxyProcess.builder().httpCheck("ready"))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("httpCheck");
        assertThatThrownBy(() -> HaproxyProcess.builder().httpCheck("/a b"))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("httpCheck");
    }

    /** The status column of {@code show stat} for server s1. */
    private static String status(HaproxyProcess haproxy) throws IOException {
        for (String line : admin(haproxy, "show stat").split("\n")) {
            String[] fields = line.split(",", -1);
            if (fields.length > 17 && fields[1].equals("s1")) {
                return fields[17];
            }
        }
        return "absent";
    }

    private static String admin(HaproxyProcess haproxy, String command) throws IOException {
        try (SocketChannel channel = SocketChannel.open(UnixDomainSocketAddress.of(haproxy.adminSocket()))) {
            channel.write(ByteBuffer.wrap((command + "\n").getBytes(StandardCharsets.US_ASCII)));
            return new String(Channels.newInputStream(channel).readAllBytes(), StandardCharsets.US_ASCII);
        }
    }

    private static String get(int port) throws IOException {
        try (Socket socket = new Socket(InetAddress.getLoopbackAddress(), port)) {
            socket.setSoTimeout(10_000);
            OutputStream out = socket.getOutputStream();
            out.write("GET / HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n"
                    .getBytes(StandardCharsets.US_ASCII));
            out.flush();
            InputStream in = socket.getInputStream();
            return new String(in.readNBytes(12), StandardCharsets.US_ASCII);
        }
    }
}
