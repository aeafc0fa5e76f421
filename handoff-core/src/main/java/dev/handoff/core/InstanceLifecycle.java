package dev.handoff.core;

import dev.handoff.api.InstanceFailedException;
import dev.handoff.api.Lifecycle;
import dev.handoff.api.LifecycleListener;
import dev.handoff.api.LifecycleState;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.CancellationException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.BooleanSupplier;
import java.util.function.Consumer;
import java.util.function.Supplier;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.slf4j.MDC;

/**
 * The one implementation of the instance contract ({@link Lifecycle}) for in-process instances: readiness,
 * stop-accepting, drain-complete, re-admission, force-stop, destroy and state listeners, over the
 * {@link InFlightTracker}s that count the instance's work. Use it as it is for an application of your own, or
 * extend it to write an adapter (a web server, a queue consumer): every transition is implemented here, once, and
 * {@code final}; the adapter's own behaviour goes into the protected hooks the transitions call
 * ({@link #onStopAccepting()}, {@link #onResumeAccepting()}, {@link #onDrain(CompletionStage)},
 * {@link #onForceStop()}, {@link #onDestroy()}), the way Jetty's {@code AbstractLifeCycle} calls
 * {@code doStart} and {@code doStop}. So whoever drives the instance (the orchestrator, a router, the SIGTERM
 * sequence, a child process's agent, the application itself) drives the adapter too: there is no second view
 * that could skip it.
 *
 * <pre>{@code
 * InFlightTracker requests = InFlightTracker.create("requests");
 * InstanceLifecycle lifecycle = InstanceLifecycle.newBuilder("orders-v2")
 *         .tracker(requests)
 *         .readyWhen("schema", schemaMigrated)          // a CompletionStage<?>
 *         .readinessCheck("database", database::isUp)   // pulled by isReady()
 *         .build();
 * // ... later, when the orchestrator (or SIGTERM) says so:
 * lifecycle.stopAccepting();
 * lifecycle.drain().toCompletableFuture().get(30, TimeUnit.SECONDS);
 * lifecycle.stop();
 * }</pre>
 *
 * <p><b>Readiness.</b> Without registered conditions the instance becomes READY when the application calls
 * {@link #markReady()}. With conditions ({@link Builder#readyWhen(String, CompletionStage)}) it becomes READY
 * when the last of them completes, and FAILED, with that cause, as soon as one completes exceptionally.
 * Readiness checks ({@link Builder#readinessCheck(String, BooleanSupplier)}) do not move the state: they are
 * pulled by {@link #isReady()}, for a readiness probe, and make it {@code false} while any returns
 * {@code false}.
 *
 * <p><b>Intakes.</b> Every tracker registered with {@link Builder#tracker(InFlightTracker)} or created with
 * {@link #tracker(String)} is closed by {@link #drain()}, reopened by {@link #resumeAccepting()} and closed by
 * {@link #stop()}; {@link #inFlight()} sums them.
 *
 * <p><b>States.</b> Every change follows {@link LifecycleState#canTransitionTo(LifecycleState)}; an illegal one
 * throws an {@link IllegalStateException} naming both states, and asking for the current state is a no-op.
 *
 * <p><b>Thread-safety.</b> Thread-safe; every method may be called from any thread. State changes are cold-path
 * and made under a small lock; {@link #state()}, {@link #isReady()} and {@link #inFlight()} do not lock.
 * Listeners are called after the new state is visible, one notification at a time and in the order the states
 * were entered: normally on the thread that caused the change, or on a thread that was notifying of an earlier
 * change when two race. When a state-changing method returns, every listener has been told of its change,
 * unless the method was called by a listener: such a change is notified once the current notification is over.
 * A listener must be short and must not block on another thread that changes this lifecycle. An exception from
 * a listener is logged and ignored. A listener runs with the MDC (SLF4J) of the thread that made the change, whichever
 * thread tells it (a child agent's swap id, say).
 */
public class InstanceLifecycle implements Lifecycle {

    private static final Logger LOG = LoggerFactory.getLogger(InstanceLifecycle.class);

    private static final CompletionStage<Void> DONE = CompletableFuture.completedStage(null);

