package dev.handoff.examples.webswap;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;

/**
 * Concurrent HTTP clients on loopback: three in four keep their connection alive, every fourth opens a new one per
 * request; one request in five is slow ({@code /slow?ms=5..50}), the rest fast. A client never retries: each
 * attempt is recorded once, as a latency when it succeeds or as a {@link FailureKind} when it fails; after a
 * failure the connection is closed, the client pauses 10 ms, and its next (new) request opens a new connection.
 *
 * <p>Each client records into its own arrays, so the hot loop shares nothing; {@link #stop()} joins the clients
 * before the records are read. Also the web load of the {@code demo} command.
 */
public final class LoadGenerator implements Load {

    static final Duration CONNECT_TIMEOUT = Duration.ofSeconds(2);
    static final Duration READ_TIMEOUT = Duration.ofSeconds(10);
    /** A client pauses this long after a failed attempt, so that a refused port is not hammered in a busy loop. */
    static final Duration PAUSE_AFTER_FAILURE = Duration.ofMillis(10);
    private static final Duration JOIN_TIMEOUT = READ_TIMEOUT.plusSeconds(5);

    private final InetSocketAddress target;
    private final List<Client> clients = new ArrayList<>();
    private volatile boolean running = true;

    /**
     * @param target      where the clients connect
     * @param clientCount how many clients
     * @param seed        seeds each client's random choices (client {@code i} uses {@code seed + i})
     */
    public LoadGenerator(InetSocketAddress target, int clientCount, long seed) {
        this(target, clientCount, seed, false);
    }

    /**
     * @param target      where the clients connect
     * @param clientCount how many clients
     * @param seed        seeds each client's random choices (client {@code i} uses {@code seed + i})
     * @param probing     whether one more client runs beside them whose every fourth request is a probe, counted
     *                    apart ({@link LoadRecords#probes()}): alternately a {@code CONNECT} (after which it closes
     *                    its connection) and a {@code GET} with forged {@code X-Forwarded-For}, {@code
     *                    X-Forwarded-Host} and {@code Forwarded} headers; its other requests count as usual
     */
    public LoadGenerator(InetSocketAddress target, int clientCount, long seed, boolean probing) {
        this.target = target;
        for (int i = 0; i < clientCount; i++) {
            clients.add(new Client(i, i % 4 != 3, new SplittableRandom(seed + i), false));
        }
        if (probing) {
            clients.add(new Client(clientCount, true, new SplittableRandom(seed + clientCount), true));
        }
    }

    /** Starts the clients' threads. */
    @Override
    public void start() {
        for (Client client : clients) {
            client.thread.start();
        }
    }

    /**
     * Stops the clients after their current request and waits for them (bounded by the read timeout).
     *
     * @throws IllegalStateException when a client does not finish in time
     * @throws InterruptedException  when interrupted while waiting
     */
    @Override
    public void stop() throws InterruptedException {
        running = false;
        long deadline = System.nanoTime() + JOIN_TIMEOUT.toNanos();
        for (Client client : clients) {
            long remaining = TimeUnit.NANOSECONDS.toMillis(deadline - System.nanoTime());
            client.thread.join(Math.max(1, remaining));
            if (client.thread.isAlive()) {
                throw new IllegalStateException("client " + client.index + " did not stop within " + JOIN_TIMEOUT);
            }
        }
    }

    /** @return every client's records, merged; call after {@link #stop()} */
    @Override
    public LoadRecords records() {
        LoadRecords merged = new LoadRecords();
        for (Client client : clients) {
            merged.add(client.records);
        }
        return merged;
    }

    private final class Client implements Runnable {
        private final int index;
        private final boolean keepAlive;
        private final SplittableRandom random;
        private final LoadRecords records = new LoadRecords();
        private final Thread thread;
        private RawHttpConnection connection;

        private final boolean probing;
        private long sent;

        Client(int index, boolean keepAlive, SplittableRandom random, boolean probing) {
            this.index = index;
            this.keepAlive = keepAlive;
            this.random = random;
            this.probing = probing;
            this.thread = new Thread(this, "web-swap-client-" + index + (probing ? "-probing" : ""));
            this.thread.setDaemon(true);
        }

        @Override
        public void run() {
            try {
                while (running) {
                    sent++;
                    if (probing && sent % 4 == 0) {
                        probe(sent % 8 == 0);
                    } else {
                        attempt(random.nextInt(5) == 0 ? "/slow?ms=" + (5 + random.nextInt(46)) : "/fast");
                    }
                }
            } finally {
                closeConnection();
            }
        }

