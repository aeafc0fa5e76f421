package dev.handoff.test.sim;

import dev.handoff.api.InstanceFailedException;
import dev.handoff.api.LifecycleListener;
import dev.handoff.api.LifecycleState;
import dev.handoff.api.SwapStep;
import dev.handoff.api.Lifecycle;
import dev.handoff.core.InFlightTracker;
import dev.handoff.core.Scheduler;
import dev.handoff.core.internal.Durations;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.CopyOnWriteArrayList;

/**
 * An instance that lives on a {@link VirtualClock} and follows a {@link Script}: how long it takes to start and to
 * become ready, and which faults it has. Work is submitted with {@link #submit(Duration)} (a
 * {@link SimulatedRouter} does it for routed traffic) and counted with an {@link InFlightTracker}, so the drain
 * is the real race-free one. It records its lifecycle and what happened to every unit of work, for the
 * {@link InvariantChecker} and for a test's own assertions.
 *
 * <p>Lifecycle: {@code STARTING} until ready, then {@code READY}; {@link #stopAccepting()} moves to
 * {@code DRAINING} (work is still admitted until {@link #drain()} closes the intake), the drain to {@code DRAINED},
 * {@link #destroy()} to {@code STOPPED}; a crash (scripted, or {@link #crash()}) to {@code FAILED}.
 *
 * <p>A crashed instance behaves like a dead process: {@link #failure()} completes, {@link #isReady()} is false,
 * {@link #stopAccepting()}, {@link #drain()} (one in progress too) and {@link #resumeAccepting()} fail with an
 * {@link InstanceFailedException} naming the crash, and {@link #destroy()} succeeds, releasing nothing (unless the
 * script makes it throw or hang); {@link #callsAfterCrash()} records every such call. A destroyed instance refuses
 * those calls too, naming its state.
 *
 * <p>Thread-safe; callbacks (stage completions, timers) run on the thread that advances the clock.
 */
public final class SimulatedInstance implements Lifecycle {

    /** The faults an instance can be scripted with. */
    public enum Fault {
        /** The launch fails after the start delay; the instance never exists for the orchestrator. */
        FAILS_TO_START,
        /** Starts, but never becomes ready. */
        NEVER_READY,
        /** Crashes (state FAILED, {@link #failure()} completes) at a scripted time or step; set through
         *  {@link Script.Builder#crashAfterReady(Duration)} or {@link Script.Builder#crashAt(SwapStep)}. */
        CRASHES_WHILE_SERVING,
        /** Its drain never completes: the work in flight hangs (with none in flight, a background task hangs),
         *  until {@link #forceStop()} abandons it. */
        HANGS_IN_DRAIN,
        /** {@link #destroy()} throws. */
        DESTROY_THROWS,
        /** {@link #destroy()} returns a stage that never completes. */
        DESTROY_HANGS
    }

    /** One lifecycle change. @param at when, on the clock @param state the state entered */
    public record Transition(Instant at, LifecycleState state) {
    }

    private final String id;
    private final VirtualClock clock;
    private final Script script;
    private final InFlightTracker tracker;
    private final List<Runnable> observers = new CopyOnWriteArrayList<>();
    private final List<LifecycleListener> listeners = new CopyOnWriteArrayList<>();
    private final CompletableFuture<Lifecycle> started = new CompletableFuture<>();
    private final CompletableFuture<Void> ready = new CompletableFuture<>();
    private final CompletableFuture<Void> failure = new CompletableFuture<>();
    private final List<Transition> history = new ArrayList<>();
    private final List<String> attachedWhileNotReady = new ArrayList<>();
    private final List<String> callsAfterCrash = new ArrayList<>();
    private final Map<Long, Unit> pending = new LinkedHashMap<>();
    private final List<Scheduler.Cancellable> timers = new ArrayList<>();