    private final String name;
    private final List<BooleanSupplier> readinessChecks;
    private final List<String> readinessCheckNames;
    private final List<String> conditionNames;
    private final CopyOnWriteArrayList<LifecycleListener> listeners;
    private final CopyOnWriteArrayList<InFlightTracker> trackers;
    private final CompletableFuture<Void> ready = new CompletableFuture<>();
    private final CompletionStage<Void> readyView = ready.minimalCompletionStage();
    private final CompletableFuture<Void> failure = new CompletableFuture<>();
    private final CompletionStage<Void> failureView = failure.minimalCompletionStage();

    /** Guards every state change and the fields below it. */
    private final Object lock = new Object();
    /** Written only under {@link #lock}; read without it. */
    private volatile LifecycleState state = LifecycleState.STARTING;
    private volatile Throwable failureCause;
    /** Transitions made and not yet told to the listeners, in the order they were made. */
    private final ArrayDeque<Transition> pending = new ArrayDeque<>();
    /** Whether the application's readiness was reached (markReady, or every condition completed). */
    private boolean readinessReached;
    /** The drain of the current close of the intakes, or null while they are open. */
    private DrainRun currentDrain;
    /** What the current stop-accepting's hook promised, or null while accepting. */
    private CompletableFuture<Void> currentStop;
    /** The first destroy, or null before it. */
    private CompletableFuture<Void> destroyed;
    /** Told of every tracker added later, for metrics. */
    private final List<Consumer<InFlightTracker>> trackerHooks = new ArrayList<>();

    /** Held while listeners are told; makes notifications one at a time and in order. */
    private final ReentrantLock notifying = new ReentrantLock();

    /**
     * For adapters: {@code super(InstanceLifecycle.newBuilder(id).tracker(requests))}. The builder is copied, so the
     * lifecycle does not change when the builder does. Readiness conditions already complete make the lifecycle
     * READY (or FAILED) within this constructor, before the subclass's own constructor runs: no hook is called
     * then.
     *
     * @param builder the settings
     * @throws NullPointerException when {@code builder} is null
     */
    protected InstanceLifecycle(Builder builder) {
        Objects.requireNonNull(builder, "builder must not be null");
        this.name = builder.name;
        this.readinessChecks = List.copyOf(builder.readinessChecks.values());
        this.readinessCheckNames = List.copyOf(builder.readinessChecks.keySet());
        this.conditionNames = List.copyOf(builder.conditions.keySet());
        this.listeners = new CopyOnWriteArrayList<>(builder.listeners);
        this.trackers = new CopyOnWriteArrayList<>(builder.trackers.values());
        watchConditions(new LinkedHashMap<>(builder.conditions));
    }

    /**
     * @param id the instance's id, used in messages, logs and metric tags, e.g. {@code "orders-v2"}
     * @return a builder for a lifecycle of that instance
     * @throws NullPointerException     when {@code id} is null
     * @throws IllegalArgumentException when {@code id} is blank
     */
    public static Builder newBuilder(String id) {
        return new Builder(requireName(id, "id"));
    }

    @Override
    public final String id() {
        return name;
    }

    @Override
    public final LifecycleState state() {
        return state;
    }

    /**
     * {@inheritDoc}
     *
     * <p>Also {@code false} while any readiness check returns {@code false} or throws (the exception is logged).
     * The checks are called on the calling thread, only when the state is READY.
     */
    @Override
    public final boolean isReady() {
        if (state != LifecycleState.READY) {
            return false;
        }
        for (int index = 0; index < readinessChecks.size(); index++) {
            if (!passes(index)) {
                return false;
            }
        }
        return true;
    }

    private boolean passes(int index) {
        try {
            return readinessChecks.get(index).getAsBoolean();
        } catch (RuntimeException e) {
            LOG.warn("readiness check '{}' of instance '{}' threw; reporting not ready",
                    readinessCheckNames.get(index), name, e);
            return false;
        }
    }

    /**
     * {@inheritDoc}
     *
     * <p>When the instance fails or stops before it is ready, the stage completes with an
     * {@link InstanceFailedException} (whose cause is the failure, if any). The returned stage cannot be
     * completed by the caller.
     */
    @Override
    public final CompletionStage<Void> whenReady() {
        return readyView;
    }

    /**
     * {@inheritDoc}
     *
     * <p>Completes exceptionally, with an {@link InstanceFailedException} caused by the failure, when the state
     * becomes FAILED. The returned stage cannot be completed by the caller.
     */
    @Override
    public final CompletionStage<Void> failure() {
        return failureView;
    }

