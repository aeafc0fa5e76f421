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
 * The application-side hot path, {@code HandoffHandler} (with the probe handler in front of it, as installed by
 * {@link JettyHandoff}), against the same application handler bare, in the same run: one keep-alive HTTP/1.1
 * request and its response through Jetty's {@link LocalConnector}, no sockets. Target: at most 5% throughput
 * loss.
 *
 * <p>Run: {@code java -jar benchmarks/target/benchmarks.jar HandlerBenchmark}
 */
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
@Fork(1)
@Threads(1)
public class HandlerBenchmark {

    private static final String REQUEST = "GET /hello HTTP/1.1\r\nHost: localhost\r\n\r\n";
    private static final byte[] BODY = "hello".getBytes(StandardCharsets.US_ASCII);

    /** One server, bare or with handoff installed, and one keep-alive connection to it. */
    @State(Scope.Thread)
    public abstract static class Target {
        private Server server;
        private LocalConnector.LocalEndPoint connection;

        abstract boolean withHandoff();

        /** Starts the server and opens the connection. */
        @Setup(Level.Trial)
        public void start() throws Exception {
            server = new Server();
            LocalConnector connector = new LocalConnector(server);
            server.addConnector(connector);
            server.setHandler(new Hello());
            if (withHandoff()) {
                JettyHandoff.builder(server).name("benchmark").install();
            }
            server.start();
            connection = connector.connect();
        }

        /** Stops the server. */
        @TearDown(Level.Trial)
        public void stop() throws Exception {
            server.stop();
        }

        ByteBuffer exchange() throws Exception {
            connection.addInputAndExecute(REQUEST);
            ByteBuffer response = connection.waitForResponse(false, 5, TimeUnit.SECONDS);
            if (response == null) {
                throw new IllegalStateException("no response within 5 s");
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
     * @throws Exception when no response comes
     */
    @Benchmark
    public ByteBuffer bare(Bare target) throws Exception {
        return target.exchange();
    }

    /**
     * @param target the server with handoff installed
     * @return the response, so that it is not eliminated
     * @throws Exception when no response comes
     */
    @Benchmark
    public ByteBuffer withHandoff(WithHandoff target) throws Exception {
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