    private LifecycleState state = LifecycleState.STARTING;
    private boolean hanging;
    private Instant drainCalledAt;
    private boolean destroyed;
    private boolean crashed;
    private boolean failedToStart;
    private InstanceFailedException crashCause;
    private long nextUnit;
    private long submitted;
    private long served;
    private long refused;
    private long abandoned;
    private long lostInCrash;
    private long cutByDestroy;

    private SimulatedInstance(String id, VirtualClock clock, Script script) {
        this.id = Objects.requireNonNull(id, "id must not be null");
        this.clock = Objects.requireNonNull(clock, "clock must not be null");
        this.script = Objects.requireNonNull(script, "script must not be null");
        this.tracker = InFlightTracker.create("simulated-work");
        history.add(new Transition(clock.now(), state));
    }

    /**
     * Creates an instance and starts it by its script: it completes {@link #started()} after the start delay and
     * becomes ready after the readiness delay.
     *
     * @param id     the instance's id
     * @param clock  its clock
     * @param script its behaviour
     * @return the starting instance
     * @throws NullPointerException when an argument is null
     */
    public static SimulatedInstance launch(String id, VirtualClock clock, Script script) {
        SimulatedInstance instance = new SimulatedInstance(id, clock, script);
        instance.begin();
        return instance;
    }

    /**
     * @param id    the instance's id
     * @param clock its clock
     * @return a healthy instance that is READY now (to {@code adopt} into an orchestrator after attaching it)
     */
    public static SimulatedInstance running(String id, VirtualClock clock) {
        return launch(id, clock, Script.healthy());
    }

    private void begin() {
        if (script.startDelay().isZero()) {
            onStarted();
        } else {
            schedule(script.startDelay(), this::onStarted);
        }
    }

    private void onStarted() {
        boolean fails;
        synchronized (this) {
            if (state.isTerminal()) {
                return;
            }
            fails = script.has(Fault.FAILS_TO_START);
            if (fails) {
                failedToStart = true;
                move(LifecycleState.FAILED);
            }
        }
        if (fails) {
            InstanceFailedException cause = new InstanceFailedException(id, "simulated failure to start", null);
            started.completeExceptionally(cause);
            ready.completeExceptionally(cause);
            changed();
            return;
        }
        if (!script.has(Fault.NEVER_READY)) {
            if (script.readyDelay().isZero()) {
                onReady();
            } else {
                schedule(script.readyDelay(), this::onReady);
            }
        }
        started.complete(this);
    }

    private void onReady() {
        synchronized (this) {
            if (state != LifecycleState.STARTING) {
                return;
            }
            move(LifecycleState.READY);
            script.crashAfterReady().ifPresent(delay -> schedule(delay, this::crash));
        }
        ready.complete(null);
        changed();
    }

    /** @return completes with this instance after the start delay; exceptionally when it fails to start */
    public CompletionStage<Lifecycle> started() {
        return started.minimalCompletionStage();
    }

    @Override
    public String id() {
        return id;
    }

    /** @return the script this instance follows */
    public Script script() {
        return script;
    }

    /** @return the current state */
    public synchronized LifecycleState state() {
        return state;
    }

    /** @return whether the instance is READY */
    public synchronized boolean isReady() {
        return state == LifecycleState.READY;
    }

    /**
     * @return whether the instance holds resources: it started (or is starting) and was neither destroyed nor
     *     failed to start. A crashed instance is alive until destroyed.
     */
    public synchronized boolean isAlive() {
        return !destroyed && !failedToStart;
    }

