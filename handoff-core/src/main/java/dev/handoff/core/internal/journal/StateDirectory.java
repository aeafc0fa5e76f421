package dev.handoff.core.internal.journal;

import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The names of the files in a state directory, and the creation of a segment:
 *
 * <pre>
 * lock                              the exclusive lock ({@link DirectoryLock}), holding the holder's pid
 * snapshot                          the last snapshot: the records that rebuild the group, whole
 * snapshot.tmp                      a snapshot being written; deleted by recovery (a crash before its rename)
 * journal-&lt;20-digit sequence&gt;     a segment: the records appended since, the first one numbered as named
 * </pre>
 *
 * Other files are left alone. Not API; stateless and thread-safe.
 */
final class StateDirectory {

    static final String SNAPSHOT = "snapshot";
    static final String SNAPSHOT_TEMPORARY = "snapshot.tmp";
    private static final Pattern SEGMENT = Pattern.compile("journal-(\\d{20})");

    private StateDirectory() {
    }

    /** A segment file and the sequence number of the first record it holds, or will hold. */
    record Segment(Path path, long start) {
    }

    /** @return the file name of the segment whose first record is numbered {@code start} */
    static String segmentName(long start) {
        return String.format("journal-%020d", start);
    }

    /** @return the segments in the directory, in the order of their first sequence numbers */
    static List<Segment> segments(Path directory) throws IOException {
        List<Segment> segments = new ArrayList<>();
        try (DirectoryStream<Path> files = Files.newDirectoryStream(directory)) {
            for (Path file : files) {
                Matcher name = SEGMENT.matcher(file.getFileName().toString());
                if (name.matches()) {
                    segments.add(new Segment(file, Long.parseLong(name.group(1))));
                }
            }
        }
        segments.sort(Comparator.comparingLong(Segment::start));
        return segments;
    }

    /**
     * Creates an empty segment (its header only), forces it and the directory: local-disk writes.
     *
     * @param directory the state directory
     * @param start     the sequence number its first record will have
     * @return the segment, open for reading and writing, positioned nowhere (writes are positional)
     * @throws java.nio.file.FileAlreadyExistsException when the segment exists
     */
    static FileChannel createSegment(Path directory, long start) throws IOException {
        Path path = directory.resolve(segmentName(start));
        FileChannel channel = FileChannel.open(path, StandardOpenOption.CREATE_NEW, StandardOpenOption.READ,
                StandardOpenOption.WRITE);
        try {
            Frames.writeFully(channel, Frames.fileHeader(), 0);
            channel.force(false);
            Frames.forceDirectory(directory);
            return channel;
        } catch (IOException | RuntimeException e) {
            try {
                channel.close();
            } catch (IOException closing) {
                e.addSuppressed(closing);
            }
            throw e;
        }
    }
}
