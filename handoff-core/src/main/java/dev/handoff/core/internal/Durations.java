package dev.handoff.core.internal;

import java.time.Duration;
import java.util.Objects;

/** The duration checks of this module's builders, each naming the field and the value it refused. Not API. */
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
}
