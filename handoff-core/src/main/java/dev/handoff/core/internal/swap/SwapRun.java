package dev.handoff.core.internal.swap;

import dev.handoff.core.internal.journal.JournalRecord;

import dev.handoff.api.Plan;
import dev.handoff.api.Release;
import dev.handoff.api.StepTiming;
import dev.handoff.api.SwapOutcome;
import dev.handoff.api.SwapResult;
import dev.handoff.api.SwapStep;
import dev.handoff.api.event.SwapEvent;
import dev.handoff.api.Lifecycle;
import dev.handoff.core.Scheduler;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CompletableFuture;

/**
 * One run of a plan over a group: the instance swaps ({@link Pair}s) it is made of, the bounds on instances
 * alive and unavailable, the halt at the first rollback, the blue-green barriers, the record of steps and the result.
 *
 * <p>Rolling, one-for-one and canary plans start as many pairs at once as the plan's bounds for the group allow
 * (Kubernetes' rolling-update semantics): a pair that launches its new instance first while the instances of this
 * run that are alive stay within {@code N + maxSurge}, and otherwise a pair that retires its old instance first
 * (steps 4 to 7, then the launch) while fewer than {@code maxUnavailable} such pairs are short of an instance.
 * A pair's steps 5 to 7 run on while the next pairs start. A blue-green plan runs every pair at once with two
 * barriers: no old instance is detached before every new one is attached, and none is destroyed before every one
 * has drained.
 *
 * <p>Not API. Confined to the serial executor, except for the fields set at construction.
 */
final class SwapRun implements Wait.Context {
    final SwapEngine engine;
    final Settings settings;
    final String id;
    final Plan plan;
    final CompletableFuture<SwapResult> result;
    /** What this swap deploys. */
    final Release release;
    /** A supervisor's replacement of failed members: a start that keeps the group's size. */
    boolean heal;
    private final List<Lifecycle> olds;
    private final int size;
    /** New instances to start: one per old instance, or, for a start, the count asked for. */
    private final int pairCount;
    private final int surge;
    private final int maxAlive;
    private final int maxUnavailable;
    /** Blue-green and start: every pair at once, with barriers, all or nothing. */
    private final boolean allAtOnce;

    private Instant start;
    private final List<StepRecord> steps = new ArrayList<>();
    final List<String> launched = new ArrayList<>();
    final List<String> retired = new ArrayList<>();
    private long abandoned;
    private Throwable haltCause;
    private Throwable forcedCause;
    private final List<Throwable> problems = new ArrayList<>();

    private final List<Pair> pairs = new ArrayList<>();
    private int alive;
    private int nextOld;
    private int finishedPairs;
    private int frontReported;
    private int attachedCount;
    private final List<Pair> awaitingDestroy = new ArrayList<>();
    /** Old instances found dead: destroyed at once, they do not hold the blue-green barrier. */
    private int buried;
    /** Pairs that retire their old instance first and have not yet attached its replacement (or rolled back). */
    private int retiring;
    private boolean waitingForRoom;
    private boolean frontDone;
    private boolean ended;
    /** Re-admissions in progress: the group stays held (or is taken back) until they have re-attached. */
    private int readmissions;

    SwapRun(SwapEngine engine, String id, Release release, Plan plan, List<Lifecycle> olds, int pairCount,
            CompletableFuture<SwapResult> result) {
        this.engine = engine;
        this.release = release;
        this.settings = engine.settings;
        this.id = id;
        this.plan = plan;
        this.olds = olds;
        this.result = result;
        this.size = olds.size();
        this.pairCount = pairCount;
        this.allAtOnce = plan.kind() == Plan.Kind.BLUE_GREEN || plan.kind() == Plan.Kind.START;
        // At most N (never an overflowing N + maxSurge: a negative bound no instance could ever get under).
        this.surge = plan.maxSurge(pairCount);
        this.maxAlive = size + surge;
        this.maxUnavailable = plan.maxUnavailable(pairCount);
    }

    @Override
    public Scheduler scheduler() {
        return settings.scheduler();
    }

    @Override
    public void execute(Runnable task) {
        engine.serial.execute(id, release.label(), task);
    }

    /** @return the label of the release the instance runs (the swap's own for an instance no longer tracked) */
    private String releaseOf(String instanceId) {
        Release of = engine.releaseOf(instanceId);
        return (of != null ? of : release).label();
    }

    Instant now() {
        return settings.scheduler().now();
    }

    boolean isCanary() {
        return plan.kind() == Plan.Kind.CANARY;
    }

