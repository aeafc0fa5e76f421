package dev.handoff.core.internal.journal;

import dev.handoff.core.internal.journal.JournalRecord.GroupOpened;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.Closeable;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;

/**
 * The write-ahead journal of one group, kept in a state directory: records appended one frame at a time and
 * forced to disk before {@link #append} returns, compacted by {@link #snapshot}, read back by {@link #open}. One
 * orchestrator at a time holds a directory: {@code open} takes an exclusive lock, raises the group's epoch and
 * writes it ({@link GroupOpened}) before it returns; {@link #close()} releases the lock.
 *
 * <pre>{@code
 * try (Journal journal = Journal.open(stateDirectory, "web")) {
 *     rebuild(journal.recovered());              // what the previous orchestrator wrote
 *     long epoch = journal.epoch();              // raised: children refuse commands from older epochs
 *     journal.append(new SwapIntent("web/swap-1", "one-for-one", "1.1", List.of("web-1")));
 *     // ... only now does step 1 act
 *     journal.snapshot(currentState());          // from time to time: bounds the journal and the recovery
 * }
 * }</pre>
 *
 * <p>File format, recovery rules and the snapshot sequence: {@link Frames}, {@link StateDirectory} and the
 * architecture document, "The journal (storage)".
 *
 * <p><b>Blocking.</b> {@code open}, {@code append}, {@code snapshot} and {@code close} block for local-disk writes
 * and forces ({@code fdatasync}, {@code fsync} of the directory): they have no timeout, so the state directory must
 * be on a local disk, not a network file system. {@code open} never waits for another holder: it refuses at once.
 * A write that fails (or a thread interrupted during one, which closes the file: {@link FileChannel} is
 * interruptible) leaves the journal <em>failed</em>: the state of the file is unknown and a retried force may lie
 * about pages an earlier failed one dropped, so it refuses further appends and snapshots; close it and open the
 * directory again, whose recovery cuts off what the failed write left.
 *
 * <p>Not API. Thread-safe: appends, snapshots and close are serialized on the journal.
 */
public final class Journal implements Closeable {

    private static final Logger LOG = LoggerFactory.getLogger(Journal.class);

    private final Path directory;
    private final String group;
    private final long epoch;
    private final List<JournalEntry> recovered;
    private final int snapshotRecords;
    private final DirectoryLock lock;
    private final SnapshotHook hook;

    // guarded by this
    private FileChannel segment;
    private Path segmentPath;
    private long segmentEnd;
    private long nextSequence;
    private boolean closed;
    private String failure;

    private Journal(Path directory, String group, long epoch, List<JournalEntry> recovered, int snapshotRecords,
                    Recovery.SegmentWriter writer, DirectoryLock lock, SnapshotHook hook) {
        this.directory = directory;
        this.group = group;
        this.epoch = epoch;
        this.recovered = recovered;
        this.snapshotRecords = snapshotRecords;
        this.lock = lock;
        this.hook = hook;
        this.segment = writer.channel();
        this.segmentPath = writer.path();
        this.segmentEnd = writer.end();
        this.nextSequence = writer.sequence();
    }

    /**
     * Takes the state directory of a group (created when missing), reads its journal back, raises the epoch and
     * appends {@code GroupOpened(group, epoch)}, forced, before it returns. Never waits for another holder. Blocks
     * for local-disk reads and writes.
     *
     * @param directory the group's state directory
     * @param group     the group's name; a directory holds the journal of one group
     * @return the journal, holding the directory until closed
     * @throws NullPointerException      when an argument is null
     * @throws IllegalArgumentException  when {@code group} is blank
     * @throws IllegalStateException     when another orchestrator holds the directory, in this JVM or another
     *                                   process (the message names the directory and the holder's pid); or when
     *                                   the directory holds the journal of another group
     * @throws JournalCorruptedException when the journal is damaged anywhere but in its last frame (the message
     *                                   names the file and the offset); the directory is left as it was
     * @throws IOException               when the directory cannot be created, read or written
     */
    public static Journal open(Path directory, String group) throws IOException {
        return open(directory, group, SnapshotHook.NONE);
    }

    /** {@link #open(Path, String)}, with a hook the snapshot sequence calls at each of its points (tests). */
    static Journal open(Path directory, String group, SnapshotHook hook) throws IOException {
        Objects.requireNonNull(directory, "directory must not be null");
        Objects.requireNonNull(group, "group must not be null");
        if (group.isBlank()) {
            throw new IllegalArgumentException("group must not be blank, but was '" + group + "'");
        }
        Path real = Files.createDirectories(directory).toRealPath();
        DirectoryLock lock = DirectoryLock.acquire(real);
        Journal journal;
        try {
            Recovery recovery = Recovery.read(real);
            long lastEpoch = lastEpoch(real, group, recovery.entries());
            // only now, the directory known to be whole and of this group, is anything in it changed
            journal = new Journal(real, group, lastEpoch + 1, recovery.entries(), recovery.snapshotRecords(),
                    recovery.repair(), lock, hook);
        } catch (IOException | RuntimeException e) {
            closeQuietly(lock, e);
            throw e;
        }
        try {
            journal.write(new GroupOpened(group, journal.epoch));
        } catch (IOException | RuntimeException e) {
            closeQuietly(journal, e);
            throw e;
        }
        LOG.info("Journal {}: group '{}' opened at epoch {}; {} records read back ({} from the snapshot)", real, group,
                journal.epoch, journal.recovered.size(), journal.snapshotRecords);
        return journal;
    }

