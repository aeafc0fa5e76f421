package dev.handoff.core.internal.journal;

import ch.qos.logback.classic.Level;
import dev.handoff.core.internal.journal.Frames.Frame;
import dev.handoff.core.internal.journal.JournalRecord.GroupOpened;
import dev.handoff.core.internal.journal.JournalRecord.MemberAdded;
import dev.handoff.core.internal.journal.JournalRecord.MemberKind;
import dev.handoff.core.internal.journal.JournalRecord.RouterBound;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.channels.ClosedByInterruptException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import java.util.stream.LongStream;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class JournalTest {

    private static final String FIRST_SEGMENT = StateDirectory.segmentName(1);

    @TempDir
    Path folder;

    private final LogCapture log = new LogCapture();

    @AfterEach
    void stopCapturing() {
        log.close();
    }

    @Test
    void aNewDirectoryIsCreatedAndOpensAtEpochOneWithNothingRecovered() throws IOException {
        Path directory = folder.resolve("state/web");

        try (Journal journal = Journal.open(directory, "web")) {
            assertThat(journal.epoch()).isEqualTo(1);
            assertThat(journal.recovered()).isEmpty();
            assertThat(journal.lastSequence()).isEqualTo(1);
            assertThat(journal.directory()).isEqualTo(directory.toRealPath());
        }
        assertThat(fileNames(directory)).containsExactlyInAnyOrder("lock", FIRST_SEGMENT);
    }

    @Test
    void recordsOfEveryTypeAreReadBackInOrderWithTheirSequenceNumbers() throws IOException {
        // GroupOpened round trips through open (below) and snapshot; append refuses it
        List<JournalRecord> records = Records.everyType().stream().filter(record -> !(record instanceof GroupOpened))
                .collect(Collectors.toCollection(ArrayList::new));
        records.addAll(Records.swapHistory());
        List<Long> sequences = new ArrayList<>();
        try (Journal journal = Journal.open(folder, "web")) {
            for (JournalRecord record : records) {
                sequences.add(journal.append(record));
            }
        }

        List<JournalEntry> expected = new ArrayList<>();
        expected.add(new JournalEntry(1, new GroupOpened("web", 1)));
        for (int index = 0; index < records.size(); index++) {
            expected.add(new JournalEntry(index + 2, records.get(index)));
        }
        assertThat(sequences).containsExactlyElementsOf(LongStream.rangeClosed(2, records.size() + 1).boxed()
                .collect(Collectors.toList()));
        try (Journal journal = Journal.open(folder, "web")) {
            assertThat(journal.recovered()).containsExactlyElementsOf(expected);
            assertThat(journal.epoch()).isEqualTo(2);
        }
    }

    @Test
    void epochsIncreaseAcrossReopenings() throws IOException {
        List<Long> epochs = new ArrayList<>();
        for (int opening = 0; opening < 4; opening++) {
            try (Journal journal = Journal.open(folder, "web")) {
                epochs.add(journal.epoch());
                if (opening == 1) {
                    journal.snapshot(List.of(new RouterBound("web-1")));
                }
            }
        }

        assertThat(epochs).containsExactly(1L, 2L, 3L, 4L);
        try (Journal journal = Journal.open(folder, "web")) {
            // the snapshot taken at epoch 2 starts with GroupOpened(2); the openings after it follow
            assertThat(journal.recovered()).extracting(JournalEntry::record).containsExactly(
                    new GroupOpened("web", 2), new RouterBound("web-1"),
                    new GroupOpened("web", 3), new GroupOpened("web", 4));
            assertThat(journal.epoch()).isEqualTo(5);
        }
    }

    @Test
    void aDirectoryOfAnotherGroupIsRefusedAndLeftAsItWas() throws IOException {
        Journal.open(folder, "web").close();
        Path segment = folder.resolve(FIRST_SEGMENT);
        // a torn tail and a temporary snapshot: the opener of another group must not repair them
        Files.write(segment, new byte[] {0, 0, 1}, StandardOpenOption.APPEND);
        Files.write(folder.resolve("snapshot.tmp"), new byte[] {1, 2, 3});
        byte[] before = Files.readAllBytes(segment);

        assertThatThrownBy(() -> Journal.open(folder, "worker"))
                .isInstanceOf(IllegalStateException.class)
                .hasMessage("state directory " + folder.toRealPath() + " holds the journal of group 'web', not "
                        + "'worker'");

        assertThat(Files.readAllBytes(segment)).isEqualTo(before);
        assertThat(fileNames(folder)).containsExactlyInAnyOrder("lock", "snapshot.tmp", FIRST_SEGMENT);
        // the refusal released the directory
        Journal.open(folder, "web").close();
        assertThat(fileNames(folder)).containsExactlyInAnyOrder("lock", FIRST_SEGMENT);
    }

    @Test
    void aCrashAtAnyByteOfTheJournalLosesOnlyTheRecordItCut() throws IOException {
        Path original = folder.resolve("original");
        try (Journal journal = Journal.open(original, "web")) {
            for (JournalRecord record : Records.swapHistory()) {
                journal.append(record);
            }
        }
        byte[] segment = Files.readAllBytes(original.resolve(FIRST_SEGMENT));
        List<Frame> frames = Frames.read(original.resolve(FIRST_SEGMENT), false).frames();
        List<Long> boundaries = frames.stream().map(Frame::offset).collect(Collectors.toList());
        boundaries.add((long) segment.length);

        for (int cut = 0; cut <= segment.length; cut++) {
            Path directory = folder.resolve("cut-" + cut);
            Files.createDirectories(directory);
            Files.write(directory.resolve(FIRST_SEGMENT), Arrays.copyOf(segment, cut));
            int complete = 0;
            while (complete < frames.size() && boundaries.get(complete + 1) <= cut) {
                complete++;
            }
            List<JournalEntry> survivors = frames.subList(0, complete).stream().map(Frame::entry)
                    .collect(Collectors.toList());
            long epoch = complete == 0 ? 1 : 2;
            log.clear();

            try (Journal journal = Journal.open(directory, "web")) {
                assertThat(journal.recovered()).as("cut at %d", cut).containsExactlyElementsOf(survivors);
                assertThat(journal.epoch()).as("cut at %d", cut).isEqualTo(epoch);
                journal.append(new RouterBound("web-after-" + cut));
            }
            long validEnd = cut < Frames.FILE_HEADER_BYTES ? 0 : boundaries.get(complete);
            if (cut == validEnd && cut >= Frames.FILE_HEADER_BYTES) {
                assertThat(log.messages(Level.WARN)).as("cut at %d", cut).isEmpty();
            } else {
                assertThat(log.messages(Level.WARN)).as("cut at %d", cut).singleElement().asString()
                        .contains("torn or corrupt last frame in " + FIRST_SEGMENT + " at offset " + validEnd + " (");
            }
            List<JournalEntry> expected = new ArrayList<>(survivors);
            expected.add(new JournalEntry(complete + 1, new GroupOpened("web", epoch)));
            expected.add(new JournalEntry(complete + 2, new RouterBound("web-after-" + cut)));
            try (Journal journal = Journal.open(directory, "web")) {
                assertThat(journal.recovered()).as("cut at %d", cut).containsExactlyElementsOf(expected);
            }
        }
    }

    @Test
    void aCorruptLastRecordIsIgnoredAndAppendsContinueAfterTheRecordsBeforeIt() throws IOException {
        try (Journal journal = Journal.open(folder, "web")) {
            for (JournalRecord record : Records.swapHistory()) {
                journal.append(record);
            }
        }
        Path segment = folder.resolve(FIRST_SEGMENT);
        List<Frame> frames = Frames.read(segment, false).frames();
        long lastOffset = frames.get(frames.size() - 1).offset();
        byte[] bytes = Files.readAllBytes(segment);
        bytes[bytes.length - 1] ^= 0x20;
        Files.write(segment, bytes);

        try (Journal journal = Journal.open(folder, "web")) {
            assertThat(journal.recovered()).containsExactlyElementsOf(frames.subList(0, frames.size() - 1).stream()
                    .map(Frame::entry).collect(Collectors.toList()));
            assertThat(log.messages(Level.WARN)).singleElement().asString()
                    .contains("at offset " + lastOffset + " (frame checksum mismatch");
            assertThat(journal.append(new RouterBound("web-3"))).isEqualTo(frames.size() + 1);
        }
        assertThat(Frames.read(segment, false).tailIgnored()).isFalse();
    }

    @Test
    void aCorruptRecordBeforeTheLastRefusesTheDirectoryNamingTheFileAndTheOffset() throws IOException {
        try (Journal journal = Journal.open(folder, "web")) {
            for (JournalRecord record : Records.swapHistory()) {
                journal.append(record);
            }
        }
        Path segment = folder.resolve(FIRST_SEGMENT).toRealPath();
        Frame fourth = Frames.read(segment, false).frames().get(3);
        byte[] bytes = Files.readAllBytes(segment);
        bytes[(int) fourth.offset() + Frames.FRAME_HEADER_BYTES] ^= 0x01;
        Files.write(segment, bytes);
        Files.write(folder.resolve("snapshot.tmp"), new byte[] {1, 2, 3});

        for (int attempt = 0; attempt < 2; attempt++) {
            // the second attempt gets the same answer: the first one released the directory and changed nothing
            assertThatThrownBy(() -> Journal.open(folder, "web"))
                    .isInstanceOf(JournalCorruptedException.class)
                    .hasMessageStartingWith("journal file " + segment + " is corrupt at offset " + fourth.offset()
                            + ": frame checksum mismatch");
        }
        assertThat(Files.readAllBytes(segment)).isEqualTo(bytes);
        assertThat(fileNames(folder)).containsExactlyInAnyOrder("lock", "snapshot.tmp", FIRST_SEGMENT);
    }

    @Test
    void aMissingRecordIsAnError() throws IOException {
        try (Journal journal = Journal.open(folder, "web")) {
            journal.append(new RouterBound("web-1"));
        }
        // a segment that does not continue the one before it: records 3.. are missing
        Files.copy(folder.resolve(FIRST_SEGMENT), folder.resolve(StateDirectory.segmentName(5)));

        assertThatThrownBy(() -> Journal.open(folder, "web"))
                .isInstanceOf(JournalCorruptedException.class)
                .hasMessageContaining("the segment starts at sequence 5, but the records before it end at 2");
    }

    @Test
    void aSnapshotReplacesTheJournalAndRecoveryReadsItThenTheRecordsAfterIt() throws IOException {
        List<JournalRecord> state = List.of(
                new MemberAdded("web-2", "1.1", MemberKind.LAUNCHED, Map.of("pid", "4242")),
                new RouterBound("web-2"));
        try (Journal journal = Journal.open(folder, "web")) {
            for (JournalRecord record : Records.swapHistory()) {
                journal.append(record);
            }
            journal.snapshot(state);
            assertThat(journal.lastSequence()).isEqualTo(14);
            assertThat(journal.append(new RouterBound("web-3"))).isEqualTo(15);
        }

        assertThat(fileNames(folder)).containsExactlyInAnyOrder("lock", "snapshot", StateDirectory.segmentName(15));
        try (Journal journal = Journal.open(folder, "web")) {
            assertThat(journal.recovered()).containsExactly(
                    new JournalEntry(12, new GroupOpened("web", 1)),
                    new JournalEntry(13, state.get(0)),
                    new JournalEntry(14, state.get(1)),
                    new JournalEntry(15, new RouterBound("web-3")));
            assertThat(journal.recoveredFromSnapshot()).isEqualTo(3);
            journal.snapshot(List.of());
        }
        try (Journal journal = Journal.open(folder, "web")) {
            assertThat(journal.recovered()).containsExactly(
                    new JournalEntry(17, new GroupOpened("web", 2)));
        }
        assertThat(fileNames(folder)).containsExactlyInAnyOrder("lock", "snapshot", StateDirectory.segmentName(18));
    }

    @Test
    void aCrashJustAfterTheTemporarySnapshotIsWrittenRecoversThePreviousState() throws IOException {
        List<JournalEntry> before = crashDuringSnapshotAt(Journal.SnapshotPoint.TEMPORARY_WRITTEN);
        assertThat(fileNames(folder)).containsExactlyInAnyOrder("lock", "snapshot.tmp", FIRST_SEGMENT);

        assertRecovers(before, 0);
        assertThat(log.messages(Level.INFO)).anySatisfy(message -> assertThat(message)
                .contains("deleted snapshot.tmp, a snapshot interrupted before its rename"));
    }

    @Test
    void aCrashJustAfterTheRenameRecoversTheSnapshot() throws IOException {
        crashDuringSnapshotAt(Journal.SnapshotPoint.RENAMED);
        assertThat(fileNames(folder)).containsExactlyInAnyOrder("lock", "snapshot", FIRST_SEGMENT);

        assertRecovers(snapshotEntries(), 3);
    }

    @Test
    void aCrashBeforeTheNewSegmentRecoversTheSnapshotAndMakesTheSegment() throws IOException {
        crashDuringSnapshotAt(Journal.SnapshotPoint.DIRECTORY_FORCED);
        assertThat(fileNames(folder)).containsExactlyInAnyOrder("lock", "snapshot", FIRST_SEGMENT);

        assertRecovers(snapshotEntries(), 3);
    }

    @Test
    void aCrashBeforeTheOldSegmentIsDeletedRecoversTheSnapshot() throws IOException {
        crashDuringSnapshotAt(Journal.SnapshotPoint.SEGMENT_CREATED);
        assertThat(fileNames(folder)).containsExactlyInAnyOrder("lock", "snapshot", FIRST_SEGMENT,
                StateDirectory.segmentName(15));

        assertRecovers(snapshotEntries(), 3);
    }

    @Test
    void aTornNewSegmentIsMadeWholeAgain() throws IOException {
        crashDuringSnapshotAt(Journal.SnapshotPoint.SEGMENT_CREATED);
        // the process died while the new segment's header was written
        Files.write(folder.resolve(StateDirectory.segmentName(15)), new byte[] {'H', 'O'});

        assertRecovers(snapshotEntries(), 3);
    }

    @Test
    void aDamagedSnapshotIsAnError() throws IOException {
        try (Journal journal = Journal.open(folder, "web")) {
            journal.snapshot(Records.swapHistory());
        }
        Path snapshot = folder.resolve("snapshot").toRealPath();
        byte[] bytes = Files.readAllBytes(snapshot);
        // even its last frame: it was forced before its rename, so it is never torn by a crash
        Files.write(snapshot, Arrays.copyOf(bytes, bytes.length - 1));

        assertThatThrownBy(() -> Journal.open(folder, "web"))
                .isInstanceOf(JournalCorruptedException.class)
                .hasMessageStartingWith("journal file " + snapshot + " is corrupt at offset ")
                .hasMessageContaining("in a file that must be whole");
    }

    @Test
    void aSnapshotWriteThatFailsBeforeTheRenameLeavesTheJournalAsItWas() throws IOException {
        try (Journal journal = Journal.open(folder, "web")) {
            // a directory in the way of the temporary file: its creation fails
            Files.createDirectories(folder.resolve("snapshot.tmp/occupied"));

            assertThatThrownBy(() -> journal.snapshot(List.of())).isInstanceOf(IOException.class);

            assertThat(journal.append(new RouterBound("web-1"))).isEqualTo(2);
            Files.delete(folder.resolve("snapshot.tmp/occupied"));
            Files.delete(folder.resolve("snapshot.tmp"));
        }
    }

    @Test
    void aSnapshotRefusesAGroupOpenedAndNullRecords() throws IOException {
        try (Journal journal = Journal.open(folder, "web")) {
            assertThatThrownBy(() -> journal.snapshot(List.of(new GroupOpened("web", 1))))
                    .isInstanceOf(IllegalArgumentException.class)
                    .hasMessageStartingWith("state must not hold a GroupOpened");
            assertThatThrownBy(() -> journal.snapshot(Arrays.asList(new RouterBound("web-1"), null)))
                    .isInstanceOf(NullPointerException.class).hasMessage("state must not hold a null record");
            assertThat(journal.append(new RouterBound("web-1"))).isEqualTo(2);
        }
        assertThat(fileNames(folder)).containsExactlyInAnyOrder("lock", FIRST_SEGMENT);
    }

    @Test
    void aSecondOpenInThisJvmIsRefusedAndLeavesTheFirstHolderItsLock() throws IOException {
        try (Journal first = Journal.open(folder, "web")) {
            String pid = Long.toString(ProcessHandle.current().pid());

            assertThatThrownBy(() -> Journal.open(folder.resolve("."), "web"))
                    .isInstanceOf(IllegalStateException.class)
                    .hasMessage("state directory " + folder.toRealPath() + " is locked by another orchestrator (pid "
                            + pid + ", this JVM): one orchestrator at a time may hold a group's journal");

            assertThat(first.append(new RouterBound("web-1"))).isEqualTo(2);
            assertThat(OtherJvm.tryToOpen(folder, "web").exitCode()).isEqualTo(OtherJvm.REFUSED);
        }
        try (Journal again = Journal.open(folder, "web")) {
            assertThat(again.epoch()).isEqualTo(2);
        }
    }

    @Test
    void concurrentAppendsAreAllKeptEachWithItsOwnSequenceNumber() throws Exception {
        int threads = 4;
        int perThread = 50;
        ExecutorService pool = Executors.newFixedThreadPool(threads);
        ConcurrentLinkedQueue<Long> sequences = new ConcurrentLinkedQueue<>();
        try (Journal journal = Journal.open(folder, "web")) {
            CountDownLatch start = new CountDownLatch(1);
            List<Future<?>> done = new ArrayList<>();
            for (int thread = 0; thread < threads; thread++) {
                int id = thread;
                done.add(pool.submit(() -> {
                    start.await();
                    for (int index = 0; index < perThread; index++) {
                        sequences.add(journal.append(new RouterBound("web-" + id + "-" + index)));
                    }
                    return null;
                }));
            }
            start.countDown();
            for (Future<?> future : done) {
                future.get(60, TimeUnit.SECONDS);
            }
        } finally {
            pool.shutdownNow();
        }

        assertThat(sequences).containsExactlyInAnyOrderElementsOf(LongStream.rangeClosed(2, threads * perThread + 1)
                .boxed().collect(Collectors.toList()));
        try (Journal journal = Journal.open(folder, "web")) {
            assertThat(journal.recovered()).hasSize(threads * perThread + 1);
            for (int thread = 0; thread < threads; thread++) {
                String prefix = "web-" + thread + "-";
                // each thread's records in the order it appended them
                assertThat(journal.recovered().stream().map(JournalEntry::record)
                        .filter(record -> record instanceof RouterBound bound && bound.instanceId().startsWith(prefix))
                        .map(record -> ((RouterBound) record).instanceId()))
                        .containsExactlyElementsOf(Stream.iterate(0, index -> index + 1).limit(perThread)
                                .map(index -> prefix + index).collect(Collectors.toList()));
            }
        }
    }

    @Test
    void anAppendInterruptedOnItsThreadFailsTheJournalAndReopeningRecovers() throws IOException {
        try (Journal journal = Journal.open(folder, "web")) {
            Thread.currentThread().interrupt();
            try {
                assertThatThrownBy(() -> journal.append(new RouterBound("web-1")))
                        .isInstanceOf(ClosedByInterruptException.class);
            } finally {
                Thread.interrupted();
            }

            assertThatThrownBy(() -> journal.append(new RouterBound("web-2")))
                    .isInstanceOf(IllegalStateException.class)
                    .hasMessageStartingWith("the journal of group 'web' in " + folder.toRealPath() + " failed (the "
                            + "append of record 2 at offset ")
                    .hasMessageEndingWith("close it and open the directory again to recover");
        }
        try (Journal journal = Journal.open(folder, "web")) {
            assertThat(journal.recovered()).extracting(JournalEntry::record)
                    .first().isEqualTo(new GroupOpened("web", 1));
            assertThat(journal.epoch()).isEqualTo(2);
        }
    }

    @Test
    void aClosedJournalRefusesAppendsAndClosesOnce() throws IOException {
        Journal journal = Journal.open(folder, "web");
        journal.close();
        journal.close();

        assertThatThrownBy(() -> journal.append(new RouterBound("web-1")))
                .isInstanceOf(IllegalStateException.class)
                .hasMessage("the journal of group 'web' in " + folder.toRealPath() + " is closed");
        assertThatThrownBy(() -> journal.snapshot(List.of())).isInstanceOf(IllegalStateException.class);
    }

    @Test
    void argumentsAreChecked() throws IOException {
        assertThatThrownBy(() -> Journal.open(null, "web"))
                .isInstanceOf(NullPointerException.class).hasMessage("directory must not be null");
        assertThatThrownBy(() -> Journal.open(folder, null))
                .isInstanceOf(NullPointerException.class).hasMessage("group must not be null");
        assertThatThrownBy(() -> Journal.open(folder, " "))
                .isInstanceOf(IllegalArgumentException.class).hasMessage("group must not be blank, but was ' '");
        try (Journal journal = Journal.open(folder, "web")) {
            assertThatThrownBy(() -> journal.append(null))
                    .isInstanceOf(NullPointerException.class).hasMessage("record must not be null");
            assertThatThrownBy(() -> journal.snapshot(null))
                    .isInstanceOf(NullPointerException.class).hasMessage("state must not be null");
            assertThatThrownBy(() -> journal.append(new GroupOpened("web", 9)))
                    .isInstanceOf(IllegalArgumentException.class)
                    .hasMessageStartingWith("a GroupOpened is written by open (which raises the epoch) and snapshot "
                            + "only");
            assertThat(journal.lastSequence()).isEqualTo(1);
        }
    }

    /** The state the snapshot tests write: two records after the journal's own GroupOpened. */
    private static List<JournalRecord> snapshotState() {
        return List.of(new MemberAdded("web-2", "1.1", MemberKind.LAUNCHED, Map.of("pid", "4242")),
                new RouterBound("web-2"));
    }

    /** @return the entries of the snapshot {@link #crashDuringSnapshotAt} takes, numbered 12 to 14 */
    private static List<JournalEntry> snapshotEntries() {
        List<JournalRecord> state = snapshotState();
        return List.of(new JournalEntry(12, new GroupOpened("web", 1)), new JournalEntry(13, state.get(0)),
                new JournalEntry(14, state.get(1)));
    }

    /**
     * Opens a new journal, appends the swap history (records 2 to 11), then takes a snapshot that dies at
     * {@code point}; the journal is failed, and closed as a dead process would leave it (nothing more written).
     *
     * @return the records the journal held before the snapshot
     */
    private List<JournalEntry> crashDuringSnapshotAt(Journal.SnapshotPoint point) throws IOException {
        List<JournalEntry> before = new ArrayList<>();
        before.add(new JournalEntry(1, new GroupOpened("web", 1)));
        try (Journal journal = Journal.open(folder, "web", reached -> {
            if (reached == point) {
                throw new IOException("simulated crash at " + reached);
            }
        })) {
            for (JournalRecord record : Records.swapHistory()) {
                before.add(new JournalEntry(journal.append(record), record));
            }

            assertThatThrownBy(() -> journal.snapshot(snapshotState()))
                    .isInstanceOf(IOException.class).hasMessage("simulated crash at " + point);

            assertThatThrownBy(() -> journal.append(new RouterBound("web-3")))
                    .isInstanceOf(IllegalStateException.class).hasMessageContaining("failed (the snapshot of records "
                            + "12 to 14 failed");
        }
        return before;
    }

    /**
     * Opens the directory after a crash: it reads back {@code expected}, leaves one segment and no temporary file,
     * takes appends, and reads them back on the next opening.
     */
    private void assertRecovers(List<JournalEntry> expected, int fromSnapshot) throws IOException {
        long next = expected.get(expected.size() - 1).sequence() + 1;
        try (Journal journal = Journal.open(folder, "web")) {
            assertThat(journal.recovered()).containsExactlyElementsOf(expected);
            assertThat(journal.recoveredFromSnapshot()).isEqualTo(fromSnapshot);
            assertThat(journal.epoch()).isEqualTo(2);
            assertThat(journal.append(new RouterBound("web-3"))).isEqualTo(next + 1);
        }
        assertThat(fileNames(folder)).doesNotContain("snapshot.tmp")
                .filteredOn(name -> name.startsWith("journal-")).hasSize(1);
        List<JournalEntry> after = new ArrayList<>(expected);
        after.add(new JournalEntry(next, new GroupOpened("web", 2)));
        after.add(new JournalEntry(next + 1, new RouterBound("web-3")));
        try (Journal journal = Journal.open(folder, "web")) {
            assertThat(journal.recovered()).containsExactlyElementsOf(after);
        }
    }

    private static List<String> fileNames(Path directory) throws IOException {
        try (Stream<Path> files = Files.list(directory)) {
            return files.map(file -> file.getFileName().toString()).collect(Collectors.toList());
        }
    }
}
