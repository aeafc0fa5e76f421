package dev.handoff.core.internal.journal;

import dev.handoff.core.internal.journal.Frames.Contents;
import dev.handoff.core.internal.journal.Frames.Frame;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class FramesTest {

    @TempDir
    Path folder;

    private final List<JournalEntry> entries = new ArrayList<>();
    /** Where each frame starts, and (last element) where the file ends. */
    private final List<Integer> boundaries = new ArrayList<>();
    private byte[] file;

    @Test
    void aWholeFileReadsBackEveryFrameAtItsOffset() throws IOException {
        given(Records.everyType());

        Contents contents = Frames.read(write(file), false);

        assertThat(contents.frames()).extracting(Frame::entry).containsExactlyElementsOf(entries);
        assertThat(contents.frames()).extracting(frame -> (int) frame.offset())
                .containsExactlyElementsOf(boundaries.subList(0, entries.size()));
        assertThat(contents.validEnd()).isEqualTo(file.length);
        assertThat(contents.tailIgnored()).isFalse();
    }

    @Test
    void aFileCutAtAnyByteReadsBackTheCompleteFramesAndIgnoresTheRest() throws IOException {
        given(Records.swapHistory());

        for (int cut = 0; cut <= file.length; cut++) {
            Contents contents = Frames.read(write(Arrays.copyOf(file, cut)), true);

            int complete = completeFramesIn(cut);
            assertThat(contents.frames()).as("cut at %d", cut)
                    .extracting(Frame::entry).containsExactlyElementsOf(entries.subList(0, complete));
            int validEnd = cut < Frames.FILE_HEADER_BYTES ? 0 : boundaries.get(complete);
            assertThat(contents.validEnd()).as("cut at %d", cut).isEqualTo(validEnd);
            // a file shorter than its header (even empty) was cut while it was created
            assertThat(contents.tailIgnored()).as("cut at %d", cut)
                    .isEqualTo(cut < Frames.FILE_HEADER_BYTES || cut != validEnd);
        }
    }

    @Test
    void aCorruptLastFrameIsIgnoredAsTheTail() throws IOException {
        given(Records.swapHistory());
        int last = boundaries.get(entries.size() - 1);
        file[file.length - 3] ^= 0x01;

        Contents contents = Frames.read(write(file), true);

        assertThat(contents.frames()).extracting(Frame::entry)
                .containsExactlyElementsOf(entries.subList(0, entries.size() - 1));
        assertThat(contents.validEnd()).isEqualTo(last);
        assertThat(contents.tailReason()).startsWith("frame checksum mismatch");
    }

    @Test
    void aCorruptFrameBeforeTheLastIsAnErrorNamingTheFileAndTheOffset() throws IOException {
        given(Records.swapHistory());
        int third = boundaries.get(2);
        file[third + Frames.FRAME_HEADER_BYTES + 2] ^= 0x01;
        Path path = write(file);

        assertThatThrownBy(() -> Frames.read(path, true))
                .isInstanceOfSatisfying(JournalCorruptedException.class, e -> {
                    assertThat(e.file()).isEqualTo(path);
                    assertThat(e.offset()).isEqualTo(third);
                })
                .hasMessageStartingWith("journal file " + path + " is corrupt at offset " + third
                        + ": frame checksum mismatch");
    }

    @Test
    void aLengthBrokenBeforeTheLastFrameIsAnErrorEvenWhenItPointsPastTheEnd() throws IOException {
        given(Records.swapHistory());
        int third = boundaries.get(2);
        // a length that reaches past the end of the file reads like a torn last frame, but good frames follow it
        ByteBuffer.wrap(file).putInt(third, file.length);
        Path path = write(file);

        assertThatThrownBy(() -> Frames.read(path, true))
                .isInstanceOfSatisfying(JournalCorruptedException.class,
                        e -> assertThat(e.offset()).isEqualTo(third))
                .hasMessageContaining("frame cut short")
                .hasMessageContaining("a valid frame follows at offset " + boundaries.get(3));
    }

    @Test
    void aLengthOutOfRangeBeforeTheLastFrameIsAnError() throws IOException {
        given(Records.swapHistory());
        int second = boundaries.get(1);
        ByteBuffer.wrap(file).putInt(second, -5);

        assertThatThrownBy(() -> Frames.read(write(file), true))
                .isInstanceOfSatisfying(JournalCorruptedException.class,
                        e -> assertThat(e.offset()).isEqualTo(second))
                .hasMessageContaining("frame length -5 out of range");
    }

    @Test
    void aZeroFilledTailIsIgnored() throws IOException {
        // a file system may extend a file with zeros when a crash interrupts an append
        given(Records.swapHistory());
        byte[] padded = Arrays.copyOf(file, file.length + 100);

        Contents contents = Frames.read(write(padded), true);

        assertThat(contents.frames()).extracting(Frame::entry).containsExactlyElementsOf(entries);
        assertThat(contents.validEnd()).isEqualTo(file.length);
        assertThat(contents.tailReason()).isEqualTo("frame length 0 out of range 1..1048576");
    }

    @Test
    void aFileThatMustBeWholeRefusesATornTail() throws IOException {
        given(Records.swapHistory());
        Path path = write(Arrays.copyOf(file, file.length - 1));

        assertThatThrownBy(() -> Frames.read(path, false))
                .isInstanceOf(JournalCorruptedException.class)
                .hasMessageContaining("in a file that must be whole");
        Path cutHeader = write(Arrays.copyOf(file, 5));
        assertThatThrownBy(() -> Frames.read(cutHeader, false))
                .isInstanceOf(JournalCorruptedException.class)
                .hasMessageEndingWith("corrupt at offset 0: file header cut short: 5 of 8 bytes");
    }

    @Test
    void aFrameWhoseChecksumMatchesButWhoseRecordDoesNotDecodeIsAnError() throws IOException {
        byte[] payload = "1 MEMBER_JOINED web-1".getBytes(java.nio.charset.StandardCharsets.US_ASCII);
        ByteBuffer frame = Frames.frame(new JournalEntry(1, new JournalRecord.RouterBound("x".repeat(
                payload.length - "1 ROUTER_BOUND ".length()))));
        byte[] bytes = concat(Frames.fileHeader(), frame);
        // same length: rewrite the payload and its checksum as a writer of an unknown record type would
        System.arraycopy(payload, 0, bytes, 16, payload.length);
        java.util.zip.CRC32C crc = new java.util.zip.CRC32C();
        crc.update(bytes, 8, 4);
        crc.update(payload);
        ByteBuffer.wrap(bytes).putInt(12, (int) crc.getValue());

        assertThatThrownBy(() -> Frames.read(write(bytes), true))
                .isInstanceOf(JournalCorruptedException.class)
                .hasMessageContaining("corrupt at offset 8: the frame's checksum matches but its record does not "
                        + "decode: unknown record type 'MEMBER_JOINED'");
    }

    @Test
    void aFileOfAnotherKindOrVersionIsRefused() throws IOException {
        given(Records.swapHistory());
        byte[] otherMagic = file.clone();
        otherMagic[0] = 'X';
        byte[] otherVersion = file.clone();
        ByteBuffer.wrap(otherVersion).putInt(4, 2);

        assertThatThrownBy(() -> Frames.read(write(otherMagic), true))
                .isInstanceOf(JournalCorruptedException.class).hasMessageContaining("not a handoff journal file");
        Path versionTwo = write(otherVersion);
        assertThatThrownBy(() -> Frames.read(versionTwo, true))
                .isInstanceOf(IOException.class)
                .hasMessage("journal file " + versionTwo + " is of format version 2; this build reads version 1 only");
    }

    @Test
    void aRecordLongerThanOneMebibyteIsRefusedBeforeAnythingIsWritten() {
        JournalEntry huge = new JournalEntry(1, new JournalRecord.MemberRemoved("web-1", "x".repeat(1 << 20)));

        assertThatThrownBy(() -> Frames.frame(huge))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageStartingWith("a journal record must encode to at most 1048576 bytes, but MemberRemoved "
                        + "encodes to ");
    }

    private void given(List<JournalRecord> records) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        out.writeBytes(Frames.fileHeader().array());
        long sequence = 1;
        for (JournalRecord record : records) {
            JournalEntry entry = new JournalEntry(sequence++, record);
            entries.add(entry);
            boundaries.add(out.size());
            ByteBuffer frame = Frames.frame(entry);
            out.write(frame.array(), 0, frame.limit());
        }
        boundaries.add(out.size());
        file = out.toByteArray();
    }

    private int completeFramesIn(int length) {
        int complete = 0;
        while (complete < entries.size() && boundaries.get(complete + 1) <= length) {
            complete++;
        }
        return complete;
    }

    private Path write(byte[] bytes) throws IOException {
        Path path = Files.createTempFile(folder, "segment", "");
        Files.write(path, bytes);
        return path;
    }

    private static byte[] concat(ByteBuffer first, ByteBuffer second) {
        byte[] bytes = new byte[first.remaining() + second.remaining()];
        first.get(bytes, 0, first.remaining());
        second.get(bytes, bytes.length - second.remaining(), second.remaining());
        return bytes;
    }
}
