package dev.handoff.core.internal.swap;

import dev.handoff.api.HandoffException;
import dev.handoff.api.Lifecycle;
import dev.handoff.api.LifecycleState;
import dev.handoff.api.Plan;
import dev.handoff.api.SwapOutcome;
import dev.handoff.api.SwapResult;
import dev.handoff.api.SwapStep;
import dev.handoff.api.spi.Launcher;
import dev.handoff.core.internal.journal.JournalRecord.MemberAdded;
import dev.handoff.core.internal.journal.JournalRecord.StepDone;
import dev.handoff.core.internal.journal.JournalRecord.SwapEnded;
import dev.handoff.core.internal.journal.JournalRecord.SwapIntent;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * What a restarted orchestrator does first, from what it observes, never from the journal alone (the journal only
 * says which instances to look for and which swap was half done):
 *
 * <ol>
 *   <li><b>Re-attach</b> every instance the journal says the group owns ({@code Launcher.reattach}, bounded by the
 *       launch timeout). One that cannot be reached is gone.</li>
 *   <li><b>Decide</b> from each live instance's own state. READY ones are kept, up to the group's size; beyond it, the
 *       half-done swap's new instances are let go first (the most recent first): that swap is rolled back. When fewer
 *       than the size are READY, old instances that were told to stop accepting (DRAINING) are re-admitted (resume
 *       accepting). Every other live instance (starting, drained, not needed) retires.</li>
 *   <li><b>Route</b>: the router adopts the kept instances it still routes to ({@code Router.adoptAttached}), attaches
 *       the others, and only then removes every other route ({@code Router.detachOthers}) and detaches the retiring
 *       instances: the group is never left without an attached ready instance while one exists.</li>
 *   <li><b>End</b> the half-done swap: {@code COMMITTED} when its new instances are kept and none of its old ones,
 *       else {@code ROLLED_BACK} (a rolling swap halted with some instances replaced ends so too); recorded
 *       ({@code SwapEnded}), reported to the listeners and to {@code Orchestrator.recovery()}. The kept instances are
 *       the members; the supervisor heals the group to its size; the retiring instances are destroyed (the child
 *       stops accepting, drains and exits) in the background, like a swap's steps 5 to 7.</li>
 * </ol>
 *
 * <p>Not API. Confined to the serial executor.
 */
final class Reconciliation {

    private static final Pattern ROLLING = Pattern.compile("rolling\\(maxSurge=(\\d+), maxUnavailable=(\\d+)\\)");

    private final SwapEngine engine;
    private final Settings settings;
    private final GroupJournal.State state;
    private final String id;
    private final Wait.Context context;
    private final CompletableFuture<Optional<SwapResult>> done;
    private final Map<String, Lifecycle> alive = new LinkedHashMap<>();
    private final List<String> gone = new ArrayList<>();
    private final List<Throwable> problems = new ArrayList<>();
    private final List<String> keep = new ArrayList<>();
    private final List<String> retire = new ArrayList<>();
    private Instant start;
    private int pending;

    Reconciliation(SwapEngine engine, GroupJournal.State state, String id,
                   CompletableFuture<Optional<SwapResult>> done) {
        this.engine = engine;
        this.settings = engine.settings;
        this.state = state;
        this.id = id;
        this.context = engine.contextOf(id, null);
        this.done = done;
    }

    void start() {
        start = settings.scheduler().now();
        SwapIntent open = state.openSwap();
        SwapEngine.LOG.warn("{}: recovering group '{}' at epoch {}: the journal names {} instance(s) {}, members {}{}",
                id, settings.group(), engine.journal.epoch(), state.owned().size(), state.owned().keySet(),
                state.bound(), open == null ? ", no swap half done"
                        : ", swap " + open.swapId() + " half done after " + describe(state.openSteps()));
        pending = state.owned().size();
        if (pending == 0) {
            decide();
            return;
        }
        for (MemberAdded member : state.owned().values()) {
            String instanceId = member.instanceId();
            Launcher launcher = engine.launcherOf(member.release());
            CompletableFuture<Lifecycle> stage = Wait.call(() -> launcher.reattach(instanceId), "Launcher.reattach")
                    .toCompletableFuture();
            Wait.on(context, stage, settings.launchTimeout(), SwapStep.LAUNCH, instanceId, (handle, failure) -> {
                if (failure == null && handle != null && instanceId.equals(SwapEngine.idOf(handle))) {
                    alive.put(instanceId, handle);
                } else {
                    SwapEngine.LOG.info("{}: instance {} is gone: {}", id, instanceId,
                            failure == null ? "the launcher handed back " + handle : failure.getMessage());
                    gone.add(instanceId);
                    if (failure == null && handle != null) {
                        handle.destroy();
                    } else {
                        // Late after a timeout: nobody would own it; it stops accepting, drains and exits.
                        stage.thenAccept(late -> context.execute(() -> late.destroy()));
                    }
                }
                if (--pending == 0) {
                    decide();
                }
            });
        }
    }