    /**
     * Says that the application can take work: STARTING moves to READY. A no-op when already READY, and when the
     * instance was told to stop accepting before it became ready (DRAINING, DRAINED): it stays out of service,
     * and {@link #resumeAccepting()} may later bring it back.
     *
     * @throws IllegalStateException when readiness is composed from conditions (registered with
     *                               {@link Builder#readyWhen(String, CompletionStage)}), or when the instance is
     *                               STOPPED or FAILED (the message names both states)
     */
    public final void markReady() {
        if (!conditionNames.isEmpty()) {
            throw new IllegalStateException("readiness of instance '" + name
                    + "' is composed from the conditions " + conditionNames + "; markReady() must not be called");
        }
        reachReadiness(true);
    }

    private void reachReadiness(boolean strict) {
        boolean enteredReady = false;
        synchronized (lock) {
            LifecycleState current = state;
            if (current.isTerminal()) {
                if (strict) {
                    throw illegal(current, LifecycleState.READY);
                }
                LOG.debug("instance '{}' reached readiness while {}; ignored", name, current);
                return;
            }
            readinessReached = true;
            if (current == LifecycleState.STARTING) {
                enter(current, LifecycleState.READY);
                enteredReady = true;
            }
        }
        if (enteredReady) {
            ready.complete(null);
        }
        notifyListeners();
    }

    /**
     * {@inheritDoc}
     *
     * <p>Runs {@link #onStopAccepting()} once per retirement, after DRAINING is visible and the listeners were
     * told; the returned stage completes with the hook's.
     */
    @Override
    public final CompletionStage<Void> stopAccepting() {
        CompletableFuture<Void> stop;
        synchronized (lock) {
            LifecycleState current = state;
            if (current.isTerminal()) {
                return CompletableFuture.failedStage(illegal(current, LifecycleState.DRAINING));
            }
            if (current == LifecycleState.DRAINING || current == LifecycleState.DRAINED) {
                return currentStop == null ? DONE : currentStop.minimalCompletionStage();
            }
            stop = beginStop(current);
        }
        notifyListeners();
        runStopHook(stop);
        return stop.minimalCompletionStage();
    }

    /** Must hold {@link #lock}; {@code current} is STARTING or READY. */
    private CompletableFuture<Void> beginStop(LifecycleState current) {
        enter(current, LifecycleState.DRAINING);
        currentStop = new CompletableFuture<>();
        return currentStop;
    }

    private void runStopHook(CompletableFuture<Void> stop) {
        hook("onStopAccepting", this::onStopAccepting).whenComplete((ignored, error) -> {
            if (error != null) {
                LOG.warn("instance '{}': stop-accepting failed", name, error);
                stop.completeExceptionally(error);
            } else {
                stop.complete(null);
            }
        });
    }

    /**
     * {@inheritDoc}
     *
     * <p>Reopens every tracker before READY becomes visible. A drain stage that had not completed completes
     * exceptionally with a {@link CancellationException}; the next {@link #drain()} returns a new stage.
     *
     * @throws IllegalStateException also when the instance was told to stop accepting before it ever reached
     *                               readiness (it cannot be READY until the application says so)
     */
    /**
     * {@inheritDoc}
     *
     * <p>Runs {@link #onResumeAccepting()} after READY is visible, and also when the instance was READY already,
     * so that an adapter whose intake opens only when a router attaches it (a queue consumer subscribes) opens it
     * here: resuming is "make sure the intake is open", and idempotent.
     */
    @Override
    public final CompletionStage<Void> resumeAccepting() {
        DrainRun abandoned;
        synchronized (lock) {
            LifecycleState current = state;
            if (current == LifecycleState.READY) {
                return runResumeHook();
            }
            if (current == LifecycleState.STARTING) {
                return CompletableFuture.failedStage(new IllegalStateException("cannot resume accepting on instance '"
                        + name + "': it is STARTING, not DRAINING or DRAINED (markReady() moves it to READY)"));
            }
            if (!current.canTransitionTo(LifecycleState.READY)) {
                return CompletableFuture.failedStage(illegal(current, LifecycleState.READY));
            }
            if (!readinessReached) {
                return CompletableFuture.failedStage(new IllegalStateException("cannot move instance '" + name
                        + "' from " + current + " to READY: it was told to stop accepting before it was ever ready"));
            }
            trackers.forEach(InFlightTracker::reopen);
            abandoned = pendingDrain(current);
            currentDrain = null;
            currentStop = null;
            enter(current, LifecycleState.READY);
        }
        ready.complete(null);
        if (abandoned != null) {
            abandoned.future.completeExceptionally(new CancellationException(
                    "drain of instance '" + name + "' abandoned: resumeAccepting() reopened the intake"));
        }
        notifyListeners();
        return runResumeHook();
    }

