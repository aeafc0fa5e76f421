package dev.handoff.examples.demo;

import java.time.Duration;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.LongAdder;

/**
 * Every job processed, keyed by job id: the handler records a job when its work is done, just before it returns
 * (and the consumer acknowledges it). A job recorded twice was processed twice: a duplicate. Thread-safe.
 */
final class JobLedger {

    private final ConcurrentHashMap<String, AtomicInteger> runs = new ConcurrentHashMap<>();
    private final LongAdder total = new LongAdder();
    private final Object progress = new Object();
    private volatile long waitingFor = Long.MAX_VALUE;

    /** @param jobId a job whose work has just been done */
    void processed(String jobId) {
        runs.computeIfAbsent(jobId, id -> new AtomicInteger()).incrementAndGet();
        total.increment();
        if (runs.size() >= waitingFor) {
            synchronized (progress) {
                progress.notifyAll();
            }
        }
    }

    /**
     * Waits until {@code count} distinct jobs were processed.
     *
     * @param count   distinct jobs
     * @param timeout the longest wait
     * @return whether they were, within {@code timeout}
     * @throws InterruptedException when interrupted while waiting
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
                    // bounded: a record racing with the volatile write above is seen at the next check
                    TimeUnit.NANOSECONDS.timedWait(progress, Math.min(left, TimeUnit.MILLISECONDS.toNanos(50)));
                }
                return true;
            } finally {
                waitingFor = Long.MAX_VALUE;
            }
        }
    }

    /** @return distinct jobs processed */
    long distinct() {
        return runs.size();
    }

    /** @return extra runs: every processing of a job after its first */
    long duplicated() {
        return total.sum() - runs.size();
    }
}