    private void decide() {
        SwapIntent open = state.openSwap();
        Set<String> news = state.openLaunched();
        int size = state.size() >= 0 ? state.size() : (int) alive.values().stream().filter(Lifecycle::isReady).count();
        List<String> draining = new ArrayList<>();
        for (Map.Entry<String, Lifecycle> entry : alive.entrySet()) {
            LifecycleState instanceState = entry.getValue().state();
            if (instanceState == LifecycleState.READY) {
                keep.add(entry.getKey());
            } else if (instanceState == LifecycleState.DRAINING && !news.contains(entry.getKey())) {
                draining.add(entry.getKey());
            } else {
                retire.add(entry.getKey());
            }
        }
        while (keep.size() > size) {
            String extra = lastOf(keep, news);
            keep.remove(extra);
            retire.add(extra);
        }
        SwapEngine.LOG.info("{}: alive {}, gone {}; keeping {} (size {}), {} told to stop accepting", id,
                describe(alive.keySet()), gone, keep, size, draining);
        readmit(draining, size, () -> route(open));
    }

    /** @return the last of {@code ids} that is in {@code preferred}, else the last one */
    private static String lastOf(List<String> ids, Set<String> preferred) {
        for (int i = ids.size() - 1; i >= 0; i--) {
            if (preferred.contains(ids.get(i))) {
                return ids.get(i);
            }
        }
        return ids.get(ids.size() - 1);
    }

    private void readmit(List<String> draining, int size, Runnable then) {
        if (draining.isEmpty()) {
            then.run();
            return;
        }
        String candidate = draining.remove(0);
        if (keep.size() >= size) {
            retire.add(candidate);
            readmit(draining, size, then);
            return;
        }
        Lifecycle handle = alive.get(candidate);
        Wait.on(context, Wait.call(handle::resumeAccepting, "Lifecycle.resumeAccepting"), settings.attachTimeout(),
                SwapStep.READMIT, candidate, (ignored, failure) -> {
                    if (failure == null) {
                        SwapEngine.LOG.info("{}: re-admitted {} (it was told to stop accepting)", id, candidate);
                        keep.add(candidate);
                    } else {
                        SwapEngine.LOG.warn("{}: could not re-admit {}: {}", id, candidate, failure.toString());
                        retire.add(candidate);
                    }
                    readmit(draining, size, then);
                });
    }

    private void route(SwapIntent open) {
        List<Lifecycle> kept = keep.stream().map(alive::get).toList();
        Wait.on(context, Wait.call(() -> settings.router().adoptAttached(kept), "Router.adoptAttached"),
                settings.attachTimeout(), SwapStep.ATTACH, id, (attached, failure) -> {
                    Set<String> routed = new HashSet<>();
                    if (failure != null) {
                        problem("the router could not say what it routes to", failure);
                    } else {
                        routed.addAll(attached);
                    }
                    List<String> toAttach = keep.stream().filter(instanceId -> !routed.contains(instanceId)).toList();
                    SwapEngine.LOG.info("{}: the router still routes to {}; attaching {}", id, routed, toAttach);
                    attachEach(new ArrayList<>(toAttach), () -> detachOthers(open));
                });
    }

    private void attachEach(List<String> toAttach, Runnable then) {
        if (toAttach.isEmpty()) {
            then.run();
            return;
        }
        String instanceId = toAttach.remove(0);
        Lifecycle handle = alive.get(instanceId);
        Wait.on(context, Wait.call(() -> settings.router().attach(handle), "Router.attach"), settings.attachTimeout(),
                SwapStep.ATTACH, instanceId, (ignored, failure) -> {
                    if (failure != null) {
                        problem("could not attach " + instanceId, failure);
                        keep.remove(instanceId);
                        retire.add(instanceId);
                    }
                    attachEach(toAttach, then);
                });
    }

    private void detachOthers(SwapIntent open) {
        Set<String> keepIds = Set.copyOf(keep);
        Wait.on(context, Wait.call(() -> settings.router().detachOthers(keepIds), "Router.detachOthers"),
                settings.detachTimeout(), SwapStep.DETACH, id, (ignored, failure) -> {
                    if (failure != null) {
                        problem("the router could not remove the routes to instances not kept", failure);
                    }
                    int[] left = {retire.size()};
                    if (left[0] == 0) {
                        finish(open);
                        return;
                    }
                    for (String instanceId : List.copyOf(retire)) {
                        Lifecycle handle = alive.get(instanceId);
                        Wait.on(context, RouterCalls.detachAndSettle(settings.router(), handle),
                                settings.detachTimeout(), SwapStep.DETACH, instanceId, (detached, notDetached) -> {
                                    if (notDetached != null) {
                                        problem("could not detach " + instanceId, notDetached);
                                    }
                                    if (--left[0] == 0) {
                                        finish(open);
                                    }
                                });
                    }
                });
    }

