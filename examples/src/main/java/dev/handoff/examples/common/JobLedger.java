package dev.handoff.examples.common;

import java.time.Duration;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.LongAdder;

/**
 * Every job run, keyed by job id: a job handler records each job it runs. A job recorded twice ran twice: a
 * duplicate. Thread-safe; {@link #record(String, boolean)} is lock-free unless a waiter is close to its count.
 */
public final class JobLedger {

    private final ConcurrentHashMap<String, AtomicInteger> runs = new ConcurrentHashMap<>();
    private final LongAdder total = new LongAdder();
    private final LongAdder unmarked = new LongAdder();
    private final Object progress = new Object();
    private volatile long waitingFor = Long.MAX_VALUE;

    /**
     * @param jobId       a job run now
     * @param redelivered whether the job source marked this delivery of it as a redelivery
     * @return whether this was the job's first run
     */
    public boolean record(String jobId, boolean redelivered) {
        AtomicInteger count = runs.get(jobId);
        if (count == null) {
            count = runs.computeIfAbsent(jobId, id -> new AtomicInteger());
        }
        boolean first = count.incrementAndGet() == 1;
        if (!first && !redelivered) {
            unmarked.increment();
        }
        total.increment();
        if (runs.size() >= waitingFor) {
            synchronized (progress) {
                progress.notifyAll();
            }
        }
        return first;
    }

    /**
     * Waits until {@code count} distinct jobs ran.
     *
     * @param count   distinct jobs
     * @param timeout the longest wait
     * @return whether they did, within {@code timeout}
     * @throws InterruptedException when interrupted while waiting
     */
    public boolean awaitDistinct(long count, Duration timeout) throws InterruptedException {
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

    /** @return distinct jobs run */
    public long distinct() {
        return runs.size();
    }

    /** @return extra runs: every run of a job after its first */
    public long duplicates() {
        return total.sum() - runs.size();
    }

    /** @return duplicates whose later run was not marked redelivered: a broken contract */
    public long unmarkedDuplicates() {
        return unmarked.sum();
    }
}
