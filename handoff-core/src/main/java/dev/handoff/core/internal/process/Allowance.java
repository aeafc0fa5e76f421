package dev.handoff.core.internal.process;

import java.util.Objects;
import java.util.function.LongSupplier;

/**
 * A token bucket: at most {@code perSecond} takes in a burst, refilled at {@code perSecond} a second. Bounds what a
 * peer can make this side do (answer, log) however fast it sends.
 *
 * <p>Thread-safe.
 */
final class Allowance {

    private static final double NANOS_PER_SECOND = 1_000_000_000d;

    private final int perSecond;
    private final LongSupplier nanoTime;
    /** Guarded by {@code this}. */
    private double tokens;
    /** Guarded by {@code this}. */
    private long refilledAt;

    /**
     * @param perSecond the burst and the refill rate; at least 1
     * @param nanoTime  the clock, e.g. {@code System::nanoTime}
     * @throws IllegalArgumentException when {@code perSecond} is below 1
     */
    Allowance(int perSecond, LongSupplier nanoTime) {
        if (perSecond < 1) {
            throw new IllegalArgumentException("perSecond must be >= 1, but was " + perSecond);
        }
        this.perSecond = perSecond;
        this.nanoTime = Objects.requireNonNull(nanoTime, "nanoTime must not be null");
        this.tokens = perSecond;
        this.refilledAt = nanoTime.getAsLong();
    }

    /** @return whether one more is allowed now (and counts it) */
    synchronized boolean tryTake() {
        long now = nanoTime.getAsLong();
        tokens = Math.min(perSecond, tokens + (now - refilledAt) / NANOS_PER_SECOND * perSecond);
        refilledAt = now;
        if (tokens >= 1) {
            tokens -= 1;
            return true;
        }
        return false;
    }

    /** @return the burst and the refill rate */
    int perSecond() {
        return perSecond;
    }
}
