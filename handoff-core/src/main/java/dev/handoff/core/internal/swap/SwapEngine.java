package dev.handoff.core.internal.swap;

import dev.handoff.api.HandoffException;
import dev.handoff.api.Member;
import dev.handoff.api.Plan;
import dev.handoff.api.Release;
import dev.handoff.api.SwapInProgressException;
import dev.handoff.api.SwapOutcome;
import dev.handoff.api.SwapResult;
import dev.handoff.api.SwapStep;
import dev.handoff.api.event.SwapEvent;
import dev.handoff.api.event.SwapListener;
import dev.handoff.api.Lifecycle;
import dev.handoff.api.spi.Launcher;
import dev.handoff.api.spi.StateBinding;
import dev.handoff.core.internal.journal.JournalRecord;
import dev.handoff.core.internal.journal.JournalRecord.MemberAdded;
import dev.handoff.core.internal.journal.JournalRecord.MemberKind;
import dev.handoff.core.internal.journal.JournalRecord.MemberRemoved;
import dev.handoff.core.internal.journal.JournalRecord.RouterBound;
import dev.handoff.core.internal.journal.JournalRecord.SwapEnded;
import dev.handoff.core.internal.journal.JournalRecord.SwapIntent;
import dev.handoff.core.Orchestrator;
import dev.handoff.core.Scheduler;
import dev.handoff.core.internal.Durations;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The state of one group and the admission of swaps: which instances are in the group, which swap holds it
 * (between steps 1 and 4), the queue of swaps waiting for it. The orchestrator's public methods delegate here;
 * each swap's steps run in a {@link SwapRun}.
 *
 * <p>Not API. Thread-safe: the group state is guarded by a lock held only for short updates (never across an
 * SPI call); the swaps' state is confined to the {@link SerialExecutor}.
 */
public final class SwapEngine {
    static final Logger LOG = LoggerFactory.getLogger(Orchestrator.class);
    /** How many releases the history keeps. */
    static final int HISTORY = 10;

    final Settings settings;
    final SerialExecutor serial;
    final SwapMetrics metrics;

    private final Object lock = new Object();
    private final LinkedHashMap<String, Lifecycle> members = new LinkedHashMap<>();
    /** Ids of every instance alive or being launched: members, instances draining, launches in progress. */
    private final Set<String> aliveIds = new HashSet<>();
    /** Ids of the members adopted rather than launched: the close policy may leave them. */
    private final Set<String> adoptedIds = new HashSet<>();
    /** The release every alive (or launching) instance runs, by id. */
    private final Map<String, Release> releaseOfId = new HashMap<>();
    /** Releases the group was switched to, oldest first; the last one is the release it runs now. */
    private final ArrayDeque<Release> history = new ArrayDeque<>();
    private final ArrayDeque<Queued> queue = new ArrayDeque<>();
    /** Confined to the serial executor: runs started and not ended. */
    private final List<SwapRun> running = new ArrayList<>();
    private String holder;
    private long swapCount;
    private long startCount;
    private long joinCount;
    private long healCount;
    /** The size the group should have: set by a start, grown by adopt and join; the supervisor restores it. */
    private int targetSize;
    private final Supervisor supervisor;
    private long instanceCount;
    private int active;
    private boolean closed;
    /** The write-ahead journal; records nothing without a state directory. */
    final GroupJournal journal;
    private final CompletableFuture<Optional<SwapResult>> recovery = new CompletableFuture<>();
    /** The last run's intent and end, kept for the snapshot (they carry the group's size). Guarded by lock. */
    private SwapIntent lastIntent;
    private SwapEnded lastEnd;
    /** The last ended run of each kind (swap, start, heal), oldest first: the snapshot keeps their numbers. */
    private final LinkedHashMap<String, List<JournalRecord>> endedRuns = new LinkedHashMap<>();

