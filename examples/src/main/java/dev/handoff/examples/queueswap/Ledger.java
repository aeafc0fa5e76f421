package dev.handoff.examples.queueswap;

import java.time.Duration;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.LongAdder;

/**
 * Every job run, keyed by job id: recorded first thing in the handler, when the job's side effect begins.
 * Thread-safe.
 */
final class Ledger {
    private final ConcurrentHashMap<String, AtomicInteger> runs = new ConcurrentHashMap<>();
    private final LongAdder total = new LongAdder();
    private final LongAdder unmarked = new LongAdder();
    private final Object progress = new Object();
    private volatile long waitingFor = Long.MAX_VALUE;

    void record(String jobId, boolean redelivered) {
        AtomicInteger count = runs.get(jobId);
        if (count == null) {
            count = runs.computeIfAbsent(jobId, id -> new AtomicInteger());
        }
        if (count.incrementAndGet() > 1 && !redelivered) {
            unmarked.increment();
        }
        total.increment();
        if (runs.size() >= waitingFor) {
            synchronized (progress) {
                progress.notifyAll();
            }
        }
    }

    /**
     * Waits until {@code count} distinct jobs ran.
     *
     * @return whether they did within {@code timeout}
     */
    boolean awaitDistinct(long count, Duration timeout) throws InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        synchronized (progress) {
            waitingFor = count;
            try {
                while (runs.size() < count) {
                    long left = deadline - System.nanoTime();
                    if (left <= 0) {
                        return false;
                    }
                    TimeUnit.NANOSECONDS.timedWait(progress, Math.min(left, TimeUnit.MILLISECONDS.toNanos(100)));
                }
                return true;
            } finally {
                waitingFor = Long.MAX_VALUE;
            }
        }
    }

    long distinct() {
        return runs.size();
    }

    long total() {
        return total.sum();
    }

    long duplicates() {
        return total.sum() - runs.size();
    }

    /** @return duplicates whose later run was not marked redelivered: a broken contract */
    long unmarkedDuplicates() {
        return unmarked.sum();
    }
}
