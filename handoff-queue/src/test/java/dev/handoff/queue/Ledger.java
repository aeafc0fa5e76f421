package dev.handoff.queue;

import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.LongAdder;

/**
 * Records every job a handler started, keyed by job id: the check any reviewer accepts. A job processed twice is
 * a duplicate; a duplicate whose later run was not marked redelivered breaks the contract.
 */
final class Ledger {
    private final ConcurrentHashMap<String, AtomicInteger> runs = new ConcurrentHashMap<>();
    private final LongAdder total = new LongAdder();
    private final LongAdder unmarkedDuplicates = new LongAdder();

    /** Called first thing in the handler: the job's side effect has begun. */
    void record(Job job) {
        int count = runs.computeIfAbsent(job.id(), id -> new AtomicInteger()).incrementAndGet();
        total.increment();
        if (count > 1 && !job.redelivered()) {
            unmarkedDuplicates.increment();
        }
    }

    long distinct() {
        return runs.size();
    }

    long duplicates() {
        return total.sum() - runs.size();
    }

    long unmarkedDuplicates() {
        return unmarkedDuplicates.sum();
    }

    long lost(int published) {
        long missing = 0;
        for (int i = 0; i < published; i++) {
            if (!runs.containsKey(SwapScenarios.jobId(i))) {
                missing++;
            }
        }
        return missing;
    }

    @Override
    public String toString() {
        return "Ledger[distinct=" + distinct() + ", duplicates=" + duplicates() + ", unmarked="
                + unmarkedDuplicates() + "]";
    }
}