    private CompletionStage<Void> runResumeHook() {
        CompletableFuture<Void> resumed = new CompletableFuture<>();
        hook("onResumeAccepting", this::onResumeAccepting).whenComplete((ignored, error) -> {
            if (error == null) {
                resumed.complete(null);
                return;
            }
            Throwable cause = unwrap(error);
            LOG.warn("instance '{}': could not reopen its intake; it is FAILED", name, cause);
            failWith(cause, false);
            resumed.completeExceptionally(cause);
        });
        return resumed.minimalCompletionStage();
    }

    /**
     * {@inheritDoc}
     *
     * <p>Closes every tracker of this instance and completes when all of them are empty; a tracker created later
     * with {@link #tracker(String)} is created closed. The stage completes exceptionally when the instance fails
     * or stops first, or when {@link #resumeAccepting()} abandons the drain. The returned stage cannot be
     * completed by the caller.
     */
    /**
     * {@inheritDoc}
     *
     * <p>Closes every tracker of this instance; a tracker created later with {@link #tracker(String)} is created
     * closed. When the instance was not yet told to stop accepting, this does it first (with
     * {@link #onStopAccepting()}). Then {@link #onDrain(CompletionStage)} is given the stage that completes when
     * every tracker is empty, and the drain completes when the stage the hook returns does, and the stop-accepting
     * hook has finished. The returned stage cannot be completed by the caller.
     */
    @Override
    public final CompletionStage<Void> drain() {
        DrainRun run;
        CompletableFuture<Void> newStop = null;
        CompletableFuture<Void> stop;
        List<CompletableFuture<Void>> drains = new ArrayList<>();
        synchronized (lock) {
            LifecycleState current = state;
            if (current.isTerminal()) {
                return CompletableFuture.failedStage(illegal(current, LifecycleState.DRAINED));
            }
            if (currentDrain != null) {
                return currentDrain.view;
            }
            if (current == LifecycleState.STARTING || current == LifecycleState.READY) {
                newStop = beginStop(current);
            }
            stop = currentStop;
            for (InFlightTracker tracker : trackers) {
                drains.add(tracker.close().toCompletableFuture());
            }
            run = new DrainRun();
            currentDrain = run;
        }
        notifyListeners();
        if (newStop != null) {
            runStopHook(newStop);
        }
        CompletionStage<Void> intake = CompletableFuture.allOf(drains.toArray(new CompletableFuture<?>[0]));
        CompletableFuture<Void> adapter = hook("onDrain", () -> onDrain(intake)).toCompletableFuture();
        // A failed stop-accepting is reported by its own stage; the drain only waits for it to be over.
        CompletableFuture<Void> stopOver = stop == null ? CompletableFuture.completedFuture(null)
                : stop.handle((ignored, error) -> null);
        CompletableFuture.allOf(adapter, stopOver).whenComplete((ignored, error) -> {
            if (error != null) {
                drainFailed(run, unwrap(error));
            } else {
                drained(run);
            }
        });
        return run.view;
    }

    private void drainFailed(DrainRun run, Throwable cause) {
        synchronized (lock) {
            if (currentDrain != run) {
                return;
            }
        }
        LOG.warn("instance '{}': drain failed", name, cause);
        run.future.completeExceptionally(cause);
    }

    /**
     * Must hold {@link #lock}. The drain a state change abandons: none once DRAINED, where the drain has completed
     * (or its completion, made just after the change to DRAINED, is on its way and must not be overtaken).
     */
    private DrainRun pendingDrain(LifecycleState current) {
        return current == LifecycleState.DRAINING ? currentDrain : null;
    }

    private void drained(DrainRun run) {
        synchronized (lock) {
            if (currentDrain != run || state != LifecycleState.DRAINING) {
                return;
            }
            enter(LifecycleState.DRAINING, LifecycleState.DRAINED);
        }
        notifyListeners();
        run.future.complete(null);
    }