    void start() {
        start = now();
        alive = size;
        engine.runStarted(this);
        if (size == 0) {
            SwapEngine.LOG.info("{} of group '{}' started: {} instance(s) to launch", id, settings.group(), pairCount);
        } else {
            SwapEngine.LOG.info("swap {} of group '{}' started: plan {}, {} instance(s)", id, settings.group(), plan,
                    size);
        }
        if (allAtOnce) {
            for (int i = 0; i < pairCount; i++) {
                // A start has no old instances: its pairs only launch, ready and attach.
                pairs.add(new Pair(this, i < size ? olds.get(i) : null, i, false));
            }
            for (Pair pair : List.copyOf(pairs)) {
                pair.launch();
            }
        } else {
            nextPairs();
        }
    }

    /**
     * Rolling progression: start as many pairs as the bounds allow, a launch-first pair while there is room under
     * {@code N + maxSurge}, else a retire-first pair while fewer than {@code maxUnavailable} are short; when neither
     * fits, wait until an instance of this run is destroyed or a retire-first pair has its replacement attached.
     */
    private void nextPairs() {
        waitingForRoom = false;
        while (haltCause == null && nextOld < size) {
            boolean surgeRoom = alive < maxAlive;
            if (!surgeRoom && retiring >= maxUnavailable) {
                if (finishedPairs == pairs.size()) {
                    // Only an unfinished pair can make room: without one the wait would never end.
                    haltCause = new IllegalStateException("swap " + id + " cannot start its next instance swap: "
                            + alive + " instance(s) alive, at most " + maxAlive + ", and none of them is being"
                            + " retired");
                    SwapEngine.LOG.error("swap {} halts", id, haltCause);
                    break;
                }
                waitingForRoom = true;
                return;
            }
            boolean retireFirst = !surgeRoom;
            Pair pair = new Pair(this, olds.get(nextOld), nextOld, retireFirst);
            nextOld++;
            pairs.add(pair);
            if (retireFirst) {
                retiring++;
                pair.detachOld();
            } else {
                pair.launch();
            }
        }
        if (frontReported == pairs.size()) {
            frontHalfDone();
        }
    }

    void launching() {
        alive++;
    }

    /** An instance of this run was destroyed (or its destroy failed): one slot freed. */
    void instanceGone() {
        alive--;
        if (waitingForRoom && alive < maxAlive) {
            nextPairs();
        }
    }

    /** A pair's new instance is attached (and, for a canary, verified). */
    void pairAttached(Pair pair) {
        if (haltCause != null) {
            pair.abort(haltCause);
            return;
        }
        if (!allAtOnce) {
            pair.detachOld();
            return;
        }
        attachedCount++;
        if (attachedCount == pairCount) {
            for (Pair each : List.copyOf(pairs)) {
                each.detachOld();
            }
        }
    }

    /** A pair finished its steps 1 to 4, or rolled back before them. */
    void pairFrontDone(Pair pair) {
        if (pair.frontReported) {
            return;
        }
        pair.frontReported = true;
        frontReported++;
        if (pair.retireFirst) {
            retiring--;
        }
        if (!allAtOnce) {
            nextPairs();
        } else if (frontReported == pairCount) {
            frontHalfDone();
        }
    }

    /** A pair's old instance drained (or was forced): destroy it, at once or at the blue-green barrier. */
    void readyToDestroy(Pair pair) {
        if (!allAtOnce || pair.cleanup) {
            pair.destroyOld();
            return;
        }
        awaitingDestroy.add(pair);
        destroyAtBarrier();
    }

    /** A pair's old instance was found dead: it is destroyed at once, and the blue-green barrier no longer waits. */
    void oldBuried(Pair pair) {
        if (allAtOnce) {
            awaitingDestroy.remove(pair);
            buried++;
            destroyAtBarrier();
        }
    }

    private void destroyAtBarrier() {
        if (haltCause == null && !awaitingDestroy.isEmpty() && awaitingDestroy.size() + buried == size) {
            List<Pair> due = List.copyOf(awaitingDestroy);
            awaitingDestroy.clear();
            for (Pair each : due) {
                each.destroyOld();
            }
        }
    }

    /** A pair starts to roll back: the plan halts; a blue-green plan rolls back every pair. */
    void pairFailing(Pair pair, Throwable cause) {
        if (haltCause == null) {
            haltCause = cause;
            SwapEngine.LOG.warn("swap {} rolls back: {}", id, cause.toString());
            if (allAtOnce) {
                for (Pair each : List.copyOf(pairs)) {
                    if (each != pair) {
                        each.abort(cause);
                    }
                }
            }
        } else if (cause != haltCause) {
            problems.add(cause);
        }
    }

    void pairFinished() {
        finishedPairs++;
        maybeEnd();
    }

    void forced(Throwable cause) {
        if (forcedCause == null) {
            forcedCause = cause;
        } else {
            problems.add(cause);
        }
    }

