package dev.handoff.examples.queueswap;

import java.time.Duration;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Supplier;

import dev.handoff.queue.Job;
import dev.handoff.queue.JobHandler;
import dev.handoff.queue.spi.Delivery;
import dev.handoff.queue.spi.JobSource;
import dev.handoff.queue.spi.JobSourceException;
import dev.handoff.queue.spi.Subscription;

/**
 * The baseline: a consumer with no handoff wrapper, as most applications write one: a thread pool runs the
 * handler for each delivery and acks after it. It retires either naively ({@link #closeNow()}) or by cancelling
 * and finishing what it holds ({@link #cancelAndFinish(Duration)}). Thread-safe.
 */
final class PlainConsumer {
    private final JobHandler handler;
    private final int concurrency;
    private final int prefetch;
    private final Supplier<? extends JobSource> sources;
    private final AtomicInteger held = new AtomicInteger();
    private final AtomicInteger running = new AtomicInteger();
    private final Object settled = new Object();
    private volatile boolean closed;
    private JobSource source;
    private Subscription subscription;
    private ExecutorService pool;

    PlainConsumer(Supplier<? extends JobSource> sources, JobHandler handler, int concurrency, int prefetch) {
        this.sources = sources;
        this.handler = handler;
        this.concurrency = concurrency;
        this.prefetch = prefetch;
    }

    /** Connects and subscribes. */
    PlainConsumer start() {
        pool = Executors.newFixedThreadPool(concurrency, runnable -> {
            Thread thread = new Thread(runnable, "plain-consumer");
            thread.setDaemon(true);
            return thread;
        });
        source = sources.get();
        subscription = source.subscribe(prefetch, delivery -> {
            held.incrementAndGet();
            pool.execute(() -> process(delivery));
        });
        return this;
    }

    private void process(Delivery delivery) {
        try {
            if (closed) {
                return; // the channel is gone: the broker took the job back
            }
            running.incrementAndGet();
            try {
                handler.handle(new Job(delivery.jobId(), delivery.body(), delivery.redelivered(), 1));
                delivery.ack();
            } catch (JobSourceException e) {
                // the ack failed: the broker redelivers the job; requeueing it would fail the same way
            } catch (Exception e) {
                requeueQuietly(delivery);
            } finally {
                running.decrementAndGet();
            }
        } finally {
            if (held.decrementAndGet() == 0) {
                synchronized (settled) {
                    settled.notifyAll();
                }
            }
        }
    }

    private static void requeueQuietly(Delivery delivery) {
        try {
            delivery.requeue();
        } catch (JobSourceException e) {
            // the broker has it already
        }
    }

    /**
     * The naive retirement: closes the channel at once (the broker requeues what it held); handlers still running
     * finish, and their acks fail.
     *
     * @return the handlers running at the close
     */
    int closeNow() {
        closed = true;
        int abandoned = running.get();
        subscription.close();
        source.close();
        pool.shutdown();
        return abandoned;
    }

    /**
     * Cancels, waits for the cancel-ok, processes everything already delivered, then closes.
     *
     * @param timeout bound on the whole retirement
     * @throws TimeoutException when it takes longer (the consumer is then closed at once)
     */
    void cancelAndFinish(Duration timeout) throws Exception {
        long deadline = System.nanoTime() + timeout.toNanos();
        try {
            subscription.cancel().toCompletableFuture().get(timeout.toMillis(), TimeUnit.MILLISECONDS);
            synchronized (settled) {
                while (held.get() > 0) {
                    long left = deadline - System.nanoTime();
                    if (left <= 0) {
                        throw new TimeoutException("cancel-and-finish did not finish in " + timeout);
                    }
                    TimeUnit.NANOSECONDS.timedWait(settled, left);
                }
            }
        } finally {
            closeNow();
        }
    }
}