    /**
     * Submits one unit of work that takes {@code duration} on the clock. It is admitted when the instance is READY
     * or DRAINING and its intake is open (the drain has not closed it); otherwise it is refused.
     *
     * @param duration how long the work runs
     * @return whether it was admitted
     * @throws NullPointerException     when null
     * @throws IllegalArgumentException when negative
     */
    public boolean submit(Duration duration) {
        Durations.nonNegative("duration", duration);
        synchronized (this) {
            submitted++;
            if (state != LifecycleState.READY && state != LifecycleState.DRAINING) {
                refused++;
                return false;
            }
            int permit = tracker.tryAdmit();
            if (permit == InFlightTracker.REFUSED) {
                refused++;
                return false;
            }
            long unitId = nextUnit++;
            Unit unit = new Unit(permit);
            pending.put(unitId, unit);
            unit.timer = clock.schedule(duration, () -> finish(unitId));
        }
        return true;
    }

    private void finish(long unitId) {
        Unit unit;
        synchronized (this) {
            unit = pending.remove(unitId);
            if (unit == null) {
                return;
            }
            served++;
        }
        tracker.release(unit.permit);
        changed();
    }

    /**
     * Crashes the instance now: FAILED, its work in flight lost (counted in {@link #lostInCrash()}), its
     * {@link #failure()} stage completed, a drain in progress failed; from then on it answers like a dead process
     * (see the class comment). A no-op once STOPPED or FAILED.
     */
    public void crash() {
        List<Unit> lost;
        synchronized (this) {
            if (state.isTerminal()) {
                return;
            }
            crashed = true;
            // Crashing before the launch completed is failing to start: the orchestrator never gets the instance.
            failedToStart = !started.isDone();
            move(LifecycleState.FAILED);
            lost = takePending();
            lostInCrash += lost.size();
            cancelTimers();
        }
        InstanceFailedException cause = new InstanceFailedException(id, "simulated crash", null);
        synchronized (this) {
            crashCause = cause;
        }
        // After the cause is set: releasing the work completes a drain in progress, which must fail naming it.
        release(lost);
        started.completeExceptionally(cause);
        ready.completeExceptionally(cause);
        failure.completeExceptionally(cause);
        changed();
    }

    @Override
    public CompletionStage<Void> whenReady() {
        return ready.minimalCompletionStage();
    }

    @Override
    public CompletionStage<Void> failure() {
        return failure.minimalCompletionStage();
    }

    @Override
    public CompletionStage<Void> stopAccepting() {
        boolean moved = false;
        synchronized (this) {
            if (state.isTerminal()) {
                return refused("stop accepting");
            }
            if (state == LifecycleState.READY || state == LifecycleState.STARTING) {
                move(LifecycleState.DRAINING);
                moved = true;
            }
        }
        if (moved) {
            changed();
        }
        return CompletableFuture.completedFuture(null);
    }

    @Override
    public CompletionStage<Void> resumeAccepting() {
        synchronized (this) {
            if (state == LifecycleState.READY) {
                return CompletableFuture.completedFuture(null);
            }
            if (state.isTerminal()) {
                return refused("resume accepting");
            }
            if (state != LifecycleState.DRAINING && state != LifecycleState.DRAINED) {
                return CompletableFuture.failedFuture(new IllegalStateException("instance " + id + " is " + state
                        + " and cannot resume accepting"));
            }
            tracker.reopen();
            move(LifecycleState.READY);
        }
        changed();
        return CompletableFuture.completedFuture(null);
    }

    @Override
    public CompletionStage<Void> drain() {
        CompletionStage<Void> drained;
        synchronized (this) {
            if (state.isTerminal()) {
                return refused("drain");
            }
            if (state == LifecycleState.READY || state == LifecycleState.STARTING) {
                move(LifecycleState.DRAINING);
            }
            if (drainCalledAt == null) {
                drainCalledAt = clock.now();
            }
            if (script.has(Fault.HANGS_IN_DRAIN) && !hanging) {
                hanging = true;
                for (Unit unit : pending.values()) {
                    unit.timer.cancel();
                }
                if (pending.isEmpty() && !tracker.isClosed()) {
                    int permit = tracker.tryAdmit();
                    if (permit != InFlightTracker.REFUSED) {
                        pending.put(nextUnit++, new Unit(permit));
                    }
                }
            }
            drained = tracker.close();
        }
        changed();
        CompletableFuture<Void> result = new CompletableFuture<>();
        drained.whenComplete((ignored, error) -> {
            boolean moved = false;
            InstanceFailedException crash;
            synchronized (this) {
                crash = crashCause;
                if (crash == null && state == LifecycleState.DRAINING && tracker.isClosed()) {
                    move(LifecycleState.DRAINED);
                    moved = true;
                }
            }
            if (moved) {
                changed();
            }
            if (crash != null) {
                // The work was lost in the crash, not finished: a dead process never signals drain-complete.
                result.completeExceptionally(crashed("drain", crash));
            } else {
                result.complete(null);
            }
        });
        return result;
    }

