package dev.handoff.jetty.process;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.ConnectException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.LongAdder;

import org.eclipse.jetty.client.ContentResponse;
import org.eclipse.jetty.client.HttpClient;
import org.eclipse.jetty.util.thread.QueuedThreadPool;

/**
 * Load for the process tests, with clients that never retry: keep-alive clients (Jetty's HttpClient, pooled
 * connections) and fresh-connection clients (one plain socket per request, so that a refused connection and a reset
 * before the response are told apart). Every failed attempt is recorded once, with its kind.
 */
final class ProcessLoad implements AutoCloseable {

    /** What went wrong with one request. */
    enum Kind {
        /** The connection was refused: nothing listened on the port. */
        REFUSED,
        /** The connection was reset or closed before any byte of response (or failed in the pooled client). */
        CONNECTION_LOST,
        /** A response started and was cut. */
        RESPONSE_CUT,
        /** A response other than 200. */
        HTTP_ERROR
    }

    private final int port;
    private final HttpClient client;
    private final List<Thread> threads = new ArrayList<>();
    private final AtomicBoolean stop = new AtomicBoolean();
    final LongAdder total = new LongAdder();
    final LongAdder succeeded = new LongAdder();
    final LongAdder freshConnections = new LongAdder();
    final ConcurrentLinkedQueue<String> failures = new ConcurrentLinkedQueue<>();
    final Map<Kind, LongAdder> failuresByKind = new ConcurrentHashMap<>();
    final Map<String, LongAdder> servedBy = new ConcurrentHashMap<>();

    ProcessLoad(int port, int keepAliveConnections) throws Exception {
        this.port = port;
        QueuedThreadPool pool = new QueuedThreadPool(16);
        pool.setName("load-client");
        pool.setDaemon(true);
        client = new HttpClient();
        client.setExecutor(pool);
        client.setMaxConnectionsPerDestination(Math.max(1, keepAliveConnections));
        client.setFollowRedirects(false);
        client.start();
    }

    /** Starts {@code count} keep-alive client threads, alternating fast and 5 ms requests. */
    ProcessLoad keepAlive(int count) {
        for (int index = 0; index < count; index++) {
            int number = index;
            start("keep-alive-" + index, () -> {
                for (int sent = 0; !stop.get(); sent++) {
                    send((sent + number) % 4 == 0 ? "/slow?ms=5" : "/fast");
                }
            });
        }
        return this;
    }

    /** Starts {@code count} client threads that open a new connection for each request. */
    ProcessLoad fresh(int count) {
        for (int index = 0; index < count; index++) {
            start("fresh-" + index, () -> {
                while (!stop.get()) {
                    sendOnFreshConnection("/fast");
                }
            });
        }
        return this;
    }

    private void start(String name, Runnable loop) {
        Thread thread = new Thread(loop, name);
        thread.setDaemon(true);
        threads.add(thread);
        thread.start();
    }

    /** Sends one request over the pooled connections; returns the serving instance, or null when it failed. */
    String send(String path) {
        total.increment();
        try {
            ContentResponse response = client.newRequest("http://127.0.0.1:" + port + path)
                    .timeout(20, TimeUnit.SECONDS).send();
            if (response.getStatus() != 200) {
                fail(Kind.HTTP_ERROR, path + " -> HTTP " + response.getStatus() + " "
                        + response.getContentAsString());
                return null;
            }
            return record(response.getHeaders().get("X-Instance"));
        } catch (Exception e) {
            fail(Kind.CONNECTION_LOST, path + " -> " + e);
            return null;
        }
    }

    /** Sends one request on a new connection, closed after it; returns the serving instance or null. */
    String sendOnFreshConnection(String path) {
        total.increment();
        freshConnections.increment();
        try (Socket socket = new Socket()) {
            try {
                socket.connect(new InetSocketAddress("127.0.0.1", port), 5_000);
            } catch (ConnectException e) {
                fail(Kind.REFUSED, path + " -> connect: " + e.getMessage());
                return null;
            }
            socket.setSoTimeout(20_000);
            socket.getOutputStream().write(("GET " + path + " HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n")
                    .getBytes(StandardCharsets.US_ASCII));
            InputStream in = socket.getInputStream();
            ByteArrayOutputStream received = new ByteArrayOutputStream();
            try {
                in.transferTo(received);
            } catch (IOException e) {
                fail(received.size() == 0 ? Kind.CONNECTION_LOST : Kind.RESPONSE_CUT,
                        path + " -> after " + received.size() + " bytes: " + e);
                return null;
            }
            String response = received.toString(StandardCharsets.US_ASCII);
            if (!response.startsWith("HTTP/1.1 200")) {
                fail(response.isEmpty() ? Kind.CONNECTION_LOST
                                : response.startsWith("HTTP/1.1 ") ? Kind.HTTP_ERROR : Kind.RESPONSE_CUT,
                        path + " -> '" + response.lines().findFirst().orElse("") + "' (EOF)");
                return null;
            }
            int header = response.indexOf("\nX-Instance: ");
            String instance = response.substring(header + 13, response.indexOf('\r', header + 13));
            return record(instance);
        } catch (IOException e) {
            fail(Kind.CONNECTION_LOST, path + " -> " + e);
            return null;
        }
    }

    private String record(String instance) {
        servedBy.computeIfAbsent(instance, key -> new LongAdder()).increment();
        succeeded.increment();
        return instance;
    }

    private void fail(Kind kind, String description) {
        failuresByKind.computeIfAbsent(kind, key -> new LongAdder()).increment();
        failures.add(kind + ": " + description);
    }

    long failed(Kind kind) {
        LongAdder adder = failuresByKind.get(kind);
        return adder == null ? 0 : adder.sum();
    }

    long served(String instance) {
        LongAdder adder = servedBy.get(instance);
        return adder == null ? 0 : adder.sum();
    }

    /** Tells the threads to stop and waits (bounded) until they have. */
    void stopAndJoin() throws InterruptedException {
        stop.set(true);
        for (Thread thread : threads) {
            thread.join(TimeUnit.SECONDS.toMillis(30));
            if (thread.isAlive()) {
                throw new IllegalStateException(thread.getName() + " did not stop within 30 s");
            }
        }
    }

    @Override
    public void close() throws Exception {
        stop.set(true);
        client.stop();
    }
}
