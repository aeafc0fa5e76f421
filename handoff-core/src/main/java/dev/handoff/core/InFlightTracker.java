package dev.handoff.core;

import java.util.Objects;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicLongArray;

/**
 * Counts the units of work in progress in one intake of an instance (inbound requests, a consumer's jobs, work
 * the application declares itself) and tells when the last one has finished after the intake closed.
 *
 * <p>Usage:
 * <pre>{@code
 * int permit = tracker.tryAdmit();
 * if (permit == InFlightTracker.REFUSED) { requeue(job); return; }
 * try { handle(job); } finally { tracker.release(permit); }
 * }</pre>
 *
 * <p><b>Hot path.</b> {@link #tryAdmit()} is one atomic increment and one volatile read; {@link #release(int)}
 * one volatile read, one compare-and-set (repeated only if another thread changed the same cell in between) and
 * one volatile read. Neither allocates nor locks. Counts are striped over padded cells chosen by thread, so that
 * threads on different cores do not contend on one cache line; the permit returned by {@code tryAdmit} names
 * the cell, and the matching {@code release} must pass it back (from any thread).
 *
 * <p><b>Each unit is released once.</b> A unit is counted and uncounted in the cell its permit names, whatever
 * thread releases it, so a cell holds the units admitted through its permit and not yet released: never less
 * than zero in correct use. A release that would take its cell below zero (more releases than admits through
 * that permit: a double release, or a release of a unit never admitted) is refused: the count is left as it is,
 * {@link #releaseErrors()} counts it, and {@code release} throws an {@link IllegalStateException}. A cell is
 * never negative, not even for an instant, so such a release never fires the drain signal while an admitted unit
 * runs.
 *
 * <p><b>What counts cannot tell.</b> Units are not told apart, only counted. A second release of a unit while
 * another unit admitted through the same permit is still in flight (same thread, or a thread given the same
 * cell) is taken for that other unit's release: it is not refused, and the drain signal may fire before that
 * other unit finishes. It shows up later: the last release through that cell finds it empty and is refused
 * (thrown at that caller, which did nothing wrong, and counted). Likewise a bogus release that meets the instant
 * in which an admit refused by the close is counted takes that count; the admit then finds nothing to undo and
 * counts the error in {@link #releaseErrors()} (nothing is thrown: the admit's caller did nothing wrong).
 *
 * <p><b>Race-free close.</b> {@code tryAdmit} counts the unit <em>before</em> it reads the closed flag, and
 * {@link #close()} sets the flag before it sums the cells. So a unit either sees the flag and is refused (its
 * count undone), or is counted in the sum that the close, or a later release, reads: nothing admitted escapes
 * the drain signal, and the signal never fires while an admitted unit runs (unless a double release went
 * undetected, above). The sum reads the cells one by one; since none is ever negative, a unit that runs
 * throughout the reading keeps it above zero.
 *
 * <p>Thread-safe. {@link #close()} and {@link #reopen()} are cold-path and synchronized.
 */
public final class InFlightTracker {

    /** Returned by {@link #tryAdmit()} when the tracker is closed: the work was not admitted. */
    public static final int REFUSED = -1;

    /** Longs per cell: 128 bytes, so that two cells never share a cache line (nor an adjacent-line prefetch). */
    private static final int STRIDE = 16;

    private final String name;
    private final AtomicLongArray cells;
    private final int mask;
    /** Releases refused, and bogus releases noticed by a refused admit; cold path only. */
    private final AtomicLong releaseErrors = new AtomicLong();
    /** Null while open; the drain of the current close otherwise. */
    private volatile CompletableFuture<Void> drain;

    private InFlightTracker(String name, int slots) {
        this.name = name;
        // One stride more than the cells: cell 0 sits a stride away from the array's header (its length is read
        // for bounds checks), so that writing cell 0 does not invalidate the header's line on other cores.
        this.cells = new AtomicLongArray((slots + 1) * STRIDE);
        this.mask = slots - 1;
    }

    /**
     * @param name what the tracker counts (used in metric tags and messages), e.g. {@code "requests"}
     * @return an open tracker with nothing in flight
     * @throws NullPointerException     when {@code name} is null
     * @throws IllegalArgumentException when {@code name} is blank
     */
    public static InFlightTracker create(String name) {
        Objects.requireNonNull(name, "name must not be null");
        if (name.isBlank()) {
            throw new IllegalArgumentException("name must not be blank, but was '" + name + "'");
        }
        int processors = Runtime.getRuntime().availableProcessors();
        int slots = Integer.highestOneBit(Math.max(2, Math.min(64, processors * 2)) - 1) << 1;
        return new InFlightTracker(name, slots);
    }

    /** @return what this tracker counts */
    public String name() {
        return name;
    }

