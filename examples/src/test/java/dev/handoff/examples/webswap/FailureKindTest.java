package dev.handoff.examples.webswap;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.ConnectException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.SocketException;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

class FailureKindTest {

    @Test
    void classifiesEachExceptionKind() {
        assertThat(FailureKind.classify(new ConnectException("Connection refused"), false))
                .isEqualTo(FailureKind.REFUSED);
        assertThat(FailureKind.classify(new ConnectException("Connection timed out"), false))
                .isEqualTo(FailureKind.TIMEOUT);
        assertThat(FailureKind.classify(new SocketTimeoutException("Read timed out"), true))
                .isEqualTo(FailureKind.TIMEOUT);
        assertThat(FailureKind.classify(new SocketException("Connection reset"), true))
                .isEqualTo(FailureKind.RESET);
        assertThat(FailureKind.classify(new SocketException("Broken pipe"), false))
                .isEqualTo(FailureKind.RESET);
        assertThat(FailureKind.classify(new PrematureEofException("closed"), true))
                .isEqualTo(FailureKind.EOF_REUSED);
        assertThat(FailureKind.classify(new PrematureEofException("closed"), false))
                .isEqualTo(FailureKind.EOF_FRESH);
        assertThat(FailureKind.classify(new IOException("malformed status line"), false))
                .isEqualTo(FailureKind.OTHER);
    }

    @Test
    void aConnectionToAClosedPortIsRefused() throws IOException {
        int port;
        try (ServerSocket socket = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            port = socket.getLocalPort();
        }
        IOException failure = connectFailure(new InetSocketAddress(InetAddress.getLoopbackAddress(), port));
        assertThat(FailureKind.classify(failure, false)).isEqualTo(FailureKind.REFUSED);
    }

    @Test
    void aServerThatClosesAfterOneResponseGivesEofOnTheReusedConnection() throws Exception {
        try (ServerSocket server = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            // given a server that answers one request with keep-alive, then closes without a word
            CompletableFuture<Void> serverSide = CompletableFuture.runAsync(() -> {
                try (Socket socket = server.accept()) {
                    InputStream in = socket.getInputStream();
                    readRequest(in);
                    OutputStream out = socket.getOutputStream();
                    out.write("HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok".getBytes(StandardCharsets.US_ASCII));
                    out.flush();
                    readRequest(in);
                } catch (IOException e) {
                    throw new IllegalStateException(e);
                }
            });
            try (RawHttpConnection connection = RawHttpConnection.open(
                    (InetSocketAddress) server.getLocalSocketAddress(), Duration.ofSeconds(5), Duration.ofSeconds(5))) {
                // when the client sends two requests on the connection
                assertThat(connection.exchange("/fast", false)).isEqualTo(200);
                assertThat(connection.isReused()).isTrue();
                assertThat(connection.isUsable()).isTrue();
                IOException failure = null;
                try {
                    connection.exchange("/fast", false);
                } catch (IOException e) {
                    failure = e;
                }
                // then the second one fails with an EOF on a reused connection
                assertThat(failure).isInstanceOf(PrematureEofException.class);
                assertThat(FailureKind.classify(failure, true)).isEqualTo(FailureKind.EOF_REUSED);
            }
            serverSide.get(10, TimeUnit.SECONDS);
        }
    }

    @Test
    void readsChunkedAndConnectionCloseResponses() throws Exception {
        try (ServerSocket server = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            CompletableFuture<Void> serverSide = CompletableFuture.runAsync(() -> {
                try (Socket socket = server.accept()) {
                    readRequest(socket.getInputStream());
                    socket.getOutputStream().write(("HTTP/1.1 503 Service Unavailable\r\nTransfer-Encoding: chunked\r\n"
                            + "Connection: close\r\n\r\n4\r\nbusy\r\n0\r\n\r\n").getBytes(StandardCharsets.US_ASCII));
                } catch (IOException e) {
                    throw new IllegalStateException(e);
                }
            });
            try (RawHttpConnection connection = RawHttpConnection.open(
                    (InetSocketAddress) server.getLocalSocketAddress(), Duration.ofSeconds(5), Duration.ofSeconds(5))) {
                assertThat(connection.exchange("/fast", false)).isEqualTo(503);
                assertThat(connection.isUsable()).isFalse();
            }
            serverSide.get(10, TimeUnit.SECONDS);
        }
    }

    private static IOException connectFailure(InetSocketAddress address) {
        try (RawHttpConnection connection = RawHttpConnection.open(address, Duration.ofSeconds(5),
                Duration.ofSeconds(5))) {
            throw new AssertionError("connected to a closed port: " + connection);
        } catch (IOException e) {
            return e;
        }
    }

    private static void readRequest(InputStream in) throws IOException {
        int matched = 0;
        byte[] end = {'\r', '\n', '\r', '\n'};
        while (matched < 4) {
            int b = in.read();
            if (b < 0) {
                throw new IOException("request incomplete");
            }
            matched = b == end[matched] ? matched + 1 : (b == '\r' ? 1 : 0);
        }
    }
}