    /**
     * @param settings the validated configuration
     * @throws IllegalStateException when another orchestrator holds the state directory
     * @throws java.io.UncheckedIOException when the state directory cannot be used
     */
    public SwapEngine(Settings settings) {
        this.settings = settings;
        this.serial = new SerialExecutor(settings.executor());
        this.metrics = new SwapMetrics(settings.registry(), settings.group());
        this.history.add(settings.release());
        this.supervisor = new Supervisor(this);
        this.journal = settings.stateDirectory() == null ? GroupJournal.none()
                : GroupJournal.open(settings.stateDirectory(), settings.group());
        try {
            bind(settings.release());
        } catch (RuntimeException e) {
            journal.close();
            throw e;
        }
        CrashPoints.Armed crashPoint = journal.isOn() ? CrashPoints.take() : null;
        if (crashPoint != null) {
            crashPoint.install(this);
        }
        GroupJournal.State state = journal.recovered();
        synchronized (lock) {
            // Ids stay unique across orchestrators: numbering goes on from the highest the journal names.
            swapCount = state.highest("swap");
            startCount = state.highest("start");
            healCount = state.highest("heal");
            joinCount = state.highest("join");
            instanceCount = state.highest("instance");
            endedRuns.putAll(state.endedRuns());
        }
        if (state.isEmpty()) {
            recovery.complete(Optional.empty());
            return;
        }
        synchronized (lock) {
            lastIntent = state.lastIntent();
            lastEnd = state.lastEnd();
            holder = settings.group() + "/recover-" + journal.epoch();
            active++;
        }
        Reconciliation reconciliation = new Reconciliation(this, state, holder, recovery);
        serial.execute(holder, null, reconciliation::start);
    }

    /** Binds a release's launcher to the state directory, if any (idempotent for the same directory and group). */
    private void bind(Release release) {
        if (journal.isOn()) {
            release.launcher().bind(new StateBinding(journal.directory(), settings.group(), journal.epoch(),
                    settings.orphanLease(), settings.orphanPolicy()));
        }
    }

    /** @return the recovery's result: see {@code Orchestrator.recovery()} */
    public CompletionStage<Optional<SwapResult>> recovery() {
        return recovery.thenApply(result -> result);
    }

    /** @return the launcher of the release of that label, or, when no known release has it, the group's first one */
    Launcher launcherOf(String releaseLabel) {
        synchronized (lock) {
            for (Release release : history) {
                if (release.label().equals(releaseLabel)) {
                    return release.launcher();
                }
            }
        }
        return settings.release().launcher();
    }

    /** @return the known release of that label, or one whose launcher refuses (the label came from the journal) */
    private Release releaseLabelled(String label) {
        synchronized (lock) {
            for (Release release : history) {
                if (release.label().equals(label)) {
                    return release;
                }
            }
        }
        return Release.of(label, instanceId -> CompletableFuture.failedFuture(new IllegalStateException(
                "release '" + label + "' was recovered from the journal of group '" + settings.group() + "', and this"
                        + " orchestrator was not built with its launcher: cannot launch " + instanceId)));
    }

    /**
     * Serial executor: the recovery has decided. The kept instances become the members (attached), the group's size
     * is restored by the supervisor, the retiring instances are destroyed in the background.
     */
    void recovered(Reconciliation reconciliation, Map<String, Lifecycle> kept, GroupJournal.State state, int size,
                   String committedRelease, Map<String, Lifecycle> retiring, SwapResult result,
                   CompletableFuture<Optional<SwapResult>> done) {
        Release switched = committedRelease == null ? null : releaseLabelled(committedRelease);
        synchronized (lock) {
            if (switched != null && !history.getLast().label().equals(switched.label())) {
                history.add(switched);
                while (history.size() > HISTORY) {
                    history.removeFirst();
                }
            }
            for (Map.Entry<String, Lifecycle> entry : kept.entrySet()) {
                MemberAdded record = state.owned().get(entry.getKey());
                members.put(entry.getKey(), entry.getValue());
                aliveIds.add(entry.getKey());
                releaseOfId.put(entry.getKey(), releaseLabelled(record.release()));
                if (record.kind() == MemberKind.ADOPTED) {
                    adoptedIds.add(entry.getKey());
                }
            }
            for (Map.Entry<String, Lifecycle> entry : retiring.entrySet()) {
                aliveIds.add(entry.getKey());
                releaseOfId.put(entry.getKey(), releaseLabelled(state.owned().get(entry.getKey()).release()));
            }
            targetSize = size;
            if (result != null) {
                lastEnd = new SwapEnded(result.swapId(), result.outcome());
                String kind = GroupJournal.State.kindOf(result.swapId());
                endedRuns.remove(kind);
                endedRuns.put(kind, List.of(state.openSwap(), lastEnd));
            }
        }
        for (String instanceId : kept.keySet()) {
            journal.recordAfter(new RouterBound(instanceId));
        }
        for (String gone : state.owned().keySet()) {
            if (!kept.containsKey(gone) && !retiring.containsKey(gone)) {
                journal.recordAfter(new MemberRemoved(gone, "gone when the group was recovered"));
            }
        }
        kept.forEach(supervisor::watch);
        retiring.forEach(reconciliation::destroy);
        compact();
        if (result != null) {
            for (SwapListener listener : settings.listeners()) {
                try {
                    listener.onSwapEnd(result);
                } catch (RuntimeException | Error e) {
                    LOG.error("swap listener {} threw on the end of recovered swap {}; ignored", listener,
                            result.swapId(), e);
                }
            }
        }
        done.complete(Optional.ofNullable(result));
        finishedActivity();
        release();
    }

