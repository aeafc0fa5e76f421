package dev.handoff.jetty.process;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketException;
import java.net.StandardSocketOptions;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

import org.junit.jupiter.api.Test;

/**
 * What SO_REUSEPORT guarantees, and its limit, shown deterministically on two listeners of one port that accept
 * nothing while clients connect (so every connection waits in an accept queue): every connection attempt is
 * accepted by the kernel into one of the two queues, none is refused; closing one listener resets the connections
 * still in its queue when {@code net.ipv4.tcp_migrate_req} is 0, and hands them to the other listener when it is 1.
 * The kernel behaves the same whether the two listeners live in one process or two.
 */
class ReusePortAcceptQueueTest {

    private static final int CONNECTIONS = 64;

    @Test
    void closingAListenerResetsItsQueuedConnectionsUnlessTheKernelMigratesThem() throws Exception {
        boolean migrate = Files.readString(Path.of("/proc/sys/net/ipv4/tcp_migrate_req")).strip().equals("1");
        List<Socket> clients = new ArrayList<>();
        try (ServerSocketChannel closing = listener(0);
             ServerSocketChannel staying = listener(closing.socket().getLocalPort())) {
            int port = closing.socket().getLocalPort();

            // given connections spread by the kernel over the two listeners' queues: none refused
            for (int i = 0; i < CONNECTIONS; i++) {
                Socket client = new Socket();
                client.connect(new InetSocketAddress("127.0.0.1", port), 5_000);
                client.setSoTimeout(5_000);
                clients.add(client);
            }
            Set<Integer> acceptedByStaying = acceptAll(staying);
            assertThat(acceptedByStaying).as("the kernel spreads connections over both queues")
                    .isNotEmpty().hasSizeLessThan(CONNECTIONS);

            // when one listener closes with connections still in its queue
            closing.close();

            // then those are reset (tcp_migrate_req=0), or moved to the other listener (tcp_migrate_req=1)
            Set<Integer> migrated = acceptAll(staying);
            int reset = 0;
            for (Socket client : clients) {
                int clientPort = client.getLocalPort();
                if (acceptedByStaying.contains(clientPort) || migrated.contains(clientPort)) {
                    continue;
                }
                try {
                    client.getOutputStream().write('x');
                    int read = client.getInputStream().read();
                    assertThat(read).as("a queued connection of a closed listener is never served").isEqualTo(-1);
                } catch (SocketException e) {
                    assertThat(e.getMessage()).contains("reset");
                }
                reset++;
            }
            System.out.printf("ReusePortAcceptQueueTest: tcp_migrate_req=%s connections=%d accepted by the staying "
                    + "listener=%d, after the close: reset=%d accepted by the staying listener=%d%n", migrate ? 1 : 0,
                    CONNECTIONS, acceptedByStaying.size(), reset, migrated.size());
            // (every connection was accepted or reset: none was refused, none hangs)
            assertThat(acceptedByStaying.size() + migrated.size() + reset).isEqualTo(CONNECTIONS);
            if (migrate) {
                assertThat(reset).isZero();
            } else {
                assertThat(reset).isPositive();
            }
        } finally {
            for (Socket client : clients) {
                client.close();
            }
        }
    }

    private static ServerSocketChannel listener(int port) throws IOException {
        ServerSocketChannel channel = ServerSocketChannel.open();
        channel.setOption(StandardSocketOptions.SO_REUSEPORT, true);
        channel.bind(new InetSocketAddress("127.0.0.1", port), CONNECTIONS * 2);
        channel.configureBlocking(false);
        return channel;
    }

    /** Accepts every connection waiting in the listener's queue; returns their client ports. */
    private static Set<Integer> acceptAll(ServerSocketChannel listener) throws IOException {
        Set<Integer> ports = new HashSet<>();
        for (SocketChannel accepted = listener.accept(); accepted != null; accepted = listener.accept()) {
            ports.add(((InetSocketAddress) accepted.getRemoteAddress()).getPort());
            accepted.close();
        }
        return ports;
    }
}