    /** @return the state directory, as its real path */
    public Path directory() {
        return directory;
    }

    /** @return the group whose journal this is */
    public String group() {
        return group;
    }

    /** @return the epoch this journal raised when it opened the directory: 1 for a new directory */
    public long epoch() {
        return epoch;
    }

    /**
     * @return the records read back when the directory was opened, in order: the snapshot's, then those appended
     *         after it; without the {@code GroupOpened} this opening appended. Empty for a new directory
     */
    public List<JournalEntry> recovered() {
        return recovered;
    }

    /** @return how many of the {@link #recovered()} records came from the snapshot (0 when there was none) */
    public int recoveredFromSnapshot() {
        return snapshotRecords;
    }

    /** @return the sequence number of the last record appended (or written by a snapshot) */
    public synchronized long lastSequence() {
        return nextSequence - 1;
    }

    /**
     * Appends a record as one frame and forces it to disk ({@code FileChannel.force(false)}: the data and the file's
     * size) before it returns: the caller may act on the record once this returns. Blocks for a local-disk write
     * and force.
     *
     * @param record the record; not a {@code GroupOpened}, which only {@link #open} and {@link #snapshot} write
     * @return the sequence number it was given
     * @throws NullPointerException     when {@code record} is null
     * @throws IllegalArgumentException when the record is a {@code GroupOpened}, or encodes to more than 1 MiB
     *                                  (nothing is written)
     * @throws IllegalStateException    when the journal is closed, or failed (see the class documentation)
     * @throws IOException              when the write or the force fails; the journal is failed from then on
     */
    public synchronized long append(JournalRecord record) throws IOException {
        Objects.requireNonNull(record, "record must not be null");
        if (record instanceof GroupOpened) {
            throw new IllegalArgumentException("a GroupOpened is written by open (which raises the epoch) and "
                    + "snapshot only, but append got " + record);
        }
        return write(record);
    }

    private synchronized long write(JournalRecord record) throws IOException {
        checkUsable();
        JournalEntry entry = new JournalEntry(nextSequence, record);
        ByteBuffer frame = Frames.frame(entry);
        try {
            long end = Frames.writeFully(segment, frame, segmentEnd);
            segment.force(false);
            segmentEnd = end;
            nextSequence++;
            return entry.sequence();
        } catch (IOException | RuntimeException e) {
            fail("the append of record " + entry.sequence() + " at offset " + segmentEnd + " of "
                    + segmentPath.getFileName() + " failed: " + e);
            throw e;
        }
    }

    /**
     * Compacts the journal: writes {@code GroupOpened(group, epoch)} and then {@code state} to a temporary file,
     * forces it, renames it over the snapshot atomically, forces the directory, and continues in a new, empty
     * segment (the old one is deleted). The snapshot's records take the next sequence numbers. A crash at any point
     * of this sequence leaves a directory that {@link #open} recovers: before the rename, to the previous state;
     * after it, to this snapshot. Blocks for local-disk writes and forces.
     *
     * @param state the records that rebuild the group now (members, bindings, a swap in progress with its intent
     *              and the steps done), without a {@code GroupOpened}: the journal writes its own first
     * @throws NullPointerException     when {@code state} or one of its records is null
     * @throws IllegalArgumentException when {@code state} holds a {@code GroupOpened}, or a record that encodes to
     *                                  more than 1 MiB (nothing is written)
     * @throws IllegalStateException    when the journal is closed, or failed
     * @throws IOException              when a write fails: before the rename the journal goes on as before (the
     *                                  temporary file is deleted); after it, the journal is failed
     */
    public synchronized void snapshot(List<? extends JournalRecord> state) throws IOException {
        Objects.requireNonNull(state, "state must not be null");
        checkUsable();
        long sequence = nextSequence;
        List<ByteBuffer> frames = new ArrayList<>(state.size() + 1);
        frames.add(Frames.frame(new JournalEntry(sequence++, new GroupOpened(group, epoch))));
        for (JournalRecord record : state) {
            Objects.requireNonNull(record, "state must not hold a null record");
            if (record instanceof GroupOpened) {
                throw new IllegalArgumentException("state must not hold a GroupOpened (the snapshot starts with the "
                        + "journal's own), but held " + record);
            }
            frames.add(Frames.frame(new JournalEntry(sequence++, record)));
        }
        Path temporary = directory.resolve(StateDirectory.SNAPSHOT_TEMPORARY);
        writeTemporary(temporary, frames);
        FileChannel next = null;
        try {
            hook.reached(SnapshotPoint.TEMPORARY_WRITTEN);
            Files.move(temporary, directory.resolve(StateDirectory.SNAPSHOT), StandardCopyOption.ATOMIC_MOVE,
                    StandardCopyOption.REPLACE_EXISTING);
            hook.reached(SnapshotPoint.RENAMED);
            Frames.forceDirectory(directory);
            hook.reached(SnapshotPoint.DIRECTORY_FORCED);
            next = StateDirectory.createSegment(directory, sequence);
            hook.reached(SnapshotPoint.SEGMENT_CREATED);
        } catch (IOException | RuntimeException e) {
            if (next != null) {
                closeQuietly(next, e);
            }
            fail("the snapshot of records " + nextSequence + " to " + (sequence - 1) + " failed: " + e);
            throw e;
        }
        FileChannel old = segment;
        Path oldPath = segmentPath;
        segment = next;
        segmentPath = directory.resolve(StateDirectory.segmentName(sequence));
        segmentEnd = Frames.FILE_HEADER_BYTES;
        nextSequence = sequence;
        try {
            old.close();
            Files.delete(oldPath);
            Frames.forceDirectory(directory);
        } catch (IOException e) {
            // the snapshot holds: the next recovery deletes a segment it supersedes
            LOG.warn("Journal {}: could not delete {}, superseded by the snapshot: {}", directory,
                    oldPath.getFileName(), e.toString());
        }
    }