    /** Must hold the lock; the state is STOPPED or FAILED. @return a stage failed the way a dead process fails */
    private <T> CompletionStage<T> refused(String call) {
        if (crashCause != null) {
            callsAfterCrash.add("instance " + id + " was asked to " + call + " at " + clock.elapsed()
                    + ", after it crashed");
            return CompletableFuture.failedFuture(crashed(call, crashCause));
        }
        return CompletableFuture.failedFuture(new IllegalStateException("instance " + id + " is " + state
                + " and cannot " + call));
    }

    private InstanceFailedException crashed(String call, InstanceFailedException crash) {
        return new InstanceFailedException(id, "cannot " + call + ": it crashed (simulated crash)", crash);
    }

    @Override
    public synchronized long inFlight() {
        return pending.size();
    }

    @Override
    public CompletionStage<Long> forceStop() {
        List<Unit> cut;
        synchronized (this) {
            cut = takePending();
            abandoned += cut.size();
        }
        release(cut);
        changed();
        return CompletableFuture.completedFuture((long) cut.size());
    }

    @Override
    public CompletionStage<Void> destroy() {
        List<Unit> cut;
        synchronized (this) {
            if (destroyed) {
                return CompletableFuture.completedFuture(null);
            }
            destroyed = true;
            cut = takePending();
            cutByDestroy += cut.size();
            cancelTimers();
            if (state != LifecycleState.FAILED) {
                move(LifecycleState.STOPPED);
            }
            tracker.close();
        }
        release(cut);
        changed();
        if (script.has(Fault.DESTROY_THROWS)) {
            throw new IllegalStateException("simulated destroy failure of instance " + id);
        }
        if (script.has(Fault.DESTROY_HANGS)) {
            return new CompletableFuture<>();
        }
        return CompletableFuture.completedFuture(null);
    }

    /** Called by the router when it attaches or detaches this instance. */
    void routed(boolean attached) {
        synchronized (this) {
            // A crashed instance is the fault under test: the orchestrator may attach it before it hears of the
            // crash.
            if (attached && state != LifecycleState.READY && !crashed) {
                attachedWhileNotReady.add("instance " + id + " was attached at " + clock.elapsed() + " while "
                        + state);
            }
        }
        changed();
    }

    void addObserver(Runnable observer) {
        observers.add(observer);
    }

    /** @return every lifecycle change, in order, starting with STARTING */
    public synchronized List<Transition> history() {
        return List.copyOf(history);
    }

    /** @return descriptions of each time a router attached this instance while it was not READY (should be none) */
    public synchronized List<String> attachedWhileNotReady() {
        return List.copyOf(attachedWhileNotReady);
    }

    /**
     * @return descriptions of each call to stop accepting, drain or resume accepting made after the crash (should be
     *     none: a dead instance is never asked to)
     */
    public synchronized List<String> callsAfterCrash() {
        return List.copyOf(callsAfterCrash);
    }

    /** @return units submitted (admitted or refused) */
    public synchronized long submitted() {
        return submitted;
    }

    /** @return units that ran to completion */
    public synchronized long served() {
        return served;
    }

    /** @return units refused because the instance was not READY or DRAINING or its intake was closed */
    public synchronized long refused() {
        return refused;
    }