    private void finish(SwapIntent open) {
        Map<String, Lifecycle> kept = new LinkedHashMap<>();
        keep.forEach(instanceId -> kept.put(instanceId, alive.get(instanceId)));
        Map<String, Lifecycle> retiring = new LinkedHashMap<>();
        retire.forEach(instanceId -> retiring.put(instanceId, alive.get(instanceId)));
        SwapOutcome outcome = null;
        SwapResult result = null;
        if (open != null) {
            Set<String> news = state.openLaunched();
            Set<String> olds = Set.copyOf(open.oldInstanceIds());
            boolean newKept = keep.stream().anyMatch(news::contains);
            boolean oldKept = keep.stream().anyMatch(olds::contains);
            outcome = newKept && !oldKept ? SwapOutcome.COMMITTED : SwapOutcome.ROLLED_BACK;
            engine.journal.recordAfter(new SwapEnded(open.swapId(), outcome));
            List<String> retired = new ArrayList<>();
            for (String old : open.oldInstanceIds()) {
                if (!keep.contains(old)) {
                    retired.add(old);
                }
            }
            Throwable cause = null;
            if (!problems.isEmpty()) {
                cause = new HandoffException("recovery of " + open.swapId() + " by " + id + " met failures");
                problems.forEach(cause::addSuppressed);
            }
            result = new SwapResult(open.swapId(), planOf(open.plan()), open.release(), outcome, start,
                    Duration.between(start, settings.scheduler().now()), List.of(), List.copyOf(news), retired, 0,
                    Optional.ofNullable(cause));
            SwapEngine.LOG.warn("{}: swap {} ended {} on recovery; members {}, retiring {}", id, open.swapId(),
                    outcome, keep, retire);
        } else {
            SwapEngine.LOG.warn("{}: no swap was half done; members {}, retiring {}", id, keep, retire);
        }
        int size = state.size() >= 0 ? state.size() : kept.size();
        String committedRelease = outcome == SwapOutcome.COMMITTED ? open.release() : null;
        engine.recovered(this, kept, state, size, committedRelease, retiring, result, done);
    }

    /** Retires one instance in the background: it is detached already; its destroy stops, drains and ends it. */
    void destroy(String instanceId, Lifecycle handle) {
        Wait.on(context, Wait.call(handle::destroy, "Lifecycle.destroy"), settings.destroyTimeout(),
                SwapStep.DESTROY, instanceId, (ignored, failure) -> {
                    if (failure != null) {
                        engine.metrics.destroyFailed();
                        SwapEngine.LOG.error("{}: destroy of retiring instance {} failed", id, instanceId, failure);
                    }
                    engine.instanceGone(instanceId);
                });
    }

    private void problem(String what, Throwable failure) {
        SwapEngine.LOG.error("{}: {}", id, what, failure);
        problems.add(failure);
    }

    private String describe(Set<String> ids) {
        StringBuilder text = new StringBuilder("[");
        for (String instanceId : ids) {
            if (text.length() > 1) {
                text.append(", ");
            }
            text.append(instanceId).append(' ').append(alive.get(instanceId).state());
        }
        return text.append(']').toString();
    }

    /** @return the steps a half-done run recorded, for the log: what it did, not what is (that is observed) */
    private static String describe(List<StepDone> steps) {
        if (steps.isEmpty()) {
            return "no step";
        }
        StepDone last = steps.get(steps.size() - 1);
        return steps.size() + " step(s), the last " + last.step() + " of " + last.instanceId();
    }

    /** @return the plan a journal's plan text names (a canary's gate is not run again: it refuses) */
    static Plan planOf(String text) {
        String plan = text.replaceFirst(" size=\\d+$", "");
        Matcher rolling = ROLLING.matcher(plan);
        if (rolling.matches()) {
            return Plan.rolling(Integer.parseInt(rolling.group(1)), Integer.parseInt(rolling.group(2)));
        }
        switch (plan) {
            case "blue-green":
                return Plan.blueGreen();
            case "start":
                return Plan.start();
            case "canary":
                return Plan.canary(canary -> CompletableFuture.failedFuture(new IllegalStateException(
                        "the gate of a canary recovered from the journal is not run again")));
            default:
                return Plan.oneForOne();
        }
    }
}