    void abandoned(long units) {
        abandoned += units;
        engine.metrics.abandoned(units);
    }

    void problem(Throwable failure) {
        problems.add(failure);
    }

    void destroyFailed(String instanceId, Throwable failure) {
        engine.metrics.destroyFailed();
        SwapEngine.LOG.error("destroy of instance {} failed (swap {})", instanceId, id, failure);
        problems.add(failure);
    }

    /**
     * A pair is about to re-admit its old instance: true when the run still holds the group or takes it back
     * (the group's next swap has not taken it), false when the re-admission window has closed.
     */
    boolean mayReadmit() {
        return !frontDone || readmissions > 0 || engine.rehold(id);
    }

    /** A re-admission starts (after {@link #mayReadmit()}): the group stays held until it ends. */
    void readmissionStarted() {
        readmissions++;
    }

    /** A re-admission ended (the old instance is attached again, or will be destroyed): the group may go. */
    void readmissionEnded() {
        readmissions--;
        if (readmissions == 0 && frontDone) {
            engine.release();
        }
    }

    void closeReadmissionWindows() {
        for (Pair pair : pairs) {
            pair.closeWindow();
        }
    }

    private void frontHalfDone() {
        if (frontDone) {
            return;
        }
        frontDone = true;
        if (readmissions == 0) {
            SwapEngine.LOG.debug("swap {} cut over (steps 1 to 4 done); group '{}' released", id, settings.group());
            engine.release();
        }
        maybeEnd();
    }

    private void maybeEnd() {
        if (ended || !frontDone || waitingForRoom || finishedPairs < pairs.size()) {
            return;
        }
        ended = true;
        SwapOutcome outcome = haltCause != null ? SwapOutcome.ROLLED_BACK
                : forcedCause != null ? SwapOutcome.FORCED : SwapOutcome.COMMITTED;
        Throwable primary = haltCause != null ? haltCause
                : forcedCause != null ? forcedCause : problems.isEmpty() ? null : problems.get(0);
        if (primary != null) {
            Set<Throwable> seen = Collections.newSetFromMap(new IdentityHashMap<>());
            seen.add(primary);
            List<Throwable> others = new ArrayList<>();
            if (forcedCause != null) {
                others.add(forcedCause);
            }
            others.addAll(problems);
            for (Throwable other : others) {
                if (seen.add(other)) {
                    primary.addSuppressed(other);
                }
            }
        }
        Instant end = now();
        List<StepTiming> timings = new ArrayList<>(steps.size());
        for (StepRecord record : steps) {
            timings.add(record.toTiming(end));
        }
        SwapResult swapResult = new SwapResult(id, plan, release.label(), outcome, start, Duration.between(start, end), timings,
                launched, retired, abandoned, Optional.ofNullable(primary));
        if (outcome == SwapOutcome.COMMITTED && primary == null) {
            SwapEngine.LOG.info("swap {} COMMITTED in {}", id, swapResult.duration());
        } else {
            SwapEngine.LOG.warn("swap {} {} in {}: abandoned {}, cause {}", id, outcome, swapResult.duration(),
                    abandoned, String.valueOf(primary));
        }
        engine.runEnded(this, swapResult);
    }

    StepRecord begin(SwapStep step, String instanceId) {
        StepRecord record = new StepRecord(step, instanceId, now());
        steps.add(record);
        SwapEngine.LOG.debug("{} {} started", step, instanceId);
        engine.emit(new SwapEvent(id, step, SwapEvent.Phase.STARTED, instanceId, releaseOf(instanceId), record.start,
                Duration.ZERO,
                Optional.empty()));
        return record;
    }

    void end(StepRecord record, Throwable failure) {
        if (record.ended) {
            return;
        }
        Instant at = now();
        record.ended = true;
        record.duration = Duration.between(record.start, at);
        record.failure = failure;
        engine.metrics.step(record.step, failure == null, record.duration);
        if (failure == null && record.instanceId != null && !record.instanceId.isBlank()) {
            engine.journal.recordAfter(new JournalRecord.StepDone(id, record.step, record.instanceId));
        }
        if (failure == null) {
            SwapEngine.LOG.debug("{} {} completed in {}", record.step, record.instanceId, record.duration);
        } else {
            SwapEngine.LOG.warn("{} {} failed after {}: {}", record.step, record.instanceId, record.duration,
                    failure.toString());
        }
        engine.emit(new SwapEvent(id, record.step,
                failure == null ? SwapEvent.Phase.COMPLETED : SwapEvent.Phase.FAILED, record.instanceId,
                releaseOf(record.instanceId), at,
                record.duration, Optional.ofNullable(failure)));
    }
}
