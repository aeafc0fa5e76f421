package dev.handoff.examples.springswap;

import com.rabbitmq.client.Channel;
import com.rabbitmq.client.Connection;
import com.rabbitmq.client.ConnectionFactory;
import com.rabbitmq.client.DeliverCallback;
import com.rabbitmq.client.MessageProperties;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.locks.LockSupport;

/**
 * The jobs of a {@code spring-swap} run: a publisher that sends persistent jobs to {@code spring-jobs} at a steady
 * rate, each confirmed by the broker before it counts as published, and a reader of {@code spring-done}, where the
 * sample application reports each job it ran. Lost: published and never done; duplicated: done more than once.
 */
final class JobFlow implements AutoCloseable {

    static final String JOBS = "spring-jobs";
    static final String DONE = "spring-done";

    private final String prefix;
    private final Connection connection;
    private final Channel publishing;
    private final Channel reading;
    private final Map<String, AtomicInteger> done = new ConcurrentHashMap<>();
    private final AtomicInteger published = new AtomicInteger();
    private final Thread publisher;
    private volatile boolean running = true;
    private volatile Exception publishFailure;

    JobFlow(ConnectionFactory factory, String prefix, int jobsPerSecond) throws IOException, TimeoutException {
        this.prefix = prefix;
        this.connection = factory.newConnection("spring-swap-" + prefix);
        Channel setup = connection.createChannel();
        setup.queueDeclare(JOBS, true, false, false, null);
        setup.queueDeclare(DONE, true, false, false, null);
        setup.queuePurge(JOBS);
        setup.queuePurge(DONE);
        setup.close();
        this.reading = connection.createChannel();
        DeliverCallback onDone = (tag, delivery) -> {
            String body = new String(delivery.getBody(), StandardCharsets.UTF_8);
            String id = body.substring(0, body.indexOf(' '));
            done.computeIfAbsent(id, key -> new AtomicInteger()).incrementAndGet();
        };
        reading.basicConsume(DONE, true, onDone, tag -> { });
        this.publishing = connection.createChannel();
        publishing.confirmSelect();
        long periodNanos = TimeUnit.SECONDS.toNanos(1) / jobsPerSecond;
        this.publisher = new Thread(() -> publish(periodNanos), "spring-swap-publisher");
        this.publisher.setDaemon(true);
    }

    void start() {
        publisher.start();
    }

    private void publish(long periodNanos) {
        long next = System.nanoTime();
        int sequence = 0;
        try {
            while (running) {
                int batch = 0;
                for (; batch < 10 && running; batch++) {
                    publishing.basicPublish("", JOBS, MessageProperties.PERSISTENT_BASIC,
                            (prefix + "-" + sequence++).getBytes(StandardCharsets.UTF_8));
                    next += periodNanos;
                    LockSupport.parkNanos(next - System.nanoTime());
                }
                publishing.waitForConfirmsOrDie(10_000);
                published.addAndGet(batch);
            }
        } catch (IOException | TimeoutException | InterruptedException | RuntimeException e) {
            publishFailure = e;
        }
    }

    /** Stops publishing after the current batch is confirmed. */
    void stopPublishing() throws InterruptedException {
        running = false;
        publisher.join(TimeUnit.SECONDS.toMillis(15));
        if (publishFailure != null) {
            throw new IllegalStateException("publishing failed: " + publishFailure, publishFailure);
        }
    }

    /**
     * Waits until every published job is reported done, at most {@code timeoutMillis}.
     *
     * @return whether they all were
     */
    boolean awaitAllDone(long timeoutMillis) {
        long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(timeoutMillis);
        while (distinctDone() < published.get() && System.nanoTime() - deadline < 0) {
            LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(50));
        }
        return distinctDone() >= published.get();
    }

    int published() {
        return published.get();
    }

    int distinctDone() {
        return done.size();
    }

    long lost() {
        long lost = 0;
        for (int i = 0; i < published.get(); i++) {
            if (!done.containsKey(prefix + "-" + i)) {
                lost++;
            }
        }
        return lost;
    }

    long duplicated() {
        return done.values().stream().mapToLong(count -> count.get() - 1L).sum();
    }

    @Override
    public void close() throws IOException {
        connection.close();
    }
}
