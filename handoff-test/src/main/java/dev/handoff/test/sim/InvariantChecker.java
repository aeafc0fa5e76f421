package dev.handoff.test.sim;

import dev.handoff.api.Lifecycle;
import dev.handoff.api.Plan;
import dev.handoff.api.SwapResult;
import dev.handoff.api.SwapStep;
import dev.handoff.api.event.SwapEvent;
import dev.handoff.api.event.SwapListener;
import java.util.ArrayList;
import java.util.Collection;
import java.util.EnumSet;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.function.Supplier;

/**
 * Checks the brief's invariants over a simulated run. Register it as a listener of the orchestrator
 * ({@code builder.listener(checker)}); it also watches the router and every instance the launcher starts (and
 * those given to {@link #watch}), re-checking on every change. After the run, {@link #violations()} lists what
 * broke, in readable sentences, and {@link #assertHolds()} throws if anything did.
 *
 * <ul>
 *   <li><b>Capacity.</b> While a swap runs (until it ends or the group's next swap starts), the router has at
 *       least {@code max(1, N - plan.maxUnavailable(N))} ready instances attached (N for one-for-one, blue-green and
 *       canary plans), and the instances of the swap that are alive (its N old ones and those it launched, until
 *       destroyed) never exceed {@code N + plan.maxSurge(N)} (2N for blue-green).
 *       A crash is the fault under test: from a crash until the swap re-admits or rolls back, capacity is not
 *       checked, and each crashed instance among the swap's old ones or left attached lowers the requirement by one
 *       (a dead old instance's capacity is gone; a crashed new one rolled back is not, its old one serves on).</li>
 *   <li><b>No loss.</b> No unit of work was cut off by a destroy without being counted abandoned; no instance the
 *       router could reach refused work; no instance was attached while not ready. Work lost in a crash is the
 *       fault under test and is not a violation.</li>
 *   <li><b>No intermediate state.</b> Every swap that started ended, with an outcome; no two swaps were between
 *       steps 1 and 4 at the same time.</li>
 *   <li><b>Every wait bounded.</b> Every step that started ended (COMPLETED or FAILED) before its swap ended.</li>
 *   <li><b>Never empty.</b> Whatever a swap's outcome, and whatever died: when a swap ends with no other swap
 *       running, and again when {@link #violations()} is read, if a healthy instance exists (READY, not crashed, not
 *       destroyed) at least one healthy instance is attached, and the group (the orchestrator's members, when given
 *       with {@link #group(Supplier)}) is not empty. A crashed instance is never asked to stop accepting, drain or
 *       resume accepting.</li>
 * </ul>
 *
 * <p>Thread-safe.
 */
public final class InvariantChecker implements SwapListener {

    private static final Set<SwapStep> FRONT_STEPS =
            EnumSet.of(SwapStep.LAUNCH, SwapStep.AWAIT_READY, SwapStep.ATTACH, SwapStep.DETACH, SwapStep.VERIFY);

    private final SimulatedRouter router;
    private final Map<String, SimulatedInstance> instances = new LinkedHashMap<>();
    private final SimulatedLauncher launcher;
    private final Map<String, Track> tracks = new LinkedHashMap<>();
    private final Map<String, String> detachedBy = new HashMap<>();
    private final Set<String> crashed = new HashSet<>();
    private final Set<String> rolledBack = new HashSet<>();
    private final List<String> violations = new ArrayList<>();
    private final List<SwapResult> results = new ArrayList<>();
    private Supplier<? extends Collection<? extends Lifecycle>> members;
    private long sequence;

    /**
     * @param router   the router the orchestrator uses
     * @param launcher the launcher the orchestrator uses
     * @throws NullPointerException when an argument is null
     */
    public InvariantChecker(SimulatedRouter router, SimulatedLauncher launcher) {
        this.router = Objects.requireNonNull(router, "router must not be null");
        this.launcher = Objects.requireNonNull(launcher, "launcher must not be null");
        router.addObserver(this::sample);
        launcher.addObserver(this::sample);
    }

    /**
     * Watches instances that the launcher did not start (those adopted by the orchestrator).
     *
     * @param adopted the instances
     * @return this checker
     */
    public InvariantChecker watch(SimulatedInstance... adopted) {
        for (SimulatedInstance instance : adopted) {
            Objects.requireNonNull(instance, "instance must not be null");
            synchronized (this) {
                instances.put(instance.id(), instance);
            }
            instance.addObserver(this::sample);
        }
        return this;
    }

    /**
     * Checks the group too: with it, "never empty" also requires the orchestrator's members not to be empty while a
     * healthy instance exists.
     *
     * @param members the group's members now, e.g. {@code orchestrator::instances}
     * @return this checker
     * @throws NullPointerException when null
     */
    public synchronized InvariantChecker group(Supplier<? extends Collection<? extends Lifecycle>> members) {
        this.members = Objects.requireNonNull(members, "members must not be null");
        return this;
    }