    /**
     * Releases the directory and closes the segment; writes nothing. Idempotent. Appends and snapshots are refused
     * afterwards.
     *
     * @throws IOException when closing the segment or releasing the lock fails (the lock is released anyway)
     */
    @Override
    public synchronized void close() throws IOException {
        if (closed) {
            return;
        }
        closed = true;
        try {
            segment.close();
        } finally {
            lock.close();
        }
    }

    @Override
    public String toString() {
        return "Journal[" + directory + ", group=" + group + ", epoch=" + epoch + "]";
    }

    private void writeTemporary(Path temporary, List<ByteBuffer> frames) throws IOException {
        try {
            Files.deleteIfExists(temporary);
            try (FileChannel channel = FileChannel.open(temporary, StandardOpenOption.CREATE_NEW,
                    StandardOpenOption.WRITE)) {
                long position = Frames.writeFully(channel, Frames.fileHeader(), 0);
                for (ByteBuffer frame : frames) {
                    position = Frames.writeFully(channel, frame, position);
                }
                channel.force(false);
            }
        } catch (IOException | RuntimeException e) {
            try {
                Files.deleteIfExists(temporary);
            } catch (IOException deleting) {
                e.addSuppressed(deleting);
            }
            throw e;
        }
    }

    private void checkUsable() {
        if (closed) {
            throw new IllegalStateException("the journal of group '" + group + "' in " + directory + " is closed");
        }
        if (failure != null) {
            throw new IllegalStateException("the journal of group '" + group + "' in " + directory + " failed ("
                    + failure + "): close it and open the directory again to recover");
        }
    }

    private void fail(String reason) {
        failure = reason;
        LOG.error("Journal {}: {}; it refuses further appends until the directory is opened again", directory,
                reason);
    }

    /**
     * @return the epoch of the last {@code GroupOpened} read back, 0 when there is none
     * @throws IllegalStateException when the records are of another group, or do not start with a GroupOpened
     */
    private static long lastEpoch(Path directory, String group, List<JournalEntry> entries) {
        if (entries.isEmpty()) {
            return 0;
        }
        if (!(entries.get(0).record() instanceof GroupOpened first)) {
            throw new IllegalStateException("the journal in " + directory + " starts with " + entries.get(0)
                    + ", not with a GroupOpened");
        }
        long epoch = 0;
        for (JournalEntry entry : entries) {
            if (entry.record() instanceof GroupOpened opened) {
                if (!opened.group().equals(first.group())) {
                    throw new IllegalStateException("the journal in " + directory + " holds records of groups '"
                            + first.group() + "' and '" + opened.group() + "'");
                }
                epoch = Math.max(epoch, opened.epoch());
            }
        }
        if (!first.group().equals(group)) {
            throw new IllegalStateException("state directory " + directory + " holds the journal of group '"
                    + first.group() + "', not '" + group + "'");
        }
        return epoch;
    }

    private static void closeQuietly(Closeable closeable, Exception failure) {
        try {
            closeable.close();
        } catch (IOException e) {
            failure.addSuppressed(e);
        }
    }

    /** The points of the snapshot sequence, in order, where {@link SnapshotHook} is called. */
    enum SnapshotPoint {
        /** The temporary file is written and forced; not renamed. */
        TEMPORARY_WRITTEN,
        /** Renamed over the snapshot; the directory not forced. */
        RENAMED,
        /** The directory is forced; no new segment yet. */
        DIRECTORY_FORCED,
        /** The new segment is created and forced; the old one not deleted yet. */
        SEGMENT_CREATED
    }

    /** A test seam: a hook that throws at a point simulates a crash there (the journal is failed). */
    @FunctionalInterface
    interface SnapshotHook {
        /** Does nothing. */
        SnapshotHook NONE = point -> {
        };

        /** Called when the snapshot sequence reaches {@code point}. */
        void reached(SnapshotPoint point) throws IOException;
    }
}
