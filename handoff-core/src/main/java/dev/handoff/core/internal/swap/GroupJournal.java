package dev.handoff.core.internal.swap;

import dev.handoff.api.HandoffException;
import dev.handoff.core.internal.journal.Journal;
import dev.handoff.core.internal.journal.JournalEntry;
import dev.handoff.core.internal.journal.JournalRecord;
import dev.handoff.core.internal.journal.JournalRecord.MemberAdded;
import dev.handoff.core.internal.journal.JournalRecord.MemberRemoved;
import dev.handoff.core.internal.journal.JournalRecord.RouterBound;
import dev.handoff.core.internal.journal.JournalRecord.RouterUnbound;
import dev.handoff.core.internal.journal.JournalRecord.StepDone;
import dev.handoff.core.internal.journal.JournalRecord.SwapEnded;
import dev.handoff.core.internal.journal.JournalRecord.SwapIntent;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The engine's side of the write-ahead journal: what it appends (forced before the step acts), what a restarted
 * orchestrator reads back ({@link State}), and the snapshot that compacts it. Without a state directory every call
 * does nothing ({@link #none()}).
 *
 * <p>A record that cannot be written fails the call that needed it ({@link HandoffException}): a swap whose intent,
 * or a launch whose {@code MemberAdded}, cannot be written does not act. The journal is failed from then on (see
 * {@link Journal}), and every later record is refused, so no swap starts again until the orchestrator is restarted.
 *
 * <p>Not API. Thread-safe (appends are serialized by the journal).
 */
final class GroupJournal implements AutoCloseable {

    /** How a swap's intent carries the size the group is to have: the last field of its plan text. */
    private static final Pattern SIZE = Pattern.compile(" size=(\\d+)$");

    private final Journal journal;
    /** Tests: called before each append with its 1-based count in this orchestrator; may throw to stop it dead. */
    private volatile AppendHook hook = AppendHook.NONE;
    private long appends;

    private GroupJournal(Journal journal) {
        this.journal = journal;
    }

    /** @return a journal that records nothing */
    static GroupJournal none() {
        return new GroupJournal(null);
    }

    /**
     * Opens (or creates) the group's journal in {@code directory}: takes the lock and raises the epoch.
     *
     * @throws IllegalStateException when another live orchestrator holds the directory, or it is another group's
     * @throws UncheckedIOException  when the directory cannot be read or written, or its journal is corrupted
     */
    static GroupJournal open(Path directory, String group) {
        try {
            return new GroupJournal(Journal.open(directory, group));
        } catch (IOException e) {
            throw new UncheckedIOException("cannot open the journal of group '" + group + "' in " + directory + ": "
                    + e.getMessage(), e);
        }
    }

    boolean isOn() {
        return journal != null;
    }

    /** @return the epoch this orchestrator raised; 0 without a journal */
    long epoch() {
        return journal == null ? 0 : journal.epoch();
    }

    /** @return the state directory, or null */
    Path directory() {
        return journal == null ? null : journal.directory();
    }

    /** @return what the records read back at opening say about the group */
    State recovered() {
        return journal == null ? State.EMPTY : State.replay(journal.recovered());
    }

    /**
     * Appends and forces one record.
     *
     * @throws HandoffException when it cannot be written (the journal is failed from then on)
     */
    void record(JournalRecord record) {
        if (journal == null) {
            return;
        }
        synchronized (this) {
            hook.beforeAppend(++appends, record);
            try {
                journal.append(record);
            } catch (IOException | RuntimeException e) {
                throw new HandoffException("cannot write " + record + " to the journal in " + journal.directory()
                        + ": " + e.getMessage(), e);
            }
        }
    }

    /**
     * Records, and on failure only logs: for records of what has happened (a step done, a binding, an end), whose
     * loss a restarted orchestrator makes up for by observing.
     */
    void recordAfter(JournalRecord record) {
        try {
            record(record);
        } catch (HandoffException e) {
            SwapEngine.LOG.error("journal: {}", e.getMessage(), e.getCause());
        }
    }

    /** Compacts: the state that rebuilds the group now replaces every record before it. Failures are logged. */
    void compact(List<JournalRecord> state) {
        if (journal == null) {
            return;
        }
        try {
            journal.snapshot(state);
        } catch (IOException | RuntimeException e) {
            SwapEngine.LOG.error("journal: the snapshot in {} failed: {}", journal.directory(), e.toString(), e);
        }
    }

    /** Tests only. */
    void hook(AppendHook appendHook) {
        this.hook = appendHook;
    }

    /** Releases the lock; writes nothing. */
    @Override
    public void close() {
        if (journal != null) {
            try {
                journal.close();
            } catch (IOException e) {
                SwapEngine.LOG.warn("journal: closing {} failed: {}", journal.directory(), e.toString());
            }
        }
    }

    /** @return the plan text of an intent: the plan, then the size the group is to have */
    static String planText(String plan, int size) {
        return plan + " size=" + size;
    }

    /** Tests: sees each append before it is written. */
    interface AppendHook {
        AppendHook NONE = (count, record) -> {
        };

        void beforeAppend(long count, JournalRecord record);
    }

    /**
     * The group as the records say the last orchestrator knew it.
     *
     * @param owned      the instances the group owned (launched or adopted, not removed), by id, in order
     * @param bound      the ids the router had confirmed attached (members)
     * @param openSwap   the intent of a run that has no {@code SwapEnded}, or null
     * @param openLaunched ids the open run launched (their {@code MemberAdded} came after its intent)
     * @param openSteps  the steps the open run recorded as done
     * @param size       the size the group was to have (from the last intent), or -1 when no intent was recorded
     * @param lastIntent the last intent recorded (ended or not), or null
     * @param lastEnd    the end of {@code lastIntent}, or null
     * @param highest    the highest number used in the records, by kind: {@code swap}, {@code start}, {@code heal},
     *                   {@code join} (run ids {@code <group>/<kind>-<n>}) and {@code instance} (ids {@code <x>-<n>})
     * @param endedRuns  the last ended run of each kind, its intent then its end, oldest first
     */
    record State(Map<String, MemberAdded> owned, Set<String> bound, SwapIntent openSwap, Set<String> openLaunched,
                 List<StepDone> openSteps, int size, SwapIntent lastIntent, SwapEnded lastEnd,
                 Map<String, Long> highest, Map<String, List<JournalRecord>> endedRuns) {

        static final State EMPTY = new State(Map.of(), Set.of(), null, Set.of(), List.of(), -1, null, null,
                Map.of(), Map.of());

        /** @return the kind of a run id: {@code swap}, {@code start}, {@code heal}, ... */
        static String kindOf(String runId) {
            return runId.substring(runId.lastIndexOf('/') + 1).replaceFirst("-\\d+$", "");
        }

        private static final Pattern RUN = Pattern.compile("/(swap|start|heal|join|recover)-(\\d+)$");
        private static final Pattern INSTANCE = Pattern.compile("-(\\d+)$");

        /** @return the highest number of that kind seen, 0 when none */
        long highest(String kind) {
            return highest.getOrDefault(kind, 0L);
        }

        private static void see(Map<String, Long> highest, String id, boolean run) {
            Matcher matcher = (run ? RUN : INSTANCE).matcher(id);
            if (matcher.find()) {
                try {
                    long number = Long.parseLong(matcher.group(run ? 2 : 1));
                    highest.merge(run ? matcher.group(1) : "instance", number, Math::max);
                } catch (NumberFormatException e) {
                    // too long to be one of ours
                }
            }
        }

        static State replay(List<JournalEntry> entries) {
            Map<String, MemberAdded> owned = new LinkedHashMap<>();
            Set<String> bound = new LinkedHashSet<>();
            SwapIntent open = null;
            Set<String> launched = new LinkedHashSet<>();
            List<StepDone> steps = new ArrayList<>();
            SwapIntent lastIntent = null;
            SwapEnded lastEnd = null;
            int size = -1;
            Map<String, Long> highest = new java.util.HashMap<>();
            Map<String, List<JournalRecord>> endedRuns = new LinkedHashMap<>();
            for (JournalEntry entry : entries) {
                JournalRecord record = entry.record();
                if (record instanceof MemberAdded added) {
                    see(highest, added.instanceId(), false);
                    owned.put(added.instanceId(), added);
                    if (open != null) {
                        launched.add(added.instanceId());
                    }
                } else if (record instanceof MemberRemoved removed) {
                    see(highest, removed.instanceId(), false);
                    owned.remove(removed.instanceId());
                    bound.remove(removed.instanceId());
                } else if (record instanceof RouterBound routed) {
                    bound.add(routed.instanceId());
                } else if (record instanceof RouterUnbound unrouted) {
                    bound.remove(unrouted.instanceId());
                } else if (record instanceof SwapIntent intent) {
                    see(highest, intent.swapId(), true);
                    open = intent;
                    lastIntent = intent;
                    lastEnd = null;
                    launched = new LinkedHashSet<>();
                    steps = new ArrayList<>();
                    Matcher matcher = SIZE.matcher(intent.plan());
                    if (matcher.find()) {
                        size = Integer.parseInt(matcher.group(1));
                    }
                } else if (record instanceof StepDone step) {
                    if (open != null && open.swapId().equals(step.swapId())) {
                        steps.add(step);
                    }
                } else if (record instanceof SwapEnded ended) {
                    if (open != null && open.swapId().equals(ended.swapId())) {
                        String kind = kindOf(open.swapId());
                        endedRuns.remove(kind);
                        endedRuns.put(kind, List.of(open, ended));
                        open = null;
                        lastEnd = ended;
                    }
                }
            }
            return new State(Collections.unmodifiableMap(owned), Set.copyOf(bound), open, Set.copyOf(launched), List.copyOf(steps),
                    size, lastIntent, lastEnd, Map.copyOf(highest), Collections.unmodifiableMap(endedRuns));
        }

        /** @return whether there is anything to recover */
        boolean isEmpty() {
            return owned.isEmpty() && openSwap == null;
        }
    }
}
