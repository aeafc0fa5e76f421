package dev.handoff.core.internal.journal;

import dev.handoff.core.internal.journal.Frames.Contents;
import dev.handoff.core.internal.journal.Frames.Frame;
import dev.handoff.core.internal.journal.StateDirectory.Segment;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;

/**
 * Reads a state directory back ({@link #read}, which writes nothing), then readies it for appends
 * ({@link #repair}): the torn tail of the last segment cut off, an interrupted snapshot finished, leftovers deleted.
 * Two phases, so that a directory refused after reading (damaged, or of another group) is left as it was. The
 * rules are those of the architecture document, "The journal (storage)". Used with the directory's lock held, by
 * one thread. Not API.
 */
final class Recovery {

    private static final Logger LOG = LoggerFactory.getLogger(Journal.class);

    private final Path directory;
    private final List<JournalEntry> entries;
    private final int snapshotRecords;
    /** Segments a later segment proves the snapshot covers: left by a crash during a snapshot's clean-up. */
    private final List<Segment> superseded;
    /** The segments read, in order; the last one may be continued. */
    private final List<Segment> kept;
    private final Contents lastContents;
    private final boolean lastHasNewRecords;
    private final long nextSequence;

    private Recovery(Path directory, List<JournalEntry> entries, int snapshotRecords, List<Segment> superseded,
                     List<Segment> kept, Contents lastContents, boolean lastHasNewRecords, long nextSequence) {
        this.directory = directory;
        this.entries = List.copyOf(entries);
        this.snapshotRecords = snapshotRecords;
        this.superseded = superseded;
        this.kept = kept;
        this.lastContents = lastContents;
        this.lastHasNewRecords = lastHasNewRecords;
        this.nextSequence = nextSequence;
    }

    /**
     * Where appends go after {@link #repair}.
     *
     * @param channel  the segment, open for writing, its tail truncated and forced
     * @param path     its path
     * @param end      where the next frame goes
     * @param sequence the sequence number of the next record
     */
    record SegmentWriter(FileChannel channel, Path path, long end, long sequence) {
    }

    /**
     * Reads the snapshot and the segments after it; writes nothing.
     *
     * @param directory a state directory (real path) whose lock is held
     * @return what it holds
     * @throws JournalCorruptedException when a file is damaged anywhere but in the last frame of the last segment,
     *                                   or a sequence number is missing or repeated; names the file and the offset
     * @throws IOException               when a file cannot be read
     */
    static Recovery read(Path directory) throws IOException {
        List<JournalEntry> entries = new ArrayList<>();
        long covered = readSnapshot(directory.resolve(StateDirectory.SNAPSHOT), entries);
        int snapshotRecords = entries.size();

        List<Segment> superseded = new ArrayList<>();
        List<Segment> kept = new ArrayList<>();
        List<Segment> segments = StateDirectory.segments(directory);
        for (int index = 0; index < segments.size(); index++) {
            boolean coveredByNext = index + 1 < segments.size() && segments.get(index + 1).start() <= covered + 1;
            (coveredByNext ? superseded : kept).add(segments.get(index));
        }

        long expected = covered + 1;
        boolean lastHasNewRecords = false;
        Contents lastContents = null;
        for (int index = 0; index < kept.size(); index++) {
            Segment segment = kept.get(index);
            boolean last = index == kept.size() - 1;
            if (segment.start() > covered && segment.start() != expected) {
                throw new JournalCorruptedException(segment.path(), 0, "the segment starts at sequence "
                        + segment.start() + ", but the records before it end at " + (expected - 1));
            }
            Contents contents = Frames.read(segment.path(), last);
            long previous = segment.start() - 1;
            for (Frame frame : contents.frames()) {
                long sequence = frame.entry().sequence();
                if (sequence != previous + 1) {
                    throw new JournalCorruptedException(segment.path(), frame.offset(), "record of sequence "
                            + sequence + " where " + (previous + 1) + " was expected");
                }
                previous = sequence;
                if (sequence > covered) {
                    if (sequence != expected) {
                        throw new JournalCorruptedException(segment.path(), frame.offset(), "record of sequence "
                                + sequence + " where " + expected + " was expected after the snapshot");
                    }
                    entries.add(frame.entry());
                    expected++;
                    lastHasNewRecords = last;
                }
            }
            if (last) {
                lastContents = contents;
            }
        }
        return new Recovery(directory, entries, snapshotRecords, superseded, kept, lastContents, lastHasNewRecords,
                expected);
    }

    /** @return the records read back, in order: the snapshot's, then those appended after it */
    List<JournalEntry> entries() {
        return entries;
    }