    /**
     * Admits one unit of work, unless the tracker is closed.
     *
     * @return a permit to pass to {@link #release(int)} when the unit finishes, or {@link #REFUSED}
     */
    public int tryAdmit() {
        int slot = slotOfCurrentThread();
        cells.getAndIncrement(offset(slot));
        if (drain != null) {
            if (!decrementUnlessZero(slot)) {
                // A bogus release took this admit's count in the instant it was there (see the class javadoc).
                releaseErrors.incrementAndGet();
            }
            completeDrainIfEmpty();
            return REFUSED;
        }
        return slot;
    }

    /**
     * Releases a unit admitted by {@link #tryAdmit()}, once; may be called from any thread. When the tracker is
     * closed and this was the last unit, the drain signal completes on this thread.
     *
     * <p>A release that finds no unit in flight through {@code permit} (a double release, or a release without
     * admit) is refused: nothing changes but {@link #releaseErrors()}, and the drain signal does not fire. A
     * double release while other units of the same permit are in flight is not detected at once; see the class
     * javadoc.
     *
     * @param permit the value {@code tryAdmit} returned (never {@link #REFUSED})
     * @throws IllegalArgumentException when {@code permit} is not a permit of this tracker (counted in
     *     {@link #releaseErrors()})
     * @throws IllegalStateException    when no unit admitted through {@code permit} is in flight: a double
     *     release or a release without admit (counted in {@link #releaseErrors()})
     */
    public void release(int permit) {
        if (permit < 0 || permit > mask) {
            releaseErrors.incrementAndGet();
            throw new IllegalArgumentException("permit must be a value returned by tryAdmit(), but was " + permit);
        }
        if (!decrementUnlessZero(permit)) {
            releaseErrors.incrementAndGet();
            throw new IllegalStateException("double release or release without admit in tracker '" + name
                    + "': permit " + permit + " has no unit in flight; refused, the count is unchanged");
        }
        completeDrainIfEmpty();
    }

    /**
     * Takes one from the slot's cell unless it is zero. A compare-and-set rather than a decrement and a fix-up, so
     * that no cell is negative even for an instant: a sum read meanwhile could otherwise be zero while a unit of
     * another cell runs.
     *
     * @return whether the cell held a unit to take
     */
    private boolean decrementUnlessZero(int slot) {
        int offset = offset(slot);
        long count = cells.get(offset);
        while (count > 0) {
            long witness = cells.compareAndExchange(offset, count, count - 1);
            if (witness == count) {
                return true;
            }
            count = witness;
        }
        return false;
    }

    /** Read after the cell was written: either this sees the close's flag, or the close's sum sees the cell. */
    private void completeDrainIfEmpty() {
        CompletableFuture<Void> current = drain;
        if (current != null && !current.isDone() && sum() == 0) {
            current.complete(null);
        }
    }

    /**
     * Closes the intake: every later {@link #tryAdmit()} is refused. Idempotent: a repeated call returns the same
     * stage.
     *
     * @return the drain signal: completes when every unit admitted before the close has been released (at once
     *     if none is in flight)
     */
    public synchronized CompletionStage<Void> close() {
        CompletableFuture<Void> current = drain;
        if (current == null) {
            current = new CompletableFuture<>();
            drain = current;
            if (sum() == 0) {
                current.complete(null);
            }
        }
        return current;
    }

    /**
     * Opens the intake again after {@link #close()} (re-admission). The previous close's drain signal is left as
     * it is: if work was still in flight, it never completes (a waiter bounds its wait; {@link InstanceLifecycle}
     * completes its own drain stage exceptionally instead), and the next {@code close()} returns a new one. A no-op
     * when open.
     */
    public synchronized void reopen() {
        drain = null;
    }

    /** @return whether the intake is closed */
    public boolean isClosed() {
        return drain != null;
    }

    private long sum() {
        long total = 0;
        for (int slot = 0; slot <= mask; slot++) {
            total += cells.get(offset(slot));
        }
        return total;
    }

    /**
     * @return units admitted and not yet released (never negative). A unit refused by a concurrent close may be
     *     counted for an instant; the value is exact when nothing is racing.
     */
    public long inFlight() {
        return sum();
    }

    /**
     * Refused releases since the tracker was created (not reset by {@link #reopen()}): each {@link #release(int)}
     * that threw (a permit not of this tracker, a double release, a release without admit), and each bogus release
     * an admit refused by the close noticed afterwards (see the class javadoc). Zero in correct use: read it as a
     * metric to catch a caller that swallows the exceptions.
     *
     * @return the number of release errors
     */
    public long releaseErrors() {
        return releaseErrors.get();
    }

    /**
     * Threads are given cells round-robin by id, not by a hash of it: threads created one after the other (a
     * pool's workers) have consecutive ids and so get distinct cells, where a hash put two of them on one cell in
     * about one pair out of four.
     */
    private int slotOfCurrentThread() {
        return (int) Thread.currentThread().getId() & mask;
    }

    private static int offset(int slot) {
        return (slot + 1) * STRIDE;
    }

    @Override
    public String toString() {
        long errors = releaseErrors();
        return "InFlightTracker[" + name + ", inFlight=" + inFlight() + (isClosed() ? ", closed" : ", open")
                + (errors == 0 ? "]" : ", releaseErrors=" + errors + "]");
    }
}