    /**
     * Stops the instance: any live state moves to STOPPED, every tracker is closed (nothing is admitted after),
     * and stages still waiting ({@link #whenReady()}, {@link #drain()}) complete exceptionally. Work still in
     * flight is not waited for: call {@link #drain()} first for that. A no-op when already STOPPED.
     *
     * @throws IllegalStateException when the instance is FAILED (the message names both states)
     */
    public final void stop() {
        DrainRun abandoned;
        synchronized (lock) {
            LifecycleState current = state;
            if (current == LifecycleState.STOPPED) {
                return;
            }
            if (!current.canTransitionTo(LifecycleState.STOPPED)) {
                throw illegal(current, LifecycleState.STOPPED);
            }
            trackers.forEach(InFlightTracker::close);
            abandoned = pendingDrain(current);
            enter(current, LifecycleState.STOPPED);
        }
        ready.completeExceptionally(new InstanceFailedException(name, "stopped before it was ready", null));
        if (abandoned != null) {
            abandoned.future.completeExceptionally(
                    new InstanceFailedException(name, "stopped before its drain completed", null));
        }
        notifyListeners();
    }

    /**
     * Marks the instance FAILED with {@code cause}: readiness goes down for good, and stages still waiting
     * ({@link #whenReady()}, {@link #drain()}) complete with an {@link InstanceFailedException} caused by it.
     * Trackers are left as they are: work in flight may finish, and the orchestrator decides what to do with the
     * instance. A no-op when already FAILED (the first cause is kept).
     *
     * @param cause why the instance failed
     * @throws NullPointerException  when {@code cause} is null
     * @throws IllegalStateException when the instance is STOPPED (the message names both states)
     */
    public final void fail(Throwable cause) {
        Objects.requireNonNull(cause, "cause must not be null");
        failWith(cause, true);
    }

    private void failWith(Throwable cause, boolean strict) {
        DrainRun abandoned;
        synchronized (lock) {
            LifecycleState current = state;
            if (current == LifecycleState.FAILED) {
                return;
            }
            if (!current.canTransitionTo(LifecycleState.FAILED)) {
                if (strict) {
                    throw illegal(current, LifecycleState.FAILED);
                }
                LOG.debug("instance '{}' is {}; failure ignored", name, current, cause);
                return;
            }
            failureCause = cause;
            abandoned = pendingDrain(current);
            enter(current, LifecycleState.FAILED);
        }
        ready.completeExceptionally(new InstanceFailedException(name, "failed before it was ready", cause));
        failure.completeExceptionally(cause instanceof InstanceFailedException ? cause
                : new InstanceFailedException(name, "failed: " + cause, cause));
        if (abandoned != null) {
            abandoned.future.completeExceptionally(
                    new InstanceFailedException(name, "failed before its drain completed", cause));
        }
        notifyListeners();
    }

    /** @return why the instance failed; empty unless the state is FAILED */
    public final Optional<Throwable> failureCause() {
        return Optional.ofNullable(failureCause);
    }

    /**
     * Creates a tracker and registers it as an intake of this instance, e.g. for background tasks or outbound
     * calls the application declares. When the intakes are closed (a drain was asked for, or the instance
     * stopped) the tracker is created closed.
     *
     * @param trackerName what the tracker counts, unique within this instance (a metric tag)
     * @return the new tracker
     * @throws NullPointerException     when {@code trackerName} is null
     * @throws IllegalArgumentException when {@code trackerName} is blank or already registered
     */
    public final InFlightTracker tracker(String trackerName) {
        InFlightTracker tracker = InFlightTracker.create(requireName(trackerName, "trackerName"));
        synchronized (lock) {
            for (InFlightTracker existing : trackers) {
                if (existing.name().equals(trackerName)) {
                    throw new IllegalArgumentException("trackerName must be unique, but '" + trackerName
                            + "' is already registered on instance '" + name + "'");
                }
            }
            if (currentDrain != null || state == LifecycleState.STOPPED) {
                tracker.close();
            }
            trackers.add(tracker);
            for (Consumer<InFlightTracker> hook : trackerHooks) {
                try {
                    hook.accept(tracker);
                } catch (RuntimeException e) {
                    LOG.warn("could not register the metrics of tracker '{}' of instance '{}'", trackerName, name, e);
                }
            }
        }
        return tracker;
    }

    /** @return the trackers of this instance, in registration order; an unmodifiable snapshot */
    public final List<InFlightTracker> trackers() {
        return Collections.unmodifiableList(new ArrayList<>(trackers));
    }

