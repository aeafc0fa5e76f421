package dev.handoff.examples.crashswap;

import dev.handoff.examples.common.JobLedger;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The ledger files the queue children write ({@code <instance id>.ledger}, one line {@code <job id> first} or
 * {@code <job id> redelivered} per job started), read as they grow into a {@link JobLedger}, with which instance
 * ran each job. Thread-safe: every method is synchronized (one reader, the run's thread, in practice).
 */
final class LedgerFolder {

    static final String SUFFIX = ".ledger";

    private final Path folder;
    private final Map<String, Long> positions = new HashMap<>();
    private final Map<String, String> partialLines = new HashMap<>();
    private final JobLedger ledger = new JobLedger();
    /** The instances that ran each job, in the order read. */
    private final Map<String, List<String>> runs = new HashMap<>();
    private final Map<String, Long> runsByInstance = new HashMap<>();

    LedgerFolder(Path folder) {
        this.folder = folder;
    }

    /** @return the line a child writes for a job it starts */
    static String line(String jobId, boolean redelivered) {
        return jobId + (redelivered ? " redelivered\n" : " first\n");
    }

    /** Reads what the children appended since the last call. */
    synchronized void poll() {
        try (DirectoryStream<Path> files = Files.newDirectoryStream(folder, "*" + SUFFIX)) {
            for (Path file : files) {
                read(file);
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read the ledger folder " + folder, e);
        }
    }

    private void read(Path file) throws IOException {
        String name = file.getFileName().toString();
        String instance = name.substring(0, name.length() - SUFFIX.length());
        long position = positions.getOrDefault(instance, 0L);
        try (FileChannel channel = FileChannel.open(file, StandardOpenOption.READ)) {
            long size = channel.size();
            if (size <= position) {
                return;
            }
            ByteBuffer buffer = ByteBuffer.allocate((int) (size - position));
            while (buffer.hasRemaining() && channel.read(buffer, position + buffer.position()) >= 0) {
                // read up to the size seen
            }
            positions.put(instance, position + buffer.position());
            String text = partialLines.getOrDefault(instance, "")
                    + new String(buffer.array(), 0, buffer.position(), StandardCharsets.UTF_8);
            int end = text.lastIndexOf('\n');
            partialLines.put(instance, text.substring(end + 1));
            if (end < 0) {
                return;
            }
            for (String line : text.substring(0, end).split("\n")) {
                int space = line.indexOf(' ');
                String jobId = line.substring(0, space);
                ledger.record(jobId, line.endsWith(" redelivered"));
                runs.computeIfAbsent(jobId, id -> new ArrayList<>(1)).add(instance);
                runsByInstance.merge(instance, 1L, Long::sum);
            }
        }
    }

    /** @return distinct jobs started */
    synchronized long distinct() {
        return ledger.distinct();
    }

    /** @return extra runs: every run of a job after its first */
    synchronized long duplicates() {
        return ledger.duplicates();
    }

    /** @return duplicates whose later run was not marked redelivered */
    synchronized long unmarkedDuplicates() {
        return ledger.unmarkedDuplicates();
    }

    /** @return jobs started by the instance */
    synchronized long startedBy(String instance) {
        return runsByInstance.getOrDefault(instance, 0L);
    }

    /**
     * @param jobCount jobs {@code job-00000000} up to {@code jobCount - 1}
     * @return how many of them no instance started
     */
    synchronized long missing(long jobCount) {
        long missing = 0;
        for (long i = 0; i < jobCount; i++) {
            if (!runs.containsKey(JobPublisher.jobId(i))) {
                missing++;
            }
        }
        return missing;
    }

    /**
     * @param killed instances killed with SIGKILL
     * @return runs after a job's first whose previous run was in a killed instance: the job was inside that
     *     instance at the kill, unacknowledged, and the broker gave it to another
     */
    synchronized long rerunAfterKill(Set<String> killed) {
        long count = 0;
        for (List<String> instances : runs.values()) {
            for (int i = 1; i < instances.size(); i++) {
                if (killed.contains(instances.get(i - 1))) {
                    count++;
                }
            }
        }
        return count;
    }
}