    @Override
    public void onStep(SwapEvent event) {
        synchronized (this) {
            refreshInstances();
            long seq = ++sequence;
            Track track = tracks.get(event.swapId());
            if (track == null) {
                // The group now belongs to this swap: the capacity bound of the swaps still draining gives way to
                // its own.
                for (Track earlier : tracks.values()) {
                    earlier.handedOver = true;
                }
                track = new Track(event.swapId(), seq, currentOlds(event.swapId()));
                tracks.put(event.swapId(), track);
            }
            if (FRONT_STEPS.contains(event.step())) {
                track.lastFrontEvent = seq;
            }
            String key = event.step() + " of " + event.instanceId();
            if (event.phase() == SwapEvent.Phase.STARTED) {
                track.open.merge(key, 1, Integer::sum);
                if (event.step() == SwapStep.LAUNCH) {
                    track.launched.add(event.instanceId());
                }
                if (event.step() == SwapStep.DETACH) {
                    detachedBy.put(event.instanceId(), event.swapId());
                }
                if (event.step() == SwapStep.ROLLBACK) {
                    rolledBack.add(event.instanceId());
                }
            } else {
                int left = track.open.merge(key, -1, Integer::sum);
                if (left < 0) {
                    violations.add("swap " + event.swapId() + ": " + key + " " + event.phase() + " without having"
                            + " started");
                }
                if (event.step() == SwapStep.READMIT && event.phase() == SwapEvent.Phase.COMPLETED) {
                    // Re-admitted: a member again, one of the old instances of the group's next swap.
                    detachedBy.remove(event.instanceId());
                }
                if ((event.step() == SwapStep.READMIT || event.step() == SwapStep.ROLLBACK) && track.exempt) {
                    track.exempt = false;
                }
            }
        }
        sample();
    }

    @Override
    public void onSwapEnd(SwapResult result) {
        synchronized (this) {
            results.add(result);
            Track track = tracks.computeIfAbsent(result.swapId(), id -> new Track(id, ++sequence, currentOlds(id)));
            track.result = result;
            evaluate(track);
            if (tracks.values().stream().allMatch(each -> each.result != null)) {
                neverEmpty("after swap " + result.swapId() + " ended " + result.outcome()).ifPresent(violations::add);
            }
        }
    }

    /**
     * Must hold the lock.
     *
     * @param when when the check runs, for the message
     * @return the violation of "never empty", if any: a healthy instance exists, and none is attached or the group
     *     is empty
     */
    private Optional<String> neverEmpty(String when) {
        refreshInstances();
        List<String> healthy = new ArrayList<>();
        List<String> healthyAttached = new ArrayList<>();
        for (SimulatedInstance instance : instances.values()) {
            if (instance.isReady() && !instance.crashed() && !instance.destroyed()) {
                healthy.add(instance.id());
                if (router.isAttached(instance.id())) {
                    healthyAttached.add(instance.id());
                }
            }
        }
        if (healthy.isEmpty()) {
            return Optional.empty();
        }
        if (healthyAttached.isEmpty()) {
            return Optional.of(when + ": healthy instance(s) " + healthy + " exist, but none is attached (attached: "
                    + router.attached() + ")");
        }
        if (members != null && members.get().isEmpty()) {
            return Optional.of(when + ": the group is empty while healthy instance(s) " + healthy + " run");
        }
        return Optional.empty();
    }

    private Set<String> currentOlds(String swapId) {
        Set<String> olds = new HashSet<>();
        for (SimulatedInstance instance : instances.values()) {
            String retiredBy = detachedBy.get(instance.id());
            // An instance being rolled back (by the previous swap, while still attached) left the group.
            if (instance.isAlive() && !rolledBack.contains(instance.id())
                    && (retiredBy == null || retiredBy.equals(swapId)) && router.isAttached(instance.id())) {
                olds.add(instance.id());
            }
        }
        return olds;
    }

    private void refreshInstances() {
        for (SimulatedInstance instance : launcher.launched()) {
            instances.putIfAbsent(instance.id(), instance);
        }
    }

    private void sample() {
        synchronized (this) {
            refreshInstances();
            int readyAttached = 0;
            for (String id : router.attached()) {
                SimulatedInstance instance = instances.get(id);
                if (instance != null && instance.isReady()) {
                    readyAttached++;
                }
            }
            boolean newCrash = false;
            for (SimulatedInstance instance : instances.values()) {
                if (instance.crashed() && crashed.add(instance.id())) {
                    newCrash = true;
                }
            }
            for (Track track : tracks.values()) {
                if (track.result != null) {
                    continue;
                }
                if (newCrash) {
                    track.exempt = true;
                }
                int alive = 0;
                int crashedCounted = 0;
                for (SimulatedInstance instance : instances.values()) {
                    if (instance.isAlive()
                            && (track.olds.contains(instance.id()) || track.launched.contains(instance.id()))) {
                        alive++;
                    }
                    if (instance.crashed()
                            && (track.olds.contains(instance.id()) || router.isAttached(instance.id()))) {
                        crashedCounted++;
                    }
                }
                track.samples.add(new Sample(sequence, readyAttached, crashedCounted, alive,
                        track.exempt || track.handedOver));
            }
        }
    }

