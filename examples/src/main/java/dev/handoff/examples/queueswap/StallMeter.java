package dev.handoff.examples.queueswap;

import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLongArray;

/**
 * The longest time any partition had records waiting while no consumer processed it: per partition, the records
 * published, the furthest record processed (its position in the partition, first runs only) and the time of the last
 * progress. A partition waits while records were published after the furthest one processed (a record the group
 * moved past, lost, does not keep it waiting). A sampler thread, every 5 ms, measures each waiting partition from its
 * last progress (or from when it started waiting, whichever is later). Thread-safe; {@link #published} and
 * {@link #processed} are lock-free.
 */
final class StallMeter implements AutoCloseable {

    private static final long SAMPLE_MILLIS = 5;

    private final int partitions;
    private final AtomicLongArray published;
    private final AtomicLongArray processed;
    private final AtomicLongArray lastProgress;
    private final long[] waitingSince;
    private final Thread sampler;
    private volatile long maxStallNanos;
    private volatile boolean closed;

    StallMeter(int partitions) {
        this.partitions = partitions;
        this.published = new AtomicLongArray(partitions);
        this.processed = new AtomicLongArray(partitions);
        this.lastProgress = new AtomicLongArray(partitions);
        this.waitingSince = new long[partitions];
        this.sampler = new Thread(this::sample, "queue-swap-stall-meter");
        sampler.setDaemon(true);
        sampler.start();
    }

    /** A record was published to {@code partition}. */
    void published(int partition) {
        published.incrementAndGet(partition);
    }

    /**
     * A record ran for the first time.
     *
     * @param partition its partition
     * @param position  its position in the partition, from 0
     */
    void processed(int partition, long position) {
        lastProgress.set(partition, System.nanoTime());
        processed.accumulateAndGet(partition, position + 1, Math::max);
    }

    /** @return the longest stall seen, in ms */
    long maxStallMillis() {
        return TimeUnit.NANOSECONDS.toMillis(maxStallNanos);
    }

    private void sample() {
        while (!closed) {
            long now = System.nanoTime();
            for (int partition = 0; partition < partitions; partition++) {
                boolean waiting = processed.get(partition) < published.get(partition);
                long progress = lastProgress.get(partition);
                if (!waiting || progress == 0) {
                    // not waiting, or not started yet: the first assignment is not a stall of a running group
                    waitingSince[partition] = 0;
                    continue;
                }
                if (waitingSince[partition] == 0) {
                    waitingSince[partition] = now;
                }
                long stall = now - Math.max(progress, waitingSince[partition]);
                if (stall > maxStallNanos) {
                    maxStallNanos = stall;
                }
            }
            try {
                TimeUnit.MILLISECONDS.sleep(SAMPLE_MILLIS);
            } catch (InterruptedException e) {
                return;
            }
        }
    }

    @Override
    public void close() {
        closed = true;
        sampler.interrupt();
    }
}