    /** Serial executor, idle: compacts the journal to the records that rebuild the group now. */
    private void compact() {
        if (!journal.isOn()) {
            return;
        }
        List<JournalRecord> state = new ArrayList<>();
        synchronized (lock) {
            for (String instanceId : aliveIds) {
                Release release = releaseOfId.get(instanceId);
                state.add(new MemberAdded(instanceId, release == null ? history.getLast().label() : release.label(),
                        adoptedIds.contains(instanceId) ? MemberKind.ADOPTED : MemberKind.LAUNCHED, Map.of()));
            }
            for (String instanceId : members.keySet()) {
                state.add(new RouterBound(instanceId));
            }
            String highestId = settings.group() + "-" + instanceCount;
            if (instanceCount > 0 && !aliveIds.contains(highestId)) {
                // Keeps the highest instance number used, so that the next orchestrator does not reuse it.
                state.add(new MemberRemoved(highestId, "the highest instance id used"));
            }
            endedRuns.values().forEach(state::addAll);
        }
        journal.compact(state);
    }

    /**
     * Registers running, attached instances as the group's members.
     *
     * @param handles the instances
     */
    public void adopt(List<Lifecycle> handles) {
        List<String> ids = checkedIds(handles);
        synchronized (lock) {
            checkOpen();
            if (holder != null) {
                throw new IllegalStateException("cannot adopt instances into group '" + settings.group()
                        + "' while " + holder + " holds it");
            }
            checkNew(ids);
            for (int i = 0; i < handles.size(); i++) {
                members.put(ids.get(i), handles.get(i));
                aliveIds.add(ids.get(i));
                adoptedIds.add(ids.get(i));
                releaseOfId.put(ids.get(i), history.getLast());
            }
            targetSize += handles.size();
        }
        for (int i = 0; i < handles.size(); i++) {
            journal.recordAfter(new MemberAdded(ids.get(i), currentRelease().label(), MemberKind.ADOPTED, Map.of()));
            journal.recordAfter(new RouterBound(ids.get(i)));
            supervisor.watch(ids.get(i), handles.get(i));
        }
    }

    /**
     * Joins running instances to the group: waits for each to be ready (the ready timeout), has the router attach
     * it (the attach timeout), then makes it a member that runs the group's current release, as adopted. Holds the
     * group meanwhile, like a swap's steps 1 to 4. All or nothing: when one fails, those already attached are
     * detached (bounded by the detach timeout) and every instance is left to its owner, untouched otherwise.
     *
     * @param handles the instances, not attached
     * @return its id and a stage that completes when they are members, or exceptionally naming the failure
     */
    public Joining join(List<Lifecycle> handles) {
        List<String> ids = checkedIds(handles);
        String joinId;
        Release release;
        synchronized (lock) {
            checkOpen();
            if (holder != null) {
                throw new SwapInProgressException(settings.group(), holder);
            }
            checkNew(ids);
            release = history.getLast();
            joinId = settings.group() + "/join-" + (++joinCount);
            holder = joinId;
            active++;
            ids.forEach(aliveIds::add);
        }
        CompletableFuture<Void> joined = new CompletableFuture<>();
        Wait.Context context = contextOf(joinId, release.label());
        List<Lifecycle> attached = new ArrayList<>();
        List<Throwable> failures = new ArrayList<>();
        int[] pending = {handles.size()};
        Runnable oneDone = () -> {
            if (--pending[0] > 0) {
                return;
            }
            if (failures.isEmpty()) {
                synchronized (lock) {
                    for (int i = 0; i < handles.size(); i++) {
                        members.put(ids.get(i), handles.get(i));
                        adoptedIds.add(ids.get(i));
                        releaseOfId.put(ids.get(i), release);
                    }
                    targetSize += handles.size();
                }
                for (int i = 0; i < handles.size(); i++) {
                    journal.recordAfter(new MemberAdded(ids.get(i), release.label(), MemberKind.ADOPTED, Map.of()));
                    journal.recordAfter(new RouterBound(ids.get(i)));
                    supervisor.watch(ids.get(i), handles.get(i));
                }
                LOG.info("{}: instance(s) {} joined group '{}' (release {})", joinId, ids, settings.group(), release);
                endJoin(joined, null);
                return;
            }
            Throwable cause = failures.get(0);
            failures.subList(1, failures.size()).forEach(cause::addSuppressed);
            LOG.warn("instance(s) {} could not join group '{}': {}; detaching the ones attached", ids,
                    settings.group(), cause.toString());
            detachAll(context, attached, () -> {
                synchronized (lock) {
                    ids.forEach(aliveIds::remove);
                }
                endJoin(joined, describe("instance(s) " + ids + " could not join group '" + settings.group()
                        + "'; they are left to their owner", cause));
            });
        };
        context.execute(() -> {
            for (int i = 0; i < handles.size(); i++) {
                Lifecycle handle = handles.get(i);
                String id = ids.get(i);
                Wait.on(context, Wait.call(handle::whenReady, "Lifecycle.whenReady"), settings.readyTimeout(),
                        SwapStep.AWAIT_READY, id, (ready, notReady) -> {
                            if (notReady != null) {
                                failures.add(notReady);
                                oneDone.run();
                                return;
                            }
                            Wait.on(context, Wait.call(() -> settings.router().attach(handle), "Router.attach"),
                                    settings.attachTimeout(), SwapStep.ATTACH, id, (done, notAttached) -> {
                                        if (notAttached != null) {
                                            failures.add(notAttached);
                                        }
                                        attached.add(handle);
                                        oneDone.run();
                                    });
                        });
            }
        });
        return new Joining(joinId, joined);
    }

