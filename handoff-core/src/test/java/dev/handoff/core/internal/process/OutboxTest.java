package dev.handoff.core.internal.process;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/** {@link Outbox} over a real Unix domain socket pair whose far end the test reads, or does not. */
class OutboxTest {

    private static final long WAIT_SECONDS = 10;

    @TempDir
    Path folder;

    private LineChannel near;
    private LineChannel far;
    private final CompletableFuture<String> stalled = new CompletableFuture<>();
    private final CompletableFuture<IOException> writeFailed = new CompletableFuture<>();
    private Outbox outbox;

    @BeforeEach
    void connect() throws Exception {
        Path path = folder.resolve("s");
        try (ServerSocketChannel server = ServerSocketChannel.open(StandardProtocolFamily.UNIX)) {
            server.bind(UnixDomainSocketAddress.of(path));
            SocketChannel client = SocketChannel.open(StandardProtocolFamily.UNIX);
            client.connect(UnixDomainSocketAddress.of(path));
            near = new LineChannel(server.accept());
            far = new LineChannel(client);
        }
    }

    @AfterEach
    void closeBoth() {
        if (outbox != null) {
            outbox.close();
        }
        near.close();
        far.close();
    }

    private Outbox outbox(Duration writeTimeout) {
        outbox = new Outbox("outbox-test-writer", near, writeTimeout, stalled::complete, writeFailed::complete);
        return outbox;
    }

    private String readFar() throws Exception {
        return CompletableFuture.supplyAsync(() -> {
            try {
                return far.readLine();
            } catch (Exception e) {
                throw new IllegalStateException(e);
            }
        }).get(WAIT_SECONDS, TimeUnit.SECONDS);
    }

    @Test
    void linesAreWrittenInOrderByTheOutboxThread() throws Exception {
        Outbox lines = outbox(Duration.ofSeconds(5));

        assertThat(lines.offer("STATUS?")).isTrue();
        assertThat(lines.offer("DRAIN")).isTrue();

        assertThat(readFar()).isEqualTo("STATUS?");
        assertThat(readFar()).isEqualTo("DRAIN");
        assertThat(stalled).isNotDone();
    }

    @Test
    void aPeerThatDoesNotReadIsReportedAfterTheWriteTimeoutAndOffersNeverBlock() throws Exception {
        // given a peer that reads nothing
        Outbox lines = outbox(Duration.ofMillis(300));

        // when more lines are offered than the socket and the queue hold
        int accepted = 0;
        for (int i = 0; i < 5_000; i++) {
            if (lines.offer("STATUS?")) {
                accepted++;
            }
        }

        // then the surplus is refused at once, and the stall is reported once the write timeout has passed
        assertThat(accepted).isLessThan(5_000).isGreaterThanOrEqualTo(Outbox.CAPACITY);
        assertThat(stalled.get(WAIT_SECONDS, TimeUnit.SECONDS)).contains("waited more than PT0.3S to be written");
        lines.close();
        assertThat(writeFailed).as("a write ended by close() is no failure").isNotDone();
        assertThat(lines.offer("EXIT")).isFalse();
    }

    @Test
    void finishWritesWhatIsQueuedThenClosesTheChannel() throws Exception {
        Outbox lines = outbox(Duration.ofSeconds(5));
        lines.offer("ERROR wrong token");

        lines.finish();

        assertThat(lines.offer("late")).isFalse();
        assertThat(readFar()).isEqualTo("ERROR wrong token");
        assertThat(readFar()).as("closed after the queued line").isNull();
    }

    @Test
    void aWriteThatFailsIsReported() throws Exception {
        Outbox lines = outbox(Duration.ofSeconds(5));
        far.close();

        lines.offer("STATUS?");
        lines.offer("STATUS?");

        assertThat(writeFailed.get(WAIT_SECONDS, TimeUnit.SECONDS)).isNotNull();
        assertThat(stalled).isNotDone();
    }
}
