package dev.handoff.core.internal.swap;

import java.util.concurrent.atomic.AtomicReference;

/**
 * Not API, for the tests of the recovery only: stops the next orchestrator built dead just before its journal's k-th
 * append (counted from 1 since it was built), as if its process had been killed there. The record is not written,
 * the task that asked for it goes no further, no task of that orchestrator runs again, and its journal's lock is
 * released, so that a new orchestrator can take the group. Production code never arms it.
 *
 * <p>Thread-safe; one arming is consumed by the next orchestrator with a state directory.
 */
public final class CrashPoints {

    private static final AtomicReference<Armed> NEXT = new AtomicReference<>();

    private CrashPoints() {
    }

    /**
     * @param record the number of the append to die at, from 1; {@link Long#MAX_VALUE} only counts
     * @return the arming, which says whether it fired and how many appends were made
     */
    public static Armed stopNextOrchestratorDeadAt(long record) {
        if (record < 1) {
            throw new IllegalArgumentException("record must be >= 1, but was " + record);
        }
        Armed armed = new Armed(record);
        NEXT.set(armed);
        return armed;
    }

    static Armed take() {
        return NEXT.getAndSet(null);
    }

    /** Thrown by the append the orchestrator dies at, to end the task that asked for it. */
    static final class Halted extends RuntimeException {
        private static final long serialVersionUID = 1L;

        Halted(long record) {
            super("the orchestrator was stopped dead before journal append " + record + " (a test's crash point)");
        }
    }

    /** One arming. Thread-safe. */
    public static final class Armed {
        private final long at;
        private volatile long appends;
        private volatile boolean fired;

        private Armed(long at) {
            this.at = at;
        }

        /** @return whether the orchestrator died */
        public boolean fired() {
            return fired;
        }

        /** @return how many appends the orchestrator asked for (the one it died at included) */
        public long appends() {
            return appends;
        }

        /** Installs the crash point on an engine's journal. */
        void install(SwapEngine engine) {
            engine.journal.hook((count, record) -> {
                appends = count;
                if (count == at) {
                    fired = true;
                    engine.serial.halt();
                    engine.journal.close();
                    throw new Halted(count);
                }
            });
        }
    }
}