    /** Serial executor: detaches each instance, bounded, then runs {@code then}. */
    private void detachAll(Wait.Context context, List<Lifecycle> handles, Runnable then) {
        int[] pending = {handles.size()};
        if (handles.isEmpty()) {
            then.run();
            return;
        }
        for (Lifecycle handle : handles) {
            String id = idOf(handle);
            Wait.on(context, RouterCalls.detachAndSettle(settings.router(), handle),
                    settings.detachTimeout(), SwapStep.ROLLBACK, id, (ignored, failure) -> {
                        if (failure != null) {
                            LOG.error("could not detach instance {} after its join failed", id, failure);
                        }
                        if (--pending[0] == 0) {
                            then.run();
                        }
                    });
        }
    }

    private void endJoin(CompletableFuture<Void> joined, Throwable failure) {
        finishedActivity();
        release();
        if (failure == null) {
            joined.complete(null);
        } else {
            joined.completeExceptionally(failure);
        }
    }

    Wait.Context contextOf(String taskId, String releaseLabel) {
        return new Wait.Context() {
            @Override
            public Scheduler scheduler() {
                return settings.scheduler();
            }

            @Override
            public void execute(Runnable task) {
                serial.execute(taskId, releaseLabel, task);
            }
        };
    }

    private static List<String> checkedIds(List<Lifecycle> handles) {
        List<String> ids = new ArrayList<>(handles.size());
        for (int i = 0; i < handles.size(); i++) {
            Lifecycle handle = Objects.requireNonNull(handles.get(i), "instances[" + i + "] must not be null");
            ids.add(Objects.requireNonNull(handle.id(), "instances[" + i + "].id() must not be null"));
        }
        return ids;
    }

    /** Must hold the lock. */
    private void checkNew(List<String> ids) {
        Set<String> seen = new HashSet<>();
        for (String id : ids) {
            if (aliveIds.contains(id) || !seen.add(id)) {
                throw new IllegalArgumentException("instance '" + id + "' is already in group '"
                        + settings.group() + "': an instance cannot be adopted twice");
            }
        }
    }

    /**
     * Launches, readies and attaches the group's first instances: a run of {@link Plan#start()}, through the same
     * steps, events, timings, failure watch and metrics as a swap.
     *
     * @param count how many
     * @return completes with the result, or exceptionally after destroying the instances that started
     */
    public CompletionStage<SwapResult> start(int count) {
        return startRun(count).result();
    }

    /**
     * @param count how many
     * @return the start's id and result
     */
    public Submitted startRun(int count) {
        if (count < 1) {
            throw new IllegalArgumentException("count must be >= 1, but was " + count);
        }
        SwapRun run;
        synchronized (lock) {
            checkOpen();
            if (holder != null) {
                throw new SwapInProgressException(settings.group(), holder);
            }
            if (!members.isEmpty()) {
                throw new IllegalStateException("group '" + settings.group() + "' already has " + members.size()
                        + " instance(s); start() launches a group's first instances, swap() replaces them");
            }
            String id = settings.group() + "/start-" + (++startCount);
            intend(id, Plan.start(), history.getLast(), List.of(), count);
            holder = id;
            active++;
            run = new SwapRun(this, id, history.getLast(), Plan.start(), List.of(), count, new CompletableFuture<>());
        }
        run.execute(run::start);
        return new Submitted(run.id, run.result);
    }

