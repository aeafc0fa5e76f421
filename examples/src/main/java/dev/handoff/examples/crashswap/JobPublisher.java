package dev.handoff.examples.crashswap;

import com.rabbitmq.client.Channel;
import com.rabbitmq.client.Connection;
import com.rabbitmq.client.ConnectionFactory;
import dev.handoff.rabbitmq.RabbitMqJobSource;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;

/**
 * Publishes persistent jobs {@code job-00000000}, {@code job-00000001}... at a steady rate on its own thread, with
 * publisher confirms every {@value #BATCH} jobs: {@link #confirmed()} counts the jobs the broker confirmed, the only
 * ones a lost job can be among. {@link #pause()} returns once the last batch is confirmed and the connection closed
 * (so a broker can be stopped with nothing unconfirmed); {@link #resume()} reconnects. Thread-safe.
 */
final class JobPublisher {

    static final int BATCH = 50;
    private static final Duration CONFIRM_TIMEOUT = Duration.ofSeconds(10);

    private final ConnectionFactory factory;
    private final String queue;
    private final long nanosPerJob;
    private final Thread thread;
    private final Object lock = new Object();
    /** Guarded by {@link #lock}. */
    private boolean pauseAsked;
    /** Guarded by {@link #lock}. */
    private boolean paused;
    /** Guarded by {@link #lock}. */
    private boolean stopAsked;
    /** Guarded by {@link #lock}. */
    private boolean stopped;
    private volatile long confirmed;
    private volatile Exception failure;

    JobPublisher(ConnectionFactory factory, String queue, int jobsPerSecond) {
        this.factory = factory;
        this.queue = queue;
        this.nanosPerJob = TimeUnit.SECONDS.toNanos(1) / jobsPerSecond;
        this.thread = new Thread(this::run, "crash-swap-publisher");
        this.thread.setDaemon(true);
    }

    /** @return the id of job {@code index} */
    static String jobId(long index) {
        return String.format("job-%08d", index);
    }

    void start() {
        thread.start();
    }

    /** @return jobs the broker confirmed */
    long confirmed() {
        return confirmed;
    }

    /** @return why publishing stopped early, or null */
    Exception failure() {
        return failure;
    }

    /**
     * Pauses after the current batch is confirmed and closes the connection.
     *
     * @param timeout the longest wait
     * @throws IllegalStateException when the publisher did not pause in time
     * @throws InterruptedException  when interrupted while waiting
     */
    void pause(Duration timeout) throws InterruptedException {
        synchronized (lock) {
            pauseAsked = true;
            awaitLocked(() -> paused || stopped, timeout, "pause");
        }
    }

    /** Reconnects and publishes again. */
    void resume() {
        synchronized (lock) {
            pauseAsked = false;
            lock.notifyAll();
        }
    }

    /**
     * Stops after the current batch is confirmed.
     *
     * @param timeout the longest wait
     * @throws IllegalStateException when the publisher did not stop in time
     * @throws InterruptedException  when interrupted while waiting
     */
    void stop(Duration timeout) throws InterruptedException {
        if (thread.getState() == Thread.State.NEW) {
            return;
        }
        synchronized (lock) {
            stopAsked = true;
            lock.notifyAll();
            awaitLocked(() -> stopped, timeout, "stop");
        }
    }

    private void awaitLocked(java.util.function.BooleanSupplier condition, Duration timeout, String what)
            throws InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (!condition.getAsBoolean()) {
            long left = deadline - System.nanoTime();
            if (left <= 0) {
                throw new IllegalStateException("the publisher did not " + what + " within " + timeout);
            }
            TimeUnit.NANOSECONDS.timedWait(lock, left);
        }
    }

    private void run() {
        long next = 0;
        try {
            while (true) {
                synchronized (lock) {
                    if (stopAsked) {
                        return;
                    }
                }
                next = publishUntilPausedOrStopped(next);
                synchronized (lock) {
                    paused = true;
                    lock.notifyAll();
                    while (pauseAsked && !stopAsked) {
                        lock.wait();
                    }
                    paused = false;
                }
            }
        } catch (Exception e) {
            failure = e;
        } finally {
            synchronized (lock) {
                stopped = true;
                lock.notifyAll();
            }
        }
    }

    /** @return the index of the next job to publish */
    private long publishUntilPausedOrStopped(long first) throws Exception {
        long next = first;
        try (Connection connection = factory.newConnection("crash-swap publisher")) {
            Channel channel = connection.createChannel();
            channel.confirmSelect();
            long startNanos = System.nanoTime();
            while (true) {
                for (int i = 0; i < BATCH; i++) {
                    String id = jobId(next + i);
                    RabbitMqJobSource.publish(channel, queue, id, id.getBytes(StandardCharsets.UTF_8));
                    // load shape, not synchronisation: a steady rate
                    long due = startNanos + (next + i + 1 - first) * nanosPerJob;
                    long wait = due - System.nanoTime();
                    if (wait > 0) {
                        LockSupport.parkNanos(wait);
                    }
                }
                channel.waitForConfirmsOrDie(CONFIRM_TIMEOUT.toMillis());
                next += BATCH;
                confirmed = next;
                synchronized (lock) {
                    if (pauseAsked || stopAsked) {
                        return next;
                    }
                }
            }
        }
    }
}
