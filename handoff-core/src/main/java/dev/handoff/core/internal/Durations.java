package dev.handoff.core.internal;

import java.time.Duration;
import java.util.Objects;

/**
 * The duration checks of this module's builders, each naming the field and the value it refused, and the conversion
 * of a duration to a bounded wait. Not API.
 */
public final class Durations {

    private Durations() {
    }

    /**
     * @param field the name in the message
     * @param value a duration
     * @return {@code value}
     * @throws NullPointerException     when null
     * @throws IllegalArgumentException when zero or negative
     */
    public static Duration positive(String field, Duration value) {
        Objects.requireNonNull(value, () -> field + " must not be null");
        if (value.isNegative() || value.isZero()) {
            throw new IllegalArgumentException(field + " must be > 0, but was " + value);
        }
        return value;
    }

    /**
     * @param field the name in the message
     * @param value a duration
     * @return {@code value}
     * @throws NullPointerException     when null
     * @throws IllegalArgumentException when negative
     */
    public static Duration nonNegative(String field, Duration value) {
        Objects.requireNonNull(value, () -> field + " must not be null");
        if (value.isNegative()) {
            throw new IllegalArgumentException(field + " must be >= 0, but was " + value);
        }
        return value;
    }

    /**
     * @param value a non-negative duration
     * @return it in nanoseconds, or {@link Long#MAX_VALUE} (about 292 years: as good as never) when it does not fit
     */
    public static long saturatedNanos(Duration value) {
        try {
            return value.toNanos();
        } catch (ArithmeticException e) {
            return Long.MAX_VALUE;
        }
    }
}