        /** One probe, counted apart by what came back; a CONNECT's connection is closed after it. */
        private void probe(boolean connect) {
            String name = connect ? "connect" : "forged_forwarding";
            try {
                if (connection == null || !connection.isUsable()) {
                    closeConnection();
                    connection = RawHttpConnection.open(target, CONNECT_TIMEOUT, READ_TIMEOUT);
                }
                int status = connect
                        ? connection.exchange("CONNECT", "evil.example:443", "Host: evil.example:443\r\n", false)
                        : connection.exchange("GET", "/fast", "Host: 127.0.0.1\r\nX-Forwarded-For: 6.6.6.6\r\n"
                                + "X-Forwarded-Host: evil.example\r\nForwarded: for=6.6.6.6;host=evil.example\r\n",
                                false);
                records.probe(name + "_" + status);
            } catch (IOException | RuntimeException e) {
                records.probe(name + "_failed");
                closeConnection();
            }
            if (connect) {
                closeConnection();
            }
        }

        private void attempt(String path) {
            long start = System.nanoTime();
            boolean reused = false;
            try {
                if (connection == null || !connection.isUsable()) {
                    closeConnection();
                    connection = RawHttpConnection.open(target, CONNECT_TIMEOUT, READ_TIMEOUT);
                }
                reused = connection.isReused();
                int status = connection.exchange(path, !keepAlive);
                long end = System.nanoTime();
                if (status >= 200 && status < 300) {
                    records.success(start, end);
                } else {
                    failed(FailureKind.NON_2XX, start);
                }
            } catch (IOException e) {
                failed(FailureKind.classify(e, reused), start);
            } catch (RuntimeException e) {
                failed(FailureKind.OTHER, start);
            }
        }

        private void failed(FailureKind kind, long startNanos) {
            records.failure(kind, startNanos, System.nanoTime());
            closeConnection();
            LockSupport.parkNanos(PAUSE_AFTER_FAILURE.toNanos());
        }

        private void closeConnection() {
            if (connection != null) {
                try {
                    connection.close();
                } catch (IOException e) {
                    // the connection is dropped either way
                }
                connection = null;
            }
        }
    }

    /**
     * Successful requests' start and end times, failures by kind, and each failed attempt's kind, start and end (so
     * that a failure can be set against what happened meanwhile, e.g. a member killed). Not thread-safe.
     */
    public static final class LoadRecords {
        private long[] starts = new long[1024];
        private long[] ends = new long[1024];
        private int successes;
        private final long[] failures = new long[FailureKind.values().length];
        private final List<FailedAttempt> failedAttempts = new ArrayList<>();
        private final Map<String, Long> probes = new TreeMap<>();

        void probe(String outcome) {
            probes.merge(outcome, 1L, Long::sum);
        }

        /** @return the probing client's probes by outcome, e.g. {@code connect_405}: counted apart, never failures */
        public Map<String, Long> probes() {
            return Collections.unmodifiableMap(probes);
        }

        void success(long startNanos, long endNanos) {
            if (successes == starts.length) {
                starts = Arrays.copyOf(starts, successes * 2);
                ends = Arrays.copyOf(ends, successes * 2);
            }
            starts[successes] = startNanos;
            ends[successes] = endNanos;
            successes++;
        }

        void failure(FailureKind kind) {
            failures[kind.ordinal()]++;
        }

        void failure(FailureKind kind, long startNanos, long endNanos) {
            failure(kind);
            failedAttempts.add(new FailedAttempt(kind, startNanos, endNanos));
        }

        void add(LoadRecords other) {
            for (int i = 0; i < other.successes; i++) {
                success(other.starts[i], other.ends[i]);
            }
            for (int i = 0; i < failures.length; i++) {
                failures[i] += other.failures[i];
            }
            failedAttempts.addAll(other.failedAttempts);
            other.probes.forEach((outcome, count) -> probes.merge(outcome, count, Long::sum));
        }

        /** @return the failed attempts whose times were recorded (every one the clients made), in no set order */
        public List<FailedAttempt> failedAttempts() {
            return List.copyOf(failedAttempts);
        }

        /** @param endNanos told the end of each successful request, a {@link System#nanoTime()} value */
        public void forEachSuccess(java.util.function.LongConsumer endNanos) {
            for (int i = 0; i < successes; i++) {
                endNanos.accept(ends[i]);
            }
        }

        /** @return successful requests */
        public int successes() {
            return successes;
        }

        /**
         * @param kind a kind of failure
         * @return failed attempts of that kind
         */
        public long failures(FailureKind kind) {
            return failures[kind.ordinal()];
        }

        /** @return failed attempts, all kinds */
        public long failed() {
            return Arrays.stream(failures).sum();
        }

        long startNanos(int i) {
            return starts[i];
        }

        long endNanos(int i) {
            return ends[i];
        }
    }

    /**
     * One failed attempt. Immutable.
     *
     * @param kind       why it failed
     * @param startNanos when it started, in {@link System#nanoTime()} terms
     * @param endNanos   when the client saw it fail
     */
    public record FailedAttempt(FailureKind kind, long startNanos, long endNanos) {

        /**
         * @param fromNanos start of a moment, in {@link System#nanoTime()} terms
         * @param toNanos   its end
         * @return whether this attempt was in flight at some point of {@code fromNanos..toNanos}
         */
        public boolean inFlightDuring(long fromNanos, long toNanos) {
            return startNanos <= toNanos && endNanos >= fromNanos;
        }
    }
}
