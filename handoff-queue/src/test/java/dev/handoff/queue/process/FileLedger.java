package dev.handoff.queue.process;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Stream;

/**
 * Reads the ledgers the {@link QueueChild} processes write, one file per instance: every job a handler started,
 * whether it was marked redelivered, and by which instance. A job started twice is a duplicate; a duplicate whose
 * later run was not marked redelivered breaks the contract. Only complete lines count.
 */
final class FileLedger {

    /** One run of a job: which instance ran it, and whether the broker marked it redelivered. */
    record Run(String instance, boolean redelivered) {
    }

    private final Map<String, List<Run>> runs;

    private FileLedger(Map<String, List<Run>> runs) {
        this.runs = runs;
    }

    static String jobId(int index) {
        return String.format("job-%06d", index);
    }

    /** @return what the ledgers in {@code folder} hold now */
    static FileLedger read(Path folder) {
        Map<String, List<Run>> runs = new HashMap<>();
        try (Stream<Path> files = Files.list(folder)) {
            for (Path file : (Iterable<Path>) files.filter(f -> f.toString().endsWith(".ledger"))::iterator) {
                String instance = file.getFileName().toString().replace(".ledger", "");
                String text = new String(Files.readAllBytes(file), StandardCharsets.UTF_8);
                int end = text.lastIndexOf('\n');
                if (end < 0) {
                    continue;
                }
                for (String line : text.substring(0, end).split("\n")) {
                    String[] words = line.split(" ");
                    runs.computeIfAbsent(words[0], id -> new ArrayList<>())
                            .add(new Run(instance, words[1].equals("redelivered")));
                }
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return new FileLedger(runs);
    }

    long distinct() {
        return runs.size();
    }

    long duplicates() {
        return runs.values().stream().mapToLong(list -> list.size() - 1).sum();
    }

    /**
     * @return runs of a job not marked redelivered, beyond one per job: a job is delivered unmarked at most once,
     *     every later delivery (after a requeue or a lost connection) is marked
     */
    long unmarkedDuplicates() {
        return runs.values().stream()
                .mapToLong(list -> Math.max(0, list.stream().filter(run -> !run.redelivered()).count() - 1)).sum();
    }

    long lost(int published) {
        long missing = 0;
        for (int i = 0; i < published; i++) {
            if (!runs.containsKey(jobId(i))) {
                missing++;
            }
        }
        return missing;
    }

    /** @return jobs started by {@code instance} */
    long startedBy(String instance) {
        return runs.values().stream().flatMap(List::stream).filter(run -> run.instance().equals(instance)).count();
    }

    /** @return the jobs run more than once */
    Set<String> duplicated() {
        Set<String> ids = new HashSet<>();
        runs.forEach((id, list) -> {
            if (list.size() > 1) {
                ids.add(id);
            }
        });
        return ids;
    }

    /** @return the instances that ran {@code jobId}, in no particular order */
    List<String> instancesOf(String jobId) {
        return runs.getOrDefault(jobId, List.of()).stream().map(Run::instance).toList();
    }

    @Override
    public String toString() {
        return "FileLedger[distinct=" + distinct() + ", duplicates=" + duplicates() + ", unmarked="
                + unmarkedDuplicates() + "]";
    }
}