    private void evaluate(Track track) {
        SwapResult result = track.result;
        Plan plan = result.plan();
        int size = track.olds.size();
        // The plan's own bounds for this group: what it reports is what it is held to. A start has no capacity to
        // keep yet, and launches its instances all at once.
        boolean start = plan.kind() == Plan.Kind.START;
        int minReady = start ? 0 : Math.max(1, size - plan.maxUnavailable(size));
        int maxAlive = start ? size + result.launched().size() : size + plan.maxSurge(size);
        boolean capacityReported = false;
        boolean aliveReported = false;
        for (Sample sample : track.samples) {
            if (!capacityReported && !sample.exempt && sample.readyAttached < minReady - sample.crashed) {
                violations.add("swap " + track.id + " (" + plan + ", N=" + size + "): only " + sample.readyAttached
                        + " ready instance(s) attached after event #" + sample.sequence + "; at least " + minReady
                        + " required");
                capacityReported = true;
            }
            if (!aliveReported && sample.alive > maxAlive) {
                violations.add("swap " + track.id + " (" + plan + ", N=" + size + "): " + sample.alive
                        + " instances alive after event #" + sample.sequence + "; at most " + maxAlive + " allowed");
                aliveReported = true;
            }
        }
        track.samples.clear();
        track.open.forEach((key, count) -> {
            if (count > 0) {
                violations.add("swap " + track.id + " ended " + result.outcome() + " with " + key
                        + " started and never ended (an unbounded wait)");
            }
        });
        if (result.outcome() == null) {
            violations.add("swap " + track.id + " ended without an outcome");
        }
    }

    /**
     * The orchestrator died (a test stopped it dead): the steps it had started and not ended are the fault under
     * test, not unbounded waits. Its swaps stay tracked: a restarted orchestrator ends them, and capacity and "never
     * empty" are still checked meanwhile.
     */
    public synchronized void orchestratorDied() {
        for (Track track : tracks.values()) {
            if (track.result == null) {
                track.open.clear();
            }
        }
    }

    /**
     * @return every violation found so far, in readable sentences; empty when the invariants held
     */
    public synchronized List<String> violations() {
        refreshInstances();
        List<String> all = new ArrayList<>(violations);
        Track previous = null;
        for (Track track : tracks.values()) {
            if (track.result == null) {
                all.add("swap " + track.id + " started and never ended (no COMMITTED, ROLLED_BACK or FORCED)");
            }
            if (previous != null && track.firstEvent < previous.lastFrontEvent) {
                all.add("swaps " + previous.id + " and " + track.id + " were between steps 1 and 4 at the same time");
            }
            previous = track;
        }
        for (SimulatedInstance instance : instances.values()) {
            if (instance.cutByDestroy() > 0) {
                all.add("instance " + instance.id() + ": " + instance.cutByDestroy() + " unit(s) of work were cut off"
                        + " by its destroy without being counted abandoned");
            }
            all.addAll(instance.attachedWhileNotReady());
            all.addAll(instance.callsAfterCrash());
        }
        all.addAll(router.refusals());
        neverEmpty("at the end").ifPresent(all::add);
        return all;
    }

    /**
     * @throws AssertionError listing every violation, when there is one
     */
    public void assertHolds() {
        List<String> found = violations();
        if (!found.isEmpty()) {
            throw new AssertionError(found.size() + " invariant violation(s):\n  - " + String.join("\n  - ", found));
        }
    }

    /** @return the results of the swaps that ended, in the order they ended */
    public synchronized List<SwapResult> results() {
        return List.copyOf(results);
    }

    private static final class Track {
        final String id;
        final long firstEvent;
        final Set<String> olds;
        final Set<String> launched = new HashSet<>();
        final Map<String, Integer> open = new LinkedHashMap<>();
        final List<Sample> samples = new ArrayList<>();
        long lastFrontEvent;
        boolean exempt;
        /** The group's next swap started: capacity is that swap's to keep. */
        boolean handedOver;
        SwapResult result;

        Track(String id, long firstEvent, Set<String> olds) {
            this.id = id;
            this.firstEvent = firstEvent;
            this.olds = olds;
            this.lastFrontEvent = firstEvent;
        }
    }

    private record Sample(long sequence, int readyAttached, int crashed, int alive, boolean exempt) {
    }
}