    /**
     * @param plan       the plan
     * @param waitIfBusy queue behind a swap holding the group instead of failing fast
     * @return the swap's result
     */
    public CompletionStage<SwapResult> swap(Release release, Plan plan, boolean waitIfBusy) {
        if (!waitIfBusy) {
            return swapNow(release, plan).result();
        }
        Objects.requireNonNull(plan, "plan must not be null");
        SwapRun run;
        synchronized (lock) {
            checkOpen();
            Release target = release != null ? release : history.getLast();
            validate(plan);
            if (holder != null) {
                Queued queued = new Queued(release, plan, new CompletableFuture<>());
                queue.add(queued);
                return queued.result;
            }
            run = newRun(target, plan, new CompletableFuture<>());
        }
        run.execute(run::start);
        return run.result;
    }

    /**
     * @return the release before the one the group runs now (the one {@code swapBack} deploys)
     * @throws IllegalStateException when the group has run one release only
     */
    public Release previousRelease() {
        synchronized (lock) {
            if (history.size() < 2) {
                throw new IllegalStateException("group '" + settings.group() + "' has no previous release: it has"
                        + " run only '" + history.getLast().label() + "'");
            }
            List<Release> releases = List.copyOf(history);
            return releases.get(releases.size() - 2);
        }
    }

    /** @return the release the group runs now: the last one it was switched to */
    public Release currentRelease() {
        synchronized (lock) {
            return history.getLast();
        }
    }

    /** @return the releases the group was switched to, oldest first; the last is the one it runs now */
    public List<Release> releases() {
        synchronized (lock) {
            return List.copyOf(history);
        }
    }

    /** @return the group's members now, with the release each runs */
    public List<Member> members() {
        synchronized (lock) {
            List<Member> list = new ArrayList<>(members.size());
            members.forEach((id, handle) -> list.add(new Member(handle, releaseOfId.get(id))));
            return list;
        }
    }

    /** @return the release the instance of that id runs, or null when it is not alive in the group */
    Release releaseOf(String instanceId) {
        synchronized (lock) {
            return releaseOfId.get(instanceId);
        }
    }

    /**
     * Starts a swap at once, failing fast when the group is busy.
     *
     * @param plan the plan
     * @return the swap's id and result
     */
    public Submitted swapNow(Release release, Plan plan) {
        Objects.requireNonNull(plan, "plan must not be null");
        SwapRun run;
        synchronized (lock) {
            checkOpen();
            validate(plan);
            if (holder != null) {
                throw new SwapInProgressException(settings.group(), holder);
            }
            run = newRun(release != null ? release : history.getLast(), plan, new CompletableFuture<>());
        }
        run.execute(run::start);
        return new Submitted(run.id, run.result);
    }

    /** @return the group's members now */
    public List<Lifecycle> instances() {
        synchronized (lock) {
            return List.copyOf(members.values());
        }
    }

    /**
     * Rejects further swaps and fails queued ones. Running swaps finish by their own deadlines; once nothing runs,
     * the members named by the close policy are destroyed, in parallel, each bounded by the destroy timeout, and the
     * owned executor is shut down. When nothing runs at the call, waits for those destroys, at most the destroy
     * timeout.
     */
    public void close() {
        List<Queued> dropped;
        List<Lifecycle> toDestroy = null;
        synchronized (lock) {
            if (closed) {
                return;
            }
            closed = true;
            serial.execute(settings.group() + "/close", null, supervisor::close);
            dropped = new ArrayList<>(queue);
            queue.clear();
            if (active == 0) {
                toDestroy = membersToDestroyOnClose();
            }
        }
        for (Queued queued : dropped) {
            queued.result.completeExceptionally(new IllegalStateException(
                    "the orchestrator of group '" + settings.group() + "' was closed before this swap started"));
        }
        if (toDestroy != null) {
            awaitClose(destroyOnClose(toDestroy));
        }
    }

    /** Must hold the lock. */
    private List<Lifecycle> membersToDestroyOnClose() {
        List<Lifecycle> chosen = new ArrayList<>();
        for (var member : members.entrySet()) {
            boolean adopted = adoptedIds.contains(member.getKey());
            if (settings.onClose() == Orchestrator.OnClose.DESTROY_ALL
                    || settings.onClose() == Orchestrator.OnClose.DESTROY_LAUNCHED && !adopted) {
                chosen.add(member.getValue());
            }
        }
        return chosen;
    }

