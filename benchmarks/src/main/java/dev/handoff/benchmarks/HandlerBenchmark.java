package dev.handoff.benchmarks;

import dev.handoff.jetty.JettyHandoff;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.TimeUnit;

import org.eclipse.jetty.server.Handler;
import org.eclipse.jetty.server.LocalConnector;
import org.eclipse.jetty.server.Request;
import org.eclipse.jetty.server.Response;
import org.eclipse.jetty.server.Server;
import org.eclipse.jetty.util.Callback;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Threads;
import org.openjdk.jmh.annotations.Warmup;

/**
 * The application-side hot path: the application handler behind {@link JettyHandoff} (its {@code HandoffHandler},
 * probes off the application connectors as by default) against the same handler bare, each in its own forks: one
 * keep-alive HTTP/1.1 request and its response through Jetty's {@link LocalConnector}, no sockets. Each request is
 * parsed, handled and answered on the benchmark thread (see {@link Target#exchange()}), so that no thread hand-off
 * is measured. Target: at most 5% throughput loss.
 *
 * <p>The forks use the Parallel collector and a fixed heap: with G1 the score of this benchmark moved by up to 50%
 * from one fork to the next (steady within each), which hides a difference of a few percent. The interleaved
 * companion, {@link HandlerOverheadMain}, measures both collectors with an A/A control.
 *
 * <p>Run: {@code java -jar benchmarks/target/benchmarks.jar HandlerBenchmark}
 */
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@Warmup(iterations = 4, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(value = 4, jvmArgsAppend = {"-Xms1g", "-Xmx1g", "-XX:+UseParallelGC"})
@Threads(1)
public class HandlerBenchmark {

    private static final byte[] REQUEST =
            "GET /hello HTTP/1.1\r\nHost: localhost\r\n\r\n".getBytes(StandardCharsets.US_ASCII);
    private static final byte[] BODY = "hello".getBytes(StandardCharsets.US_ASCII);

    /** One server, bare or with handoff installed, and one keep-alive connection to it. */
    @State(Scope.Thread)
    public abstract static class Target {
        private Server server;
        private LocalConnector.LocalEndPoint connection;
        private int responseLength;

        abstract boolean withHandoff();

        /** Starts the server and opens the connection. */
        @Setup(Level.Trial)
        public void start() throws Exception {
            server = new Server();
            LocalConnector connector = new LocalConnector(server);
            server.addConnector(connector);
            server.setHandler(new Hello());
            if (withHandoff()) {
                JettyHandoff.builder(server).id("benchmark").install();
            }
            server.start();
            connection = connector.connect();
            // The first exchange goes through Jetty's executor (the connection is opened by an acceptor
            // thread); once its fill interest is registered again, addInput runs every further request on the
            // calling thread.
            connection.addInputAndExecute(ByteBuffer.wrap(REQUEST));
            ByteBuffer first = connection.waitForResponse(false, 5, TimeUnit.SECONDS);
            if (first == null) {
                throw new IllegalStateException("no response within 5 s");
            }
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
            while (!connection.isFillInterested()) {
                if (System.nanoTime() - deadline > 0) {
                    throw new IllegalStateException("the connection did not ask for more input within 5 s");
                }
                Thread.onSpinWait();
            }
            String text = StandardCharsets.US_ASCII.decode(first.duplicate()).toString();
            if (!text.startsWith("HTTP/1.1 200") || !text.endsWith("hello")) {
                throw new IllegalStateException("unexpected response, or not written on the calling thread: "
                        + text);
            }
            responseLength = first.remaining();
        }

        /** Stops the server. */
        @TearDown(Level.Trial)
        public void stop() throws Exception {
            server.stop();
        }

        /** @return the response to one request, handled on the calling thread */
        ByteBuffer exchange() {
            // addInput runs the connection's fill callback on this thread: Jetty parses the request, runs the
            // handlers (which complete at once) and flushes the response into the endpoint's buffer before
            // it returns. No thread hand-off, so the measurement is the request path alone.
            connection.addInput(ByteBuffer.wrap(REQUEST));
            ByteBuffer response = connection.takeOutput();
            if (response.remaining() != responseLength) {
                throw new IllegalStateException("incomplete response: " + response.remaining() + " bytes, expected "
                        + responseLength);
            }
            return response;
        }
    }

    /** The application handler alone. */
    public static class Bare extends Target {
        @Override
        boolean withHandoff() {
            return false;
        }
    }

    /** The application handler behind {@link JettyHandoff}. */
    public static class WithHandoff extends Target {
        @Override
        boolean withHandoff() {
            return true;
        }
    }

    /**
     * @param target the bare server
     * @return the response, so that it is not eliminated
     */
    @Benchmark
    public ByteBuffer bare(Bare target) {
        return target.exchange();
    }

    /**
     * @param target the server with handoff installed
     * @return the response, so that it is not eliminated
     */
    @Benchmark
    public ByteBuffer withHandoff(WithHandoff target) {
        return target.exchange();
    }

    /** A small fixed response, written at once. */
    static final class Hello extends Handler.Abstract.NonBlocking {
        @Override
        public boolean handle(Request request, Response response, Callback callback) {
            response.setStatus(200);
            response.getHeaders().put("Content-Type", "text/plain");
            response.write(true, ByteBuffer.wrap(BODY), callback);
            return true;
        }
    }
}
