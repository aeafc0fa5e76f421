package dev.handoff.core.internal.process;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** {@link LineChannel}'s bounds on what a peer sends, over a real Unix domain socket pair. */
class LineChannelTest {

    @TempDir
    Path folder;

    private LineChannel reader;
    private SocketChannel writer;

    @BeforeEach
    void connect() throws Exception {
        Path path = folder.resolve("s");
        try (ServerSocketChannel server = ServerSocketChannel.open(StandardProtocolFamily.UNIX)) {
            server.bind(UnixDomainSocketAddress.of(path));
            writer = SocketChannel.open(StandardProtocolFamily.UNIX);
            writer.connect(UnixDomainSocketAddress.of(path));
            reader = new LineChannel(server.accept());
        }
    }

    @AfterEach
    void close() throws Exception {
        reader.close();
        writer.close();
    }

    private String readLine() throws Exception {
        return CompletableFuture.supplyAsync(() -> {
            try {
                return reader.readLine();
            } catch (Exception e) {
                throw new IllegalStateException(e);
            }
        }).get(10, TimeUnit.SECONDS);
    }

    private void send(byte[] bytes) {
        CompletableFuture.runAsync(() -> {
            try {
                ByteBuffer buffer = ByteBuffer.wrap(bytes);
                while (buffer.hasRemaining()) {
                    writer.write(buffer);
                }
            } catch (Exception e) {
                // the reader gave up on the line and closed: expected in the endless case
            }
        });
    }

    @Test
    void anOverlongLineIsRejectedAndTheNextLineIsRead() throws Exception {
        byte[] bytes = ("x".repeat(5_000) + "\nREADY\n").getBytes(StandardCharsets.US_ASCII);
        send(bytes);

        assertThatThrownBy(this::readLine).hasRootCauseInstanceOf(LineChannel.ProtocolViolation.class)
                .hasRootCauseMessage("line longer than 1024 bytes");
        assertThat(readLine()).isEqualTo("READY");
    }

    @Test
    void aLineWithoutEndIsAFlood() {
        send(new byte[LineChannel.MAX_DISCARDED_BYTES + 2 * Protocol.MAX_LINE_BYTES]);

        assertThatThrownBy(this::readLine).isInstanceOf(ExecutionException.class)
                .hasRootCauseInstanceOf(LineChannel.EndlessLine.class)
                .hasRootCauseMessage("a line ran past 65536 bytes without a terminator");
    }
}
