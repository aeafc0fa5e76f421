package dev.handoff.core.internal.journal;

import java.util.Objects;

/**
 * A record as the journal holds it: with the sequence number the journal gave it. Sequence numbers start at 1 and
 * grow by one with each record, across journal segments and snapshots (a snapshot's records take the next numbers,
 * and the journal continues after them), so recovery can tell which records a snapshot supersedes and that none is
 * missing. Immutable and thread-safe.
 *
 * @param sequence the record's sequence number, 1 or more
 * @param record   the record
 */
public record JournalEntry(long sequence, JournalRecord record) {

    /**
     * @throws NullPointerException     when {@code record} is null
     * @throws IllegalArgumentException when {@code sequence} is less than 1
     */
    public JournalEntry {
        if (sequence < 1) {
            throw new IllegalArgumentException("sequence must be >= 1, but was " + sequence);
        }
        Objects.requireNonNull(record, "record must not be null");
    }
}