    /**
     * Subscribes {@code hook} to trackers added from now on and returns those already registered, atomically, so
     * that no tracker is missed or seen twice. The hook runs under the lifecycle's lock and must be short.
     */
    List<InFlightTracker> watchTrackers(Consumer<InFlightTracker> hook) {
        synchronized (lock) {
            trackerHooks.add(hook);
            return List.copyOf(trackers);
        }
    }

    /** Unsubscribes a hook given to {@link #watchTrackers(Consumer)}. */
    void unwatchTrackers(Consumer<InFlightTracker> hook) {
        synchronized (lock) {
            trackerHooks.remove(hook);
        }
    }

    /**
     * {@inheritDoc} Reads each tracker without locking; exact when nothing is racing. An adapter that counts work
     * elsewhere too (requests on connections that outlive the intake, a remote process's count) adds it.
     */
    @Override
    public long inFlight() {
        long total = 0;
        for (InFlightTracker tracker : trackers) {
            total += tracker.inFlight();
        }
        return total;
    }

    /**
     * {@inheritDoc}
     *
     * @throws NullPointerException when {@code listener} is null
     */
    @Override
    public final void addListener(LifecycleListener listener) {
        listeners.add(Objects.requireNonNull(listener, "listener must not be null"));
    }

    /**
     * {@inheritDoc}
     *
     * @throws NullPointerException when {@code listener} is null
     */
    @Override
    public final void removeListener(LifecycleListener listener) {
        listeners.remove(Objects.requireNonNull(listener, "listener must not be null"));
    }

    /**
     * {@inheritDoc}
     *
     * <p>Runs {@link #onForceStop()}; the state does not change (the destroy that follows stops the instance).
     */
    @Override
    public final CompletionStage<Long> forceStop() {
        LOG.warn("instance '{}': forced to stop with {} unit(s) of work in flight", name, inFlight());
        return hook("onForceStop", this::onForceStop);
    }

    /**
     * {@inheritDoc}
     *
     * <p>Runs {@link #onDestroy()} once; when it is over, the lifecycle {@linkplain #stop() stops} (unless it
     * FAILED), whatever the hook's outcome.
     */
    @Override
    public final CompletionStage<Void> destroy() {
        CompletableFuture<Void> run;
        synchronized (lock) {
            if (destroyed != null) {
                return destroyed.minimalCompletionStage();
            }
            destroyed = new CompletableFuture<>();
            run = destroyed;
        }
        hook("onDestroy", this::onDestroy).whenComplete((ignored, error) -> {
            stopUnlessFailed();
            if (error != null) {
                run.completeExceptionally(unwrap(error));
            } else {
                run.complete(null);
            }
        });
        return run.minimalCompletionStage();
    }

    private void stopUnlessFailed() {
        try {
            if (state != LifecycleState.FAILED) {
                stop();
            }
        } catch (IllegalStateException e) {
            LOG.debug("instance '{}' failed while it was destroyed", name, e);
        }
    }

    /**
     * Hook of {@link #stopAccepting()} (and of a {@link #drain()} that comes first): move the adapter's clients
     * away, e.g. {@code Connection: close} and idle connections closed, or a subscription cancelled and its
     * unstarted deliveries returned. Called once per retirement, after DRAINING is visible, outside any lock.
     * Must not block: return a stage for work that takes time. The default does nothing.
     *
     * @return completes when the instruction is carried out
     */
    protected CompletionStage<Void> onStopAccepting() {
        return DONE;
    }

    /**
     * Hook of {@link #resumeAccepting()}: open the adapter's own intake (subscribe, again or for the first time;
     * stop sweeping connections). Called after READY is visible and the trackers reopened, and on every
     * {@code resumeAccepting()} of a READY instance too: it must be idempotent. When the returned stage fails, the
     * instance is FAILED. Must not block. The default does nothing.
     *
     * @return completes when the adapter accepts again
     */
    protected CompletionStage<Void> onResumeAccepting() {
        return DONE;
    }

    /**
     * Hook of {@link #drain()}: called once per drain, after the trackers closed, with the stage that completes
     * when they are empty. Return a stage that completes when the adapter has drained too (e.g. when, besides,
     * every connection has closed). Must not block. The default returns {@code intakeDrained}.
     *
     * @param intakeDrained completes when every tracker of the instance is empty
     * @return completes when the instance has drained
     */
    protected CompletionStage<Void> onDrain(CompletionStage<Void> intakeDrained) {
        return intakeDrained;
    }

