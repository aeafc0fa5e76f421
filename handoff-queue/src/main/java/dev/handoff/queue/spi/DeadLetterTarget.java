package dev.handoff.queue.spi;

import java.util.Objects;

/**
 * Where a {@link Delivery#reject() rejected} job goes, as far as a {@link JobSource} can tell: a consumer whose
 * failure policy dead-letters checks it before it takes a job, and names it in the line that reports a
 * dead-letter.
 *
 * @param kind        whether the source has a dead-letter destination
 * @param description what it is, or why there is none, for logs and messages; never null
 */
public record DeadLetterTarget(Kind kind, String description) {

    /** Whether a source has a dead-letter destination. */
    public enum Kind {
        /** Rejected jobs are kept there. */
        PRESENT,
        /** There is none: the broker drops a rejected job. */
        ABSENT,
        /** The source cannot tell. */
        UNKNOWN
    }

    /**
     * @throws NullPointerException when an argument is null
     */
    public DeadLetterTarget {
        Objects.requireNonNull(kind, "kind must not be null");
        Objects.requireNonNull(description, "description must not be null");
    }

    /**
     * @param description what the destination is, e.g. {@code "exchange 'failed' (queue arguments)"}
     * @return a present destination
     */
    public static DeadLetterTarget present(String description) {
        return new DeadLetterTarget(Kind.PRESENT, description);
    }

    /**
     * @param description why there is none, with the remedy
     * @return an absent destination
     */
    public static DeadLetterTarget absent(String description) {
        return new DeadLetterTarget(Kind.ABSENT, description);
    }

    /**
     * @param description why the source cannot tell
     * @return an unknown destination
     */
    public static DeadLetterTarget unknown(String description) {
        return new DeadLetterTarget(Kind.UNKNOWN, description);
    }
}