    /** @return how many of the {@link #entries()} came from the snapshot */
    int snapshotRecords() {
        return snapshotRecords;
    }

    /**
     * Readies the directory for appends: deletes a temporary snapshot and the segments a snapshot supersedes; cuts
     * off (and forces) a torn tail of the last segment, logged as a WARN naming the offset; or, when no segment can
     * be continued (a new directory, a snapshot that died before its new segment), creates one. Local-disk writes.
     *
     * @return the segment appends go to
     * @throws IOException when a file cannot be written or deleted
     */
    SegmentWriter repair() throws IOException {
        Path temporary = directory.resolve(StateDirectory.SNAPSHOT_TEMPORARY);
        if (Files.deleteIfExists(temporary)) {
            LOG.info("Journal {}: deleted {}, a snapshot interrupted before its rename; the previous snapshot and "
                    + "the journal hold the state", directory, temporary.getFileName());
        }
        for (Segment segment : superseded) {
            delete(segment);
        }
        Segment last = kept.isEmpty() ? null : kept.get(kept.size() - 1);
        if (lastContents != null && lastContents.tailIgnored()) {
            LOG.warn("Journal {}: ignored a torn or corrupt last frame in {} at offset {} ({}); {} bytes from there "
                            + "to the end are cut off, the {} records before it are kept", directory,
                    last.path().getFileName(), lastContents.validEnd(), lastContents.tailReason(),
                    lastContents.size() - lastContents.validEnd(), lastContents.frames().size());
        }
        if (last != null && (lastHasNewRecords || last.start() == nextSequence)) {
            return new SegmentWriter(continueIn(last.path(), lastContents), last.path(),
                    Math.max(lastContents.validEnd(), Frames.FILE_HEADER_BYTES), nextSequence);
        }
        // Nothing to continue: a new directory, or a snapshot whose process died before its new segment was made.
        FileChannel channel = StateDirectory.createSegment(directory, nextSequence);
        try {
            for (Segment segment : kept) {
                delete(segment);
            }
            if (!kept.isEmpty() || !superseded.isEmpty()) {
                Frames.forceDirectory(directory);
            }
        } catch (IOException | RuntimeException e) {
            closeQuietly(channel, e);
            throw e;
        }
        return new SegmentWriter(channel, directory.resolve(StateDirectory.segmentName(nextSequence)),
                Frames.FILE_HEADER_BYTES, nextSequence);
    }

    private void delete(Segment segment) throws IOException {
        Files.delete(segment.path());
        LOG.info("Journal {}: deleted {}, superseded by the snapshot", directory, segment.path().getFileName());
    }

    /** @return the last sequence number the snapshot holds, 0 when there is none; its records added to entries */
    private static long readSnapshot(Path snapshot, List<JournalEntry> entries) throws IOException {
        if (!Files.exists(snapshot)) {
            return 0;
        }
        // forced before its rename: any damage in it is an error, never a torn tail
        Contents contents = Frames.read(snapshot, false);
        if (contents.frames().isEmpty()) {
            throw new JournalCorruptedException(snapshot, Frames.FILE_HEADER_BYTES, "the snapshot holds no record");
        }
        long previous = contents.frames().get(0).entry().sequence() - 1;
        for (Frame frame : contents.frames()) {
            if (frame.entry().sequence() != previous + 1) {
                throw new JournalCorruptedException(snapshot, frame.offset(), "record of sequence "
                        + frame.entry().sequence() + " where " + (previous + 1) + " was expected");
            }
            previous = frame.entry().sequence();
            entries.add(frame.entry());
        }
        return previous;
    }

    /** Opens the last segment for appends, cutting off (and forcing) a torn tail, rewriting a torn header. */
    private static FileChannel continueIn(Path segment, Contents contents) throws IOException {
        FileChannel channel = FileChannel.open(segment, StandardOpenOption.READ, StandardOpenOption.WRITE);
        try {
            if (contents.validEnd() < Frames.FILE_HEADER_BYTES) {
                // created by a snapshot or an open that died before the header reached the disk
                channel.truncate(0);
                Frames.writeFully(channel, Frames.fileHeader(), 0);
                channel.force(false);
            } else if (contents.tailIgnored()) {
                channel.truncate(contents.validEnd());
                channel.force(false);
            }
            return channel;
        } catch (IOException | RuntimeException e) {
            closeQuietly(channel, e);
            throw e;
        }
    }

    private static void closeQuietly(FileChannel channel, Exception failure) {
        try {
            channel.close();
        } catch (IOException e) {
            failure.addSuppressed(e);
        }
    }
}
