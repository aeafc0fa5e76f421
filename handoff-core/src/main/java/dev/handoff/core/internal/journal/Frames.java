package dev.handoff.core.internal.journal;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import java.util.zip.CRC32C;

/**
 * The file format shared by journal segments and snapshots, version 1. A file is an 8-byte header followed by
 * frames, one per record:
 *
 * <pre>
 * file  := magic "HOJL" (4 bytes) | format version (int32, big-endian) | frame*
 * frame := length (int32, big-endian, 1..{@value #MAX_PAYLOAD_BYTES}) | crc (int32, big-endian) | payload (length bytes)
 * crc   := CRC32C over the 4 length bytes and the payload
 * </pre>
 *
 * The payload is a record in the text form of {@link RecordCodec}: it never holds a byte below 0x20, so no window
 * of four payload bytes reads as a valid length (whose first byte is 0); this is what makes the search for a valid
 * frame after a damaged one (see {@link #read}) cheap and reliable.
 *
 * <p>Stateless and thread-safe. Not API.
 */
final class Frames {

    /** The first four bytes of every journal file. */
    static final byte[] MAGIC = {'H', 'O', 'J', 'L'};
    /** The format version this build writes and reads. */
    static final int FORMAT_VERSION = RecordCodec.VERSION;
    /** The length of a file's header: magic and version. */
    static final int FILE_HEADER_BYTES = 8;
    /** The length of a frame's header: length and CRC. */
    static final int FRAME_HEADER_BYTES = 8;
    /** The longest payload a frame may hold: 1 MiB. */
    static final int MAX_PAYLOAD_BYTES = 1 << 20;

    private Frames() {
    }

    /** @return a file's header, ready to write */
    static ByteBuffer fileHeader() {
        return ByteBuffer.allocate(FILE_HEADER_BYTES).put(MAGIC).putInt(FORMAT_VERSION).flip();
    }

    /**
     * @param entry a record and its sequence number
     * @return its frame, ready to write
     * @throws IllegalArgumentException when its payload is longer than {@value #MAX_PAYLOAD_BYTES} bytes
     */
    static ByteBuffer frame(JournalEntry entry) {
        byte[] payload = RecordCodec.encode(entry);
        if (payload.length > MAX_PAYLOAD_BYTES) {
            throw new IllegalArgumentException("a journal record must encode to at most " + MAX_PAYLOAD_BYTES
                    + " bytes, but " + entry.record().getClass().getSimpleName() + " encodes to " + payload.length);
        }
        byte[] length = ByteBuffer.allocate(4).putInt(payload.length).array();
        return ByteBuffer.allocate(FRAME_HEADER_BYTES + payload.length)
                .put(length)
                .putInt(crc(length, 0, payload.length, payload, 0))
                .put(payload)
                .flip();
    }

    /**
     * Writes all of {@code buffer} at {@code position}: a local-disk write, not forced.
     *
     * @return the position after the bytes written
     */
    static long writeFully(FileChannel channel, ByteBuffer buffer, long position) throws IOException {
        long at = position;
        while (buffer.hasRemaining()) {
            at += channel.write(buffer, at);
        }
        return at;
    }

    /**
     * Forces a directory's entries (creations, renames, deletions) to disk. Opening a directory for reading and
     * forcing it is what {@code fsync(2)} on a directory does: this works on Linux (and macOS); on Windows opening
     * a directory throws an {@link IOException}. A local-disk write.
     *
     * @param directory a directory
     */
    static void forceDirectory(Path directory) throws IOException {
        try (FileChannel channel = FileChannel.open(directory, StandardOpenOption.READ)) {
            channel.force(true);
        }
    }

    /** A complete frame with a good CRC, and where it starts. */
    record Frame(long offset, JournalEntry entry) {
    }

    /**
     * What {@link #read} found in a file.
     *
     * @param frames     the good frames, in order
     * @param validEnd   the offset after the last good frame (or after the header): where appends continue
     * @param size       the size of the file
     * @param tailReason why the bytes from {@code validEnd} to {@code size} were ignored, or null when there were
     *                   none
     */
    record Contents(List<Frame> frames, long validEnd, long size, String tailReason) {
        /** @return whether a torn or corrupt last frame (or a cut header) was ignored */
        boolean tailIgnored() {
            return tailReason != null;
        }
    }