    /** Destroys the instances at once, each bounded by the destroy timeout; then shuts the owned executor down. */
    private CompletableFuture<Void> destroyOnClose(List<Lifecycle> handles) {
        if (handles.isEmpty()) {
            shutdownExecutor();
            return CompletableFuture.completedFuture(null);
        }
        Wait.Context context = contextOf(settings.group() + "/close", null);
        LOG.info("closing group '{}': destroying {} instance(s) ({})", settings.group(), handles.size(),
                settings.onClose());
        List<CompletableFuture<Void>> each = new ArrayList<>(handles.size());
        for (Lifecycle handle : handles) {
            CompletableFuture<Void> destroyed = new CompletableFuture<>();
            each.add(destroyed);
            String id = idOf(handle);
            context.execute(() -> Wait.on(context, Wait.call(handle::destroy, "Lifecycle.destroy"),
                    settings.destroyTimeout(), SwapStep.DESTROY, id, (ignored, failure) -> {
                        if (failure != null) {
                            metrics.destroyFailed();
                            LOG.error("destroy of instance {} on the close of group '{}' failed", id,
                                    settings.group(), failure);
                        }
                        removeMember(id);
                        instanceGone(id);
                        destroyed.complete(null);
                    }));
        }
        CompletableFuture<Void> all = CompletableFuture.allOf(each.toArray(new CompletableFuture<?>[0]));
        all.whenComplete((ignored, failure) -> shutdownExecutor());
        return all;
    }