    /** @return units abandoned by {@link #forceStop()} */
    public synchronized long abandoned() {
        return abandoned;
    }

    /** @return units lost because the instance crashed */
    public synchronized long lostInCrash() {
        return lostInCrash;
    }

    /** @return units still in flight when the instance was destroyed (lost without being counted abandoned) */
    public synchronized long cutByDestroy() {
        return cutByDestroy;
    }

    /** @return whether the instance crashed */
    public synchronized boolean crashed() {
        return crashed;
    }

    /** @return whether {@link #destroy()} was called */
    public synchronized boolean destroyed() {
        return destroyed;
    }

    /** @return when {@link #drain()} was first called (its intake closed); empty while it never was */
    public synchronized Optional<Instant> drainCalledAt() {
        return Optional.ofNullable(drainCalledAt);
    }

    /** @return whether the instance ever left READY for DRAINING and came back (it was re-admitted) */
    public synchronized boolean wasReadmitted() {
        for (int i = 1; i < history.size(); i++) {
            LifecycleState before = history.get(i - 1).state();
            if (history.get(i).state() == LifecycleState.READY
                    && (before == LifecycleState.DRAINING || before == LifecycleState.DRAINED)) {
                return true;
            }
        }
        return false;
    }

    private void move(LifecycleState next) {
        LifecycleState previous = state;
        state = next;
        history.add(new Transition(clock.now(), next));
        for (LifecycleListener listener : listeners) {
            listener.onStateChange(previous, next);
        }
    }

    /** {@inheritDoc} Told on the thread that moves the instance (the virtual clock's), under its lock. */
    @Override
    public void addListener(LifecycleListener listener) {
        listeners.add(Objects.requireNonNull(listener, "listener must not be null"));
    }

    @Override
    public void removeListener(LifecycleListener listener) {
        listeners.remove(Objects.requireNonNull(listener, "listener must not be null"));
    }

    private void schedule(Duration delay, Runnable task) {
        synchronized (this) {
            timers.add(clock.schedule(delay, task));
        }
    }

    private void cancelTimers() {
        for (Scheduler.Cancellable timer : timers) {
            timer.cancel();
        }
        timers.clear();
    }

    private List<Unit> takePending() {
        List<Unit> taken = new ArrayList<>(pending.values());
        for (Unit unit : taken) {
            if (unit.timer != null) {
                unit.timer.cancel();
            }
        }
        pending.clear();
        return taken;
    }

    private void release(List<Unit> units) {
        for (Unit unit : units) {
            tracker.release(unit.permit);
        }
    }

    private void changed() {
        for (Runnable observer : observers) {
            observer.run();
        }
    }

    @Override
    public synchronized String toString() {
        return "SimulatedInstance[" + id + ", " + state + ", inFlight=" + pending.size() + "]";
    }

    private static final class Unit {
        final int permit;
        Scheduler.Cancellable timer;

        Unit(int permit) {
            this.permit = permit;
        }
    }

    /**
     * What a simulated instance does: delays and faults. Immutable and thread-safe; build one with
     * {@link #builder()}.
     */
    public static final class Script {
        private static final Script HEALTHY = builder().build();

        private final Duration startDelay;
        private final Duration readyDelay;
        private final Set<Fault> faults;
        private final Duration crashAfterReady;
        private final SwapStep crashAt;

        private Script(Builder builder) {
            this.startDelay = builder.startDelay;
            this.readyDelay = builder.readyDelay;
            this.faults = builder.faults.isEmpty() ? Set.of() : Set.copyOf(builder.faults);
            this.crashAfterReady = builder.crashAfterReady;
            this.crashAt = builder.crashAt;
        }

        /** @return a script with no delay and no fault */
        public static Script healthy() {
            return HEALTHY;
        }

        /** @return a builder for a healthy instance with no delays */
        public static Builder builder() {
            return new Builder();
        }