    /**
     * Hook of {@link #forceStop()}: abandon the work still running (cut connections, interrupt handlers, return
     * jobs to their queue). Must not block. The default abandons nothing and reports {@link #inFlight()}.
     *
     * @return completes with the number of units of work abandoned
     */
    protected CompletionStage<Long> onForceStop() {
        return CompletableFuture.completedStage(inFlight());
    }

    /**
     * Hook of {@link #destroy()}: release the adapter's resources (stop the server, close the connection). Called
     * once; must not block (run blocking work on a thread of its own). The default does nothing.
     *
     * @return completes when the resources are released
     */
    protected CompletionStage<Void> onDestroy() {
        return DONE;
    }

    /** Calls a hook; a hook that throws or returns null gives a failed stage instead. */
    private <T> CompletionStage<T> hook(String hookName, Supplier<CompletionStage<T>> hook) {
        try {
            CompletionStage<T> stage = hook.get();
            return stage != null ? stage : CompletableFuture.failedStage(
                    new IllegalStateException(hookName + " of instance '" + name + "' returned null"));
        } catch (RuntimeException e) {
            return CompletableFuture.failedStage(e);
        }
    }

    private static Throwable unwrap(Throwable error) {
        return error instanceof CompletionException && error.getCause() != null ? error.getCause() : error;
    }

    /** Must hold {@link #lock}. */
    private void enter(LifecycleState from, LifecycleState to) {
        if (!from.canTransitionTo(to)) {
            throw illegal(from, to);
        }
        state = to;
        pending.add(new Transition(from, to, MDC.getCopyOfContextMap()));
        LOG.debug("instance '{}': {} -> {}", name, from, to);
    }

    private IllegalStateException illegal(LifecycleState from, LifecycleState to) {
        return new IllegalStateException(
                "illegal transition of instance '" + name + "' from " + from + " to " + to);
    }

    /**
     * Tells the listeners of every pending transition, in order. A listener that changes the state leaves its
     * transition in the queue for the loop that is calling it, so that every listener sees the same order.
     */
    private void notifyListeners() {
        if (notifying.isHeldByCurrentThread()) {
            return;
        }
        notifying.lock();
        try {
            Transition next;
            while ((next = nextPending()) != null) {
                for (LifecycleListener listener : listeners) {
                    tell(listener, next);
                }
            }
        } finally {
            notifying.unlock();
        }
    }

    private Transition nextPending() {
        synchronized (lock) {
            return pending.poll();
        }
    }

    private void tell(LifecycleListener listener, Transition transition) {
        Map<String, String> telling = MDC.getCopyOfContextMap();
        setMdc(transition.mdc);
        try {
            listener.onStateChange(transition.from, transition.to);
        } catch (Exception e) {
            LOG.warn("listener {} of instance '{}' threw on {} -> {}; ignored",
                    listener, name, transition.from, transition.to, e);
        } finally {
            setMdc(telling);
        }
    }

    private static void setMdc(Map<String, String> context) {
        if (context == null) {
            MDC.clear();
        } else {
            MDC.setContextMap(context);
        }
    }

    /** Subscribes to the readiness conditions; called once the lifecycle is fully built. */
    private void watchConditions(Map<String, CompletionStage<?>> conditions) {
        if (conditions.isEmpty()) {
            return;
        }
        AtomicInteger remaining = new AtomicInteger(conditions.size());
        conditions.forEach((conditionName, condition) -> condition.whenComplete((ignored, error) -> {
            if (error != null) {
                Throwable cause = unwrap(error);
                LOG.warn("readiness condition '{}' of instance '{}' failed", conditionName, name, cause);
                failWith(cause, false);
            } else if (remaining.decrementAndGet() == 0) {
                reachReadiness(false);
            }
        }));
    }

    @Override
    public String toString() {
        return getClass().getSimpleName() + "[" + name + ", " + state + ", inFlight=" + inFlight() + "]";
    }

    private static String requireName(String value, String argument) {
        Objects.requireNonNull(value, argument + " must not be null");
        if (value.isBlank()) {
            throw new IllegalArgumentException(argument + " must not be blank, but was '" + value + "'");
        }
        return value;
    }