    /** Blocks the closing thread until the destroys have ended, at most the destroy timeout. */
    private void awaitClose(CompletableFuture<Void> destroyed) {
        try {
            destroyed.get(Durations.saturatedNanos(settings.destroyTimeout()), TimeUnit.NANOSECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            LOG.warn("interrupted while closing group '{}'; the destroys go on", settings.group());
        } catch (TimeoutException e) {
            LOG.warn("close of group '{}' stopped waiting after {}; the destroys go on", settings.group(),
                    settings.destroyTimeout());
        } catch (ExecutionException e) {
            LOG.error("close of group '{}' failed", settings.group(), e.getCause());
        }
    }

    private void shutdownExecutor() {
        journal.close();
        if (settings.ownsExecutor() && settings.executor() instanceof ExecutorService service) {
            service.shutdown();
        }
    }

    private void checkOpen() {
        if (closed) {
            throw new IllegalStateException("the orchestrator of group '" + settings.group() + "' is closed");
        }
    }

    /** Must hold the lock. */
    private void validate(Plan plan) {
        int size = members.size();
        String group = settings.group();
        if (plan.kind() == Plan.Kind.START) {
            throw new IllegalArgumentException("plan start launches a group's first instances: call start(count),"
                    + " not swap(plan)");
        }
        if (size == 0) {
            throw new IllegalStateException("group '" + group + "' has no instances to swap; adopt() or start() them"
                    + " first");
        }
        if (plan.kind() == Plan.Kind.ONE_FOR_ONE && size != 1) {
            throw new IllegalArgumentException("plan one-for-one needs a group of exactly 1 instance, but group '"
                    + group + "' has " + size + "; use rolling(maxSurge, maxUnavailable), blueGreen() or canary(gate)");
        }
        if (plan.maxUnavailable(size) >= size) {
            throw new IllegalArgumentException("plan " + plan + " could leave group '" + group + "' empty:"
                    + " maxUnavailable must be less than the group's " + size + " instance(s)");
        }
    }

    /** Must hold the lock. */
    private SwapRun newRun(Release release, Plan plan, CompletableFuture<SwapResult> result) {
        String id = settings.group() + "/swap-" + (++swapCount);
        bind(release);
        intend(id, plan, release, List.copyOf(members.keySet()), targetSize);
        holder = id;
        active++;
        List<Lifecycle> olds = List.copyOf(members.values());
        return new SwapRun(this, id, release, plan, olds, olds.size(), result);
    }

    /**
     * Must hold the lock. Writes a run's intent, forced, before the run acts.
     *
     * @throws HandoffException when it cannot be written: the run must not start
     */
    private void intend(String id, Plan plan, Release release, List<String> oldIds, int size) {
        SwapIntent intent = new SwapIntent(id, GroupJournal.planText(plan.toString(), size), release.label(), oldIds);
        journal.record(intent);
        lastIntent = intent;
        lastEnd = null;
    }

    /** Serial executor: a run's steps 1 to 4 are over; the next queued swap may start. */
    void release() {
        List<Queued> invalid = new ArrayList<>();
        List<RuntimeException> reasons = new ArrayList<>();
        SwapRun next = null;
        synchronized (lock) {
            holder = null;
            Queued queued;
            while (next == null && (queued = queue.poll()) != null) {
                try {
                    validate(queued.plan);
                    next = newRun(queued.release != null ? queued.release : history.getLast(), queued.plan,
                            queued.result);
                } catch (RuntimeException e) {
                    invalid.add(queued);
                    reasons.add(e);
                }
            }
        }
        for (int i = 0; i < invalid.size(); i++) {
            invalid.get(i).result.completeExceptionally(reasons.get(i));
        }
        if (next != null) {
            SwapRun run = next;
            run.execute(run::start);
        } else if (!isBusy()) {
            supervisor.groupReleased();
        }
    }

    /**
     * Serial executor: a run that released the group takes it back for a re-admission, so that no swap starts
     * on a group that is about to change.
     *
     * @return false when another swap already holds the group (the run's re-admission window has closed)
     */
    boolean rehold(String runId) {
        synchronized (lock) {
            if (holder == null) {
                holder = runId;
                return true;
            }
            return holder.equals(runId);
        }
    }

    /** Serial executor: a run starts; the re-admission windows of the runs before it close. */
    void runStarted(SwapRun run) {
        for (SwapRun earlier : running) {
            earlier.closeReadmissionWindows();
        }
        running.add(run);
    }

    /** Serial executor. */
    void runEnded(SwapRun run, SwapResult result) {
        running.remove(run);
        SwapEnded ended = new SwapEnded(run.id, result.outcome());
        journal.recordAfter(ended);
        synchronized (lock) {
            if (lastIntent != null && lastIntent.swapId().equals(run.id)) {
                lastEnd = ended;
                String kind = GroupJournal.State.kindOf(run.id);
                endedRuns.remove(kind);
                endedRuns.put(kind, List.of(lastIntent, ended));
            }
        }
        if (result.outcome() != SwapOutcome.ROLLED_BACK) {
            switchedTo(run.release);
        }
        if (run.plan.kind() == Plan.Kind.START && !run.heal && result.outcome() == SwapOutcome.COMMITTED) {
            synchronized (lock) {
                targetSize = members.size();
            }
        }
        metrics.swapEnded(run.plan, run.release, result.outcome(), result.duration());
        for (SwapListener listener : settings.listeners()) {
            try {
                listener.onSwapEnd(result);
            } catch (RuntimeException | Error e) {
                LOG.error("swap listener {} threw on the end of swap {}; ignored", listener, run.id, e);
            }
        }
        finishedActivity();
        if (!isBusy()) {
            compact();
            supervisor.groupReleased();
        }
        if (run.plan.kind() == Plan.Kind.START && result.outcome() != SwapOutcome.COMMITTED) {
            // A swap that rolls back leaves the group serving as before; a start that does leaves no group at all.
            Throwable cause = result.cause().orElseGet(() -> new IllegalStateException("no cause was recorded"));
            run.result.completeExceptionally(describe("starting group '" + settings.group() + "' failed", cause));
        } else {
            run.result.complete(result);
        }
    }

    /** The cut-over of a swap (or a start) happened: the group runs {@code release} now. */
    private void switchedTo(Release release) {
        synchronized (lock) {
            if (!history.getLast().equals(release)) {
                history.add(release);
                while (history.size() > HISTORY) {
                    history.removeFirst();
                }
            }
        }
    }

    private void finishedActivity() {
        List<Lifecycle> toDestroy = null;
        synchronized (lock) {
            active--;
            if (closed && active == 0) {
                toDestroy = membersToDestroyOnClose();
            }
        }
        if (toDestroy != null) {
            destroyOnClose(toDestroy);
        }
    }

    void emit(SwapEvent event) {
        for (SwapListener listener : settings.listeners()) {
            try {
                listener.onStep(event);
            } catch (RuntimeException | Error e) {
                LOG.error("swap listener {} threw on {} {} of {}; ignored", listener, event.step(), event.phase(),
                        event.instanceId(), e);
            }
        }
    }

    /**
     * @param release the release the new instance will run
     * @return a fresh instance id, reserved until {@link #instanceGone(String)}
     */
    String reserveId(Release release) {
        synchronized (lock) {
            String id;
            do {
                id = settings.group() + "-" + (++instanceCount);
            } while (aliveIds.contains(id));
            aliveIds.add(id);
            releaseOfId.put(id, release);
            return id;
        }
    }

    void instanceGone(String id) {
        synchronized (lock) {
            aliveIds.remove(id);
            adoptedIds.remove(id);
            releaseOfId.remove(id);
        }
        journal.recordAfter(new MemberRemoved(id, ""));
    }

    /**
     * @return the handle's id, or null when {@code id()} throws: a handle the launcher hands back is checked before
     *     it is trusted, and a throw there must not end the continuation that checks it
     */
    static String idOf(Lifecycle handle) {
        try {
            return handle.id();
        } catch (RuntimeException e) {
            LOG.warn("Lifecycle.id() threw; treating the handle as one with a wrong id", e);
            return null;
        }
    }

    /** @return whether the handle is a member, or carries the id of another live instance than {@code asked} */
    boolean isKnown(Lifecycle handle, String asked) {
        String id = idOf(handle);
        synchronized (lock) {
            // Ids are stable, so a member handed back by the launcher carries a member's id: no scan of the
            // members (which would make a rolling swap quadratic in the group's size).
            return id != null && !id.equals(asked) && aliveIds.contains(id);
        }
    }

    void addMember(String id, Lifecycle handle) {
        synchronized (lock) {
            members.put(id, handle);
        }
        journal.recordAfter(new RouterBound(id));
        supervisor.watch(id, handle);
    }

    /** @return whether {@code handle} is the member of that id now */
    boolean isMember(String id, Lifecycle handle) {
        synchronized (lock) {
            return members.get(id) == handle;
        }
    }

    boolean isClosed() {
        synchronized (lock) {
            return closed;
        }
    }

    /**
     * @return whether a swap, start, join or replacement holds the group or still runs (a swap watches its new
     *     instances until its old ones are destroyed, to re-admit them if needed)
     */
    boolean isBusy() {
        synchronized (lock) {
            return holder != null || active > 0;
        }
    }

    /** @return the members by id, a snapshot */
    Map<String, Lifecycle> membersSnapshot() {
        synchronized (lock) {
            return new LinkedHashMap<>(members);
        }
    }

    /** @return how many instances the group lacks to be of its size */
    int missing() {
        synchronized (lock) {
            return targetSize - members.size();
        }
    }

    /**
     * Serial executor: starts a replacement of {@code count} failed members, a run of {@link Plan#start()} that does
     * not change the group's size.
     *
     * @return the run, or null when the group is held or closed
     */
    Submitted healRun(int count) {
        SwapRun run;
        synchronized (lock) {
            if (holder != null || closed) {
                return null;
            }
            String id = settings.group() + "/heal-" + (++healCount);
            try {
                intend(id, Plan.start(), history.getLast(), List.copyOf(members.keySet()), targetSize);
            } catch (HandoffException e) {
                LOG.error("{}: cannot heal group '{}': {}", id, settings.group(), e.getMessage());
                return null;
            }
            holder = id;
            active++;
            run = new SwapRun(this, id, history.getLast(), Plan.start(), List.of(), count, new CompletableFuture<>());
            run.heal = true;
        }
        run.execute(run::start);
        return new Submitted(run.id, run.result);
    }

    void removeMember(String id) {
        synchronized (lock) {
            members.remove(id);
        }
    }

    /**
     * A new instance arrived after its launch deadline (or after its swap gave up on it): destroy it, bounded,
     * reporting a failure in the log and the destroy-failure counter (its swap has ended, or will end without
     * it).
     */
    void destroyLate(Wait.Context context, Lifecycle handle, String askedId) {
        if (isKnown(handle, askedId)) {
            LOG.error("the launcher delivered instance {} late, but it is already in group '{}'; not destroying it",
                    handle.id(), settings.group());
            return;
        }
        LOG.warn("instance {} arrived after its launch deadline; destroying it", askedId);
        Wait.on(context, Wait.call(handle::destroy, "Lifecycle.destroy"), settings.destroyTimeout(),
                SwapStep.ROLLBACK, askedId, (ignored, failure) -> {
                    if (failure != null) {
                        metrics.destroyFailed();
                        LOG.error("destroy of late instance {} failed", askedId, failure);
                    }
                });
    }

    static HandoffException describe(String message, Throwable cause) {
        return new HandoffException(message + ": " + cause, cause);
    }

    /** @param release the release asked for; null for the one the group runs when the swap's turn comes */
    private record Queued(Release release, Plan plan, CompletableFuture<SwapResult> result) {
    }

    /**
     * A join that has started.
     *
     * @param id     its id ({@code <group>/join-<n>}), in its log lines
     * @param joined completes when the instances are members
     */
    public record Joining(String id, CompletionStage<Void> joined) {
    }

    /**
     * A swap or a start that has started.
     *
     * @param id     its id, as in its events and result
     * @param result completes when it ends
     */
    public record Submitted(String id, CompletionStage<SwapResult> result) {
    }
}