        /** @return the delay from launch to started */
        public Duration startDelay() {
            return startDelay;
        }

        /** @return the delay from started to ready */
        public Duration readyDelay() {
            return readyDelay;
        }

        /** @return the faults */
        public Set<Fault> faults() {
            return faults;
        }

        /**
         * @param fault a fault
         * @return whether this script has it
         */
        public boolean has(Fault fault) {
            return faults.contains(fault);
        }

        /** @return when the instance crashes, measured from its readiness */
        public Optional<Duration> crashAfterReady() {
            return Optional.ofNullable(crashAfterReady);
        }

        /**
         * @return the step at which the instance crashes: when that step starts in the swap that launched it
         *     (see {@link SimulatedLauncher})
         */
        public Optional<SwapStep> crashAt() {
            return Optional.ofNullable(crashAt);
        }

        @Override
        public String toString() {
            return "Script[start " + startDelay + ", ready " + readyDelay + ", faults " + faults
                    + (crashAt == null ? "" : ", crash at " + crashAt)
                    + (crashAfterReady == null ? "" : ", crash " + crashAfterReady + " after ready") + "]";
        }

        /** Builds a {@link Script}; validates each value as it is set. Not thread-safe. */
        public static final class Builder {
            private Duration startDelay = Duration.ZERO;
            private Duration readyDelay = Duration.ZERO;
            private final Set<Fault> faults = EnumSet.noneOf(Fault.class);
            private Duration crashAfterReady;
            private SwapStep crashAt;

            private Builder() {
            }

            /**
             * @param delay from launch to started; default zero
             * @return this builder
             * @throws NullPointerException     when null
             * @throws IllegalArgumentException when negative
             */
            public Builder startDelay(Duration delay) {
                this.startDelay = Durations.nonNegative("startDelay", delay);
                return this;
            }

            /**
             * @param delay from started to ready; default zero
             * @return this builder
             * @throws NullPointerException     when null
             * @throws IllegalArgumentException when negative
             */
            public Builder readyDelay(Duration delay) {
                this.readyDelay = Durations.nonNegative("readyDelay", delay);
                return this;
            }

            /**
             * @param fault a fault to add; {@link Fault#CRASHES_WHILE_SERVING} is added by
             *              {@link #crashAfterReady(Duration)} or {@link #crashAt(SwapStep)}, which say when
             * @return this builder
             * @throws NullPointerException     when null
             * @throws IllegalArgumentException for {@code CRASHES_WHILE_SERVING}
             */
            public Builder fault(Fault fault) {
                Objects.requireNonNull(fault, "fault must not be null");
                if (fault == Fault.CRASHES_WHILE_SERVING) {
                    throw new IllegalArgumentException("fault CRASHES_WHILE_SERVING needs a time or a step: use"
                            + " crashAfterReady(Duration) or crashAt(SwapStep)");
                }
                faults.add(fault);
                return this;
            }

            /**
             * @param delay the instance crashes this long after it became ready
             * @return this builder
             * @throws NullPointerException     when null
             * @throws IllegalArgumentException when negative
             */
            public Builder crashAfterReady(Duration delay) {
                this.crashAfterReady = Durations.nonNegative("crashAfterReady", delay);
                faults.add(Fault.CRASHES_WHILE_SERVING);
                return this;
            }

            /**
             * @param step the instance crashes when this step starts in the swap that launched it (steps 4 to 7 and
             *             READMIT: those of the old instance it replaces). Needs the {@link SimulatedLauncher}
             *             registered as a listener of the orchestrator.
             * @return this builder
             * @throws NullPointerException when null
             */
            public Builder crashAt(SwapStep step) {
                this.crashAt = Objects.requireNonNull(step, "step must not be null");
                faults.add(Fault.CRASHES_WHILE_SERVING);
                return this;
            }

            /** @return the script */
            public Script build() {
                return new Script(this);
            }
        }
    }
}
