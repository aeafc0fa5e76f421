package dev.handoff.benchmarks;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;

import org.springframework.boot.SpringBootConfiguration;
import org.springframework.boot.autoconfigure.EnableAutoConfiguration;
import org.springframework.boot.builder.SpringApplicationBuilder;
import org.springframework.context.ConfigurableApplicationContext;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.RestController;

/**
 * The request tracking of {@code handoff-spring-boot} on Tomcat against the bare Boot application, side by side in
 * one JVM, as {@link HandlerOverheadMain}'s {@code interleaved} mode does for Jetty: three Boot applications on
 * embedded Tomcat (bare, a second bare one as the A/A control, and one with the starter), each answering
 * {@code GET /hello} through Spring MVC on a loopback port, and one keep-alive client sending batches of requests to
 * each in turn, in a rotating order, so that every side of a round sees the same machine and the same moment. Per
 * round it keeps handoff / bare and control / bare (requests per second), then prints their medians and quartiles:
 *
 * <pre>
 * java -cp benchmarks/target/benchmarks.jar dev.handoff.benchmarks.BootOverheadMain [rounds]
 * RESULT boot-overhead rounds=R handoff/bare=0.99 (0.97..1.01) control/bare=1.00 (0.98..1.02)
 * </pre>
 */
public final class BootOverheadMain {

    private static final int BATCH = 2_000;
    private static final int WARM_UP_ROUNDS = 20;
    private static final int DEFAULT_ROUNDS = 120;
    private static final int[][] ORDERS = {{0, 1, 2}, {1, 2, 0}, {2, 0, 1}, {0, 2, 1}, {2, 1, 0}, {1, 0, 2}};
    private static final byte[] REQUEST =
            "GET /hello HTTP/1.1\r\nHost: localhost\r\n\r\n".getBytes(StandardCharsets.US_ASCII);

    private BootOverheadMain() {
    }

    /**
     * @param args {@code [rounds]}, 200 by default
     * @throws Exception when an application or a request fails
     */
    public static void main(String[] args) throws Exception {
        int rounds = args.length > 0 ? Integer.parseInt(args[0]) : DEFAULT_ROUNDS;
        List<ConfigurableApplicationContext> contexts = new ArrayList<>();
        List<Client> clients = new ArrayList<>();
        try {
            // side 0: bare, 1: control (bare), 2: with the starter
            for (boolean withHandoff : new boolean[] {false, false, true}) {
                ConfigurableApplicationContext context = new SpringApplicationBuilder(Hello.class)
                        .properties("server.port=0", "server.address=127.0.0.1", "spring.main.banner-mode=off",
                                "handoff.enabled=" + withHandoff, "handoff.termination.enabled=false",
                                "logging.level.root=WARN", "server.tomcat.max-keep-alive-requests=-1")
                        .run();
                contexts.add(context);
                clients.add(new Client(Integer.parseInt(context.getEnvironment().getProperty("local.server.port"))));
            }
            for (int round = 0; round < WARM_UP_ROUNDS; round++) {
                for (Client client : clients) {
                    client.batch();
                }
            }
            double[] handoff = new double[rounds];
            double[] control = new double[rounds];
            for (int round = 0; round < rounds; round++) {
                long[] nanos = new long[3];
                for (int side : ORDERS[round % ORDERS.length]) {
                    nanos[side] = clients.get(side).batch();
                }
                // requests per second of a side / those of bare = bare's time / the side's time
                handoff[round] = (double) nanos[0] / nanos[2];
                control[round] = (double) nanos[0] / nanos[1];
            }
            System.out.printf(Locale.ROOT, "RESULT boot-overhead rounds=%d handoff/bare=%s control/bare=%s%n",
                    rounds, summary(handoff), summary(control));
        } finally {
            for (Client client : clients) {
                client.close();
            }
            for (ConfigurableApplicationContext context : contexts) {
                context.close();
            }
        }
    }

    private static String summary(double[] ratios) {
        double[] sorted = ratios.clone();
        Arrays.sort(sorted);
        return String.format(Locale.ROOT, "%.3f (%.3f..%.3f)", sorted[sorted.length / 2], sorted[sorted.length / 4],
                sorted[sorted.length * 3 / 4]);
    }

    /** The application: one endpoint through Spring MVC. */
    @SpringBootConfiguration
    @EnableAutoConfiguration
    @RestController
    public static class Hello {
        @GetMapping("/hello")
        String hello() {
            return "hello";
        }
    }

    /** One keep-alive connection; reads each response by its Content-Length. */
    private static final class Client implements AutoCloseable {
        private final Socket socket;
        private final InputStream in;
        private final OutputStream out;
        private final byte[] buffer = new byte[8192];

        Client(int port) throws IOException {
            socket = new Socket("127.0.0.1", port);
            socket.setTcpNoDelay(true);
            socket.setSoTimeout(10_000);
            in = socket.getInputStream();
            out = socket.getOutputStream();
        }

        long batch() throws IOException {
            long start = System.nanoTime();
            for (int i = 0; i < BATCH; i++) {
                out.write(REQUEST);
                out.flush();
                readResponse();
            }
            return System.nanoTime() - start;
        }

        private void readResponse() throws IOException {
            int filled = 0;
            int headerEnd = -1;
            while (headerEnd < 0) {
                int read = in.read(buffer, filled, buffer.length - filled);
                if (read < 0) {
                    throw new IOException("EOF in a response");
                }
                filled += read;
                headerEnd = indexOfBlankLine(filled);
            }
            String head = new String(buffer, 0, headerEnd, StandardCharsets.US_ASCII);
            if (!head.startsWith("HTTP/1.1 200")) {
                throw new IOException("unexpected response: " + head);
            }
            int length = contentLength(head);
            int body = filled - (headerEnd + 4);
            while (body < length) {
                int read = in.read(buffer, 0, Math.min(buffer.length, length - body));
                if (read < 0) {
                    throw new IOException("EOF in a body");
                }
                body += read;
            }
        }

        private int indexOfBlankLine(int filled) {
            for (int i = 0; i + 3 < filled; i++) {
                if (buffer[i] == '\r' && buffer[i + 1] == '\n' && buffer[i + 2] == '\r' && buffer[i + 3] == '\n') {
                    return i;
                }
            }
            return -1;
        }

        private static int contentLength(String head) throws IOException {
            for (String line : head.split("\r\n")) {
                if (line.regionMatches(true, 0, "Content-Length:", 0, 15)) {
                    return Integer.parseInt(line.substring(15).trim());
                }
            }
            throw new IOException("no Content-Length in: " + head);
        }

        @Override
        public void close() throws IOException {
            socket.close();
        }
    }
}