    /**
     * Reads a file's frames. A damaged frame is a frame header cut short, a length out of range, a payload cut
     * short, or a CRC that does not match. A damaged frame is the file's <em>tail</em> when nothing after it can
     * be a record: it reaches the end of the file, or it is cut short and no valid frame starts anywhere after it.
     * A damaged tail is ignored when {@code tailMayBeTorn} (a crash during an append leaves one) and an error
     * otherwise; any other damage, and a good frame whose payload does not decode, is an error: the records after
     * it were acknowledged, and recovery does not guess.
     *
     * <p>Reads the whole file into memory: a journal holds a group's records between two snapshots, kilobytes.
     *
     * @param file          a journal segment or snapshot
     * @param tailMayBeTorn whether this file may end with a torn or corrupt frame (the last segment); when it does,
     *                      a file shorter than its header reads as empty, with {@code validEnd} 0
     * @return its good frames and where they end
     * @throws JournalCorruptedException naming the file and the offset, as described above
     * @throws IOException               when the file cannot be read, or is of a format version this build does
     *                                   not read
     */
    static Contents read(Path file, boolean tailMayBeTorn) throws IOException {
        byte[] data = Files.readAllBytes(file);
        if (data.length < FILE_HEADER_BYTES) {
            String reason = "file header cut short: " + data.length + " of " + FILE_HEADER_BYTES + " bytes";
            if (!tailMayBeTorn) {
                throw new JournalCorruptedException(file, 0, reason);
            }
            return new Contents(List.of(), 0, data.length, reason);
        }
        ByteBuffer bytes = ByteBuffer.wrap(data);
        for (int index = 0; index < MAGIC.length; index++) {
            if (data[index] != MAGIC[index]) {
                throw new JournalCorruptedException(file, 0, "not a handoff journal file (no HOJL magic)");
            }
        }
        int version = bytes.getInt(MAGIC.length);
        if (version != FORMAT_VERSION) {
            throw new IOException("journal file " + file + " is of format version " + version + "; this build reads "
                    + "version " + FORMAT_VERSION + " only");
        }
        List<Frame> frames = new ArrayList<>();
        int offset = FILE_HEADER_BYTES;
        while (offset < data.length) {
            String damage = damage(data, offset);
            if (damage == null) {
                int length = bytes.getInt(offset);
                byte[] payload = new byte[length];
                System.arraycopy(data, offset + FRAME_HEADER_BYTES, payload, 0, length);
                try {
                    frames.add(new Frame(offset, RecordCodec.decode(payload)));
                } catch (IllegalArgumentException e) {
                    throw new JournalCorruptedException(file, offset, "the frame's checksum matches but its record "
                            + "does not decode: " + e.getMessage());
                }
                offset += FRAME_HEADER_BYTES + length;
                continue;
            }
            if (completeUpTo(data, offset) < data.length) {
                throw new JournalCorruptedException(file, offset, damage + ", and " + (data.length
                        - completeUpTo(data, offset)) + " bytes follow the frame");
            }
            int next = nextValidFrame(data, offset + 1);
            if (next >= 0) {
                throw new JournalCorruptedException(file, offset, damage + ", and a valid frame follows at offset "
                        + next);
            }
            if (!tailMayBeTorn) {
                throw new JournalCorruptedException(file, offset, damage + " (in a file that must be whole)");
            }
            return new Contents(List.copyOf(frames), offset, data.length, damage);
        }
        return new Contents(List.copyOf(frames), offset, data.length, null);
    }

    /**
     * @return why the frame at {@code offset} is damaged, or null when it is complete with a good CRC
     */
    private static String damage(byte[] data, int offset) {
        int remaining = data.length - offset;
        if (remaining < FRAME_HEADER_BYTES) {
            return "frame header cut short: " + remaining + " of " + FRAME_HEADER_BYTES + " bytes";
        }
        ByteBuffer bytes = ByteBuffer.wrap(data);
        int length = bytes.getInt(offset);
        if (length < 1 || length > MAX_PAYLOAD_BYTES) {
            return "frame length " + length + " out of range 1.." + MAX_PAYLOAD_BYTES;
        }
        if (remaining - FRAME_HEADER_BYTES < length) {
            return "frame cut short: " + (remaining - FRAME_HEADER_BYTES) + " of " + length + " payload bytes";
        }
        int stored = bytes.getInt(offset + 4);
        int computed = crc(data, offset, length, data, offset + FRAME_HEADER_BYTES);
        if (stored != computed) {
            return String.format("frame checksum mismatch: stored %08x, computed %08x", stored, computed);
        }
        return null;
    }

    /**
     * @return where the damaged frame at {@code offset} ends when its header is whole and its length in range and
     *         within the file (only its CRC is wrong), else the end of the file
     */
    private static long completeUpTo(byte[] data, int offset) {
        if (data.length - offset < FRAME_HEADER_BYTES) {
            return data.length;
        }
        int length = ByteBuffer.wrap(data).getInt(offset);
        if (length < 1 || length > MAX_PAYLOAD_BYTES || data.length - offset - FRAME_HEADER_BYTES < length) {
            return data.length;
        }
        return (long) offset + FRAME_HEADER_BYTES + length;
    }

    /**
     * @return the first offset at or after {@code from} where a complete frame with a good CRC starts, or -1.
     *         Candidates are rare: a length's first byte is 0, and no payload byte is
     */
    private static int nextValidFrame(byte[] data, int from) {
        for (int offset = from; offset + FRAME_HEADER_BYTES < data.length; offset++) {
            if (data[offset] == 0 && damage(data, offset) == null) {
                return offset;
            }
        }
        return -1;
    }

    /** @return the CRC32C of the 4 length bytes at {@code lengthOffset} and {@code length} payload bytes */
    private static int crc(byte[] lengthBytes, int lengthOffset, int length, byte[] payload, int payloadOffset) {
        CRC32C crc = new CRC32C();
        crc.update(lengthBytes, lengthOffset, 4);
        crc.update(payload, payloadOffset, length);
        return (int) crc.getValue();
    }
}