    /** A transition, and the MDC of the thread that made it: listeners see that MDC, whichever thread tells them. */
    private static final class Transition {
        final LifecycleState from;
        final LifecycleState to;
        /** Null when that thread's MDC was empty. */
        final Map<String, String> mdc;

        Transition(LifecycleState from, LifecycleState to, Map<String, String> mdc) {
            this.from = from;
            this.to = to;
            this.mdc = mdc;
        }
    }

    /** One close of the intakes and its drain-complete signal. */
    private static final class DrainRun {
        final CompletableFuture<Void> future = new CompletableFuture<>();
        final CompletionStage<Void> view = future.minimalCompletionStage();
    }

    /**
     * Builds an {@link InstanceLifecycle}. Each value is validated as it is set; {@link #build()} copies, so
     * the built lifecycle does not change when the builder does. Not thread-safe: use one builder per thread.
     */
    public static final class Builder {
        private final String name;
        private final Map<String, CompletionStage<?>> conditions = new LinkedHashMap<>();
        private final Map<String, BooleanSupplier> readinessChecks = new LinkedHashMap<>();
        private final Map<String, InFlightTracker> trackers = new LinkedHashMap<>();
        private final List<LifecycleListener> listeners = new ArrayList<>();

        private Builder(String name) {
            this.name = name;
        }

        /**
         * Composes readiness from {@code condition}: the instance becomes READY once every registered condition
         * has completed, and FAILED with the condition's cause as soon as one completes exceptionally. With at
         * least one condition registered, {@link InstanceLifecycle#markReady()} must not be called.
         *
         * @param conditionName what the condition waits for, unique within this builder, e.g. {@code "schema"}
         * @param condition     completes when that part of the application is ready
         * @return this builder
         * @throws NullPointerException     when an argument is null
         * @throws IllegalArgumentException when {@code conditionName} is blank or already registered
         */
        public Builder readyWhen(String conditionName, CompletionStage<?> condition) {
            requireUnique(conditions, requireName(conditionName, "conditionName"), "conditionName");
            conditions.put(conditionName, Objects.requireNonNull(condition, "condition must not be null"));
            return this;
        }

        /**
         * Adds a pull-based readiness check: {@link InstanceLifecycle#isReady()} is {@code false} while it
         * returns {@code false} (or throws). It does not change the state; it is meant for readiness probes,
         * e.g. a database connection that can drop and come back. It must be fast and thread-safe.
         *
         * @param checkName what the check verifies, unique within this builder
         * @param check     returns whether that part of the application can take work now
         * @return this builder
         * @throws NullPointerException     when an argument is null
         * @throws IllegalArgumentException when {@code checkName} is blank or already registered
         */
        public Builder readinessCheck(String checkName, BooleanSupplier check) {
            requireUnique(readinessChecks, requireName(checkName, "checkName"), "checkName");
            readinessChecks.put(checkName, Objects.requireNonNull(check, "check must not be null"));
            return this;
        }

        /**
         * Registers an intake of the instance: closed by drain, reopened by re-admission, summed by
         * {@link InstanceLifecycle#inFlight()}.
         *
         * @param tracker the intake's tracker; its name must be unique within this builder
         * @return this builder
         * @throws NullPointerException     when {@code tracker} is null
         * @throws IllegalArgumentException when a tracker of the same name is already registered
         */
        public Builder tracker(InFlightTracker tracker) {
            Objects.requireNonNull(tracker, "tracker must not be null");
            requireUnique(trackers, tracker.name(), "tracker name");
            trackers.put(tracker.name(), tracker);
            return this;
        }

        /**
         * Adds a listener before the lifecycle exists, so that it is told of every change, including the READY
         * caused by conditions that had already completed.
         *
         * @param listener told of every state change
         * @return this builder
         * @throws NullPointerException when {@code listener} is null
         */
        public Builder listener(LifecycleListener listener) {
            listeners.add(Objects.requireNonNull(listener, "listener must not be null"));
            return this;
        }

        /**
         * @return a new lifecycle in STARTING (or already READY or FAILED when every condition had completed)
         */
        public InstanceLifecycle build() {
            return new InstanceLifecycle(this);
        }

        private static void requireUnique(Map<String, ?> registered, String key, String argument) {
            if (registered.containsKey(key)) {
                throw new IllegalArgumentException(argument + " must be unique, but '" + key
                        + "' is already registered");
            }
        }
    }
}
