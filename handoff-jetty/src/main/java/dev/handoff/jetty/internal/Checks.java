package dev.handoff.jetty.internal;

import java.time.Duration;
import java.util.Objects;

/** The argument checks of this module's builders, each naming the field and the value it refused. Not API. */
public final class Checks {

    private Checks() {
    }

    /**
     * @param field the name in the message
     * @param value a host name or address
     * @return {@code value}
     * @throws NullPointerException     when null
     * @throws IllegalArgumentException when blank
     */
    public static String notBlank(String field, String value) {
        Objects.requireNonNull(value, () -> field + " must not be null");
        if (value.isBlank()) {
            throw new IllegalArgumentException(field + " must not be blank, but was '" + value + "'");
        }
        return value;
    }

    /**
     * @param field the name in the message
     * @param value a TCP port, 0 for any free one
     * @return {@code value}
     * @throws IllegalArgumentException when not in 0..65535
     */
    public static int port(String field, int value) {
        if (value < 0 || value > 65535) {
            throw new IllegalArgumentException(field + " must be in 0..65535, but was " + value);
        }
        return value;
    }

    /**
     * @param field the name in the message
     * @param value a count
     * @return {@code value}
     * @throws IllegalArgumentException when not positive
     */
    public static int positive(String field, int value) {
        if (value <= 0) {
            throw new IllegalArgumentException(field + " must be > 0, but was " + value);
        }
        return value;
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
        if (value.isZero() || value.isNegative()) {
            throw new IllegalArgumentException(field + " must be > 0, but was " + value);
        }
        return value;
    }
}
