package dev.handoff.examples.webswap;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.channels.ClosedChannelException;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.locks.LockSupport;

import org.eclipse.jetty.client.ContentResponse;
import org.eclipse.jetty.client.HttpClient;
import org.eclipse.jetty.http2.client.HTTP2Client;
import org.eclipse.jetty.http2.client.transport.HttpClientTransportOverHTTP2;

/**
 * Clients that share one Jetty {@link HttpClient} over HTTP/2 cleartext (h2c, prior knowledge): each client thread
 * has one request in flight at a time, so the requests of all clients run as concurrent streams of the same
 * connection, the case of issue 13. Same paths as {@link LoadGenerator} (one request in five slow, 5-50 ms); Jetty's
 * client may open new connections itself (after a GOAWAY), but never retries a request. A failure is classified
 * by its cause ({@link FailureKind#classify}; a {@link ClosedChannelException}, the failure of a stream the client
 * reset after a GOAWAY, counts as {@code reset}).
 */
final class Http2LoadGenerator implements Load {

    private static final long JOIN_MILLIS = TimeUnit.SECONDS.toMillis(20);

    private final HttpClient client = new HttpClient(new HttpClientTransportOverHTTP2(new HTTP2Client()));
    private final String base;
    private final List<Thread> threads = new ArrayList<>();
    private final List<LoadGenerator.LoadRecords> records = new ArrayList<>();
    private volatile boolean running = true;

    /**
     * @param target      where the clients connect
     * @param clientCount how many client threads
     * @param seed        seeds each client's random choices
     */
    Http2LoadGenerator(InetSocketAddress target, int clientCount, long seed) {
        this.base = "http://" + target.getHostString() + ":" + target.getPort();
        client.setName("web-swap-h2c");
        for (int i = 0; i < clientCount; i++) {
            LoadGenerator.LoadRecords own = new LoadGenerator.LoadRecords();
            SplittableRandom random = new SplittableRandom(seed + i);
            records.add(own);
            Thread thread = new Thread(() -> run(own, random), "web-swap-h2c-client-" + i);
            thread.setDaemon(true);
            threads.add(thread);
        }
    }

    @Override
    public void start() {
        try {
            client.start();
        } catch (Exception e) {
            throw new IllegalStateException("Jetty's HttpClient did not start: " + e, e);
        }
        threads.forEach(Thread::start);
    }

    private void run(LoadGenerator.LoadRecords own, SplittableRandom random) {
        while (running) {
            String path = random.nextInt(5) == 0 ? "/slow?ms=" + (5 + random.nextInt(46)) : "/fast";
            long start = System.nanoTime();
            try {
                ContentResponse response = client.newRequest(base + path)
                        .timeout(LoadGenerator.READ_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS).send();
                long end = System.nanoTime();
                if (response.getStatus() >= 200 && response.getStatus() < 300) {
                    own.success(start, end);
                } else {
                    failed(own, FailureKind.NON_2XX, start);
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return;
            } catch (TimeoutException e) {
                failed(own, FailureKind.TIMEOUT, start);
            } catch (ExecutionException e) {
                Throwable cause = e.getCause();
                FailureKind kind = cause instanceof ClosedChannelException ? FailureKind.RESET
                        : cause instanceof IOException io ? FailureKind.classify(io, true) : FailureKind.OTHER;
                failed(own, kind, start);
            }
        }
    }

    private static void failed(LoadGenerator.LoadRecords own, FailureKind kind, long startNanos) {
        own.failure(kind, startNanos, System.nanoTime());
        LockSupport.parkNanos(LoadGenerator.PAUSE_AFTER_FAILURE.toNanos());
    }

    @Override
    public void stop() throws InterruptedException {
        running = false;
        try {
            for (Thread thread : threads) {
                thread.join(JOIN_MILLIS);
                if (thread.isAlive()) {
                    throw new IllegalStateException(thread.getName() + " did not stop within " + JOIN_MILLIS + " ms");
                }
            }
        } finally {
            try {
                client.stop();
            } catch (Exception e) {
                // the run is over either way
            }
        }
    }

    @Override
    public LoadGenerator.LoadRecords records() {
        LoadGenerator.LoadRecords merged = new LoadGenerator.LoadRecords();
        records.forEach(merged::add);
        return merged;
    }
}
