package dev.handoff.test.sim;

import dev.handoff.api.Lifecycle;
import dev.handoff.api.spi.Router;
import dev.handoff.core.Scheduler;
import dev.handoff.core.internal.Durations;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collection;
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
import java.util.concurrent.CopyOnWriteArrayList;

/**
 * A router on a {@link VirtualClock}: attaches and detaches instances after an optional confirmation delay, routes
 * simulated work to them round-robin ({@link #route(Duration)}, or steady {@link #startTraffic traffic}), and records
 * the attached set over time.
 *
 * <p>With a propagation delay the router models one that cannot confirm a detach (a platform's endpoint removal):
 * {@link #detach} completes after the confirmation delay, but work still reaches the instance for the propagation
 * delay after that. Work routed to an instance that refuses it is recorded in {@link #refusals()}: an instance
 * must serve what reaches it until its intake closes.
 *
 * <p>Faults: {@link #hangAttach(String)} and {@link #hangDetach(String)} make the router never confirm for one
 * instance.
 *
 * <p>Thread-safe.
 */
public final class SimulatedRouter implements Router {

    /** One change of the attached set. @param at when @param instanceId which @param attached attached or detached */
    public record Change(Instant at, String instanceId, boolean attached) {
    }

    private final VirtualClock clock;
    private final Duration confirmDelay;
    private final Duration propagationDelay;
    private final Map<String, Lifecycle> attached = new LinkedHashMap<>();
    private final Map<String, Lifecycle> lingering = new HashMap<>();
    private final Map<String, Instant> detachedAt = new HashMap<>();
    private final Set<String> hangAttach = new HashSet<>();
    private final Set<String> hangDetach = new HashSet<>();
    private final Map<String, CompletableFuture<Void>> heldHandOvers = new HashMap<>();
    private final List<Change> history = new ArrayList<>();
    private final List<String> refusals = new ArrayList<>();
    private final List<Runnable> observers = new CopyOnWriteArrayList<>();
    private long routed;
    private long unrouted;
    private int cursor;
    private Scheduler.Cancellable traffic;

    /** @param clock the clock; the router confirms at once and has no propagation delay */
    public SimulatedRouter(VirtualClock clock) {
        this(clock, Duration.ZERO, Duration.ZERO);
    }

    /**
     * @param clock            the clock
     * @param confirmDelay     how long attach and detach take to confirm
     * @param propagationDelay how long work still reaches an instance after its detach confirmed (reported by
     *                         {@link #propagationDelay()})
     * @throws NullPointerException     when an argument is null
     * @throws IllegalArgumentException when a delay is negative
     */
    public SimulatedRouter(VirtualClock clock, Duration confirmDelay, Duration propagationDelay) {
        this.clock = Objects.requireNonNull(clock, "clock must not be null");
        this.confirmDelay = Durations.nonNegative("confirmDelay", confirmDelay);
        this.propagationDelay = Durations.nonNegative("propagationDelay", propagationDelay);
    }

    /** @param instanceId attaching this instance will never be confirmed */
    public synchronized void hangAttach(String instanceId) {
        hangAttach.add(Objects.requireNonNull(instanceId, "instanceId must not be null"));
    }

    /** @param instanceId detaching this instance will never be confirmed */
    public synchronized void hangDetach(String instanceId) {
        hangDetach.add(Objects.requireNonNull(instanceId, "instanceId must not be null"));
    }

    /**
     * Models a router that carries work itself (a proxy): the hand-over of this instance ({@link #settled}) waits
     * until {@link #settle}.
     *
     * @param instanceId the instance
     */
    public synchronized void holdSettled(String instanceId) {
        heldHandOvers.putIfAbsent(Objects.requireNonNull(instanceId, "instanceId must not be null"),
                new CompletableFuture<>());
    }

    /**
     * Ends the hand-over {@link #holdSettled} holds.
     *
     * @param instanceId the instance
     * @throws IllegalStateException when its hand-over is not held
     */
    public void settle(String instanceId) {
        CompletableFuture<Void> held;
        synchronized (this) {
            held = heldHandOvers.remove(instanceId);
        }
        if (held == null) {
            throw new IllegalStateException("the hand-over of instance '" + instanceId + "' is not held");
        }
        held.complete(null);
    }

    /** {@inheritDoc} At once, unless {@link #holdSettled} holds it. */
    @Override
    public synchronized CompletionStage<Void> settled(Lifecycle instance) {
        CompletableFuture<Void> held = heldHandOvers.get(Objects.requireNonNull(instance, "instance").id());
        return held == null ? CompletableFuture.completedFuture(null) : held.copy();
    }

    @Override
    public CompletionStage<Void> attach(Lifecycle instance) {
        Objects.requireNonNull(instance, "instance must not be null");
        synchronized (this) {
            if (hangAttach.contains(instance.id())) {
                return new CompletableFuture<>();
            }
        }
        return after(() -> {
            boolean changed;
            synchronized (this) {
                changed = attached.put(instance.id(), instance) == null;
                lingering.remove(instance.id());
                if (changed) {
                    history.add(new Change(clock.now(), instance.id(), true));
                }
            }
            if (changed && instance instanceof SimulatedInstance simulated) {
                simulated.routed(true);
            }
            changed();
        });
    }

    @Override
    public CompletionStage<Void> detach(Lifecycle instance) {
        Objects.requireNonNull(instance, "instance must not be null");
        synchronized (this) {
            if (hangDetach.contains(instance.id())) {
                return new CompletableFuture<>();
            }
        }
        return after(() -> {
            boolean changed;
            synchronized (this) {
                changed = attached.remove(instance.id()) != null;
                if (changed) {
                    history.add(new Change(clock.now(), instance.id(), false));
                    if (!propagationDelay.isZero()) {
                        lingering.put(instance.id(), instance);
                        detachedAt.put(instance.id(), clock.now());
                    }
                }
            }
            if (changed && instance instanceof SimulatedInstance simulated) {
                simulated.routed(false);
            }
            changed();
        });
    }

    /**
     * {@inheritDoc} The ids of those attached now (a restarted orchestrator finds the routes as the dead one left
     * them).
     */
    @Override
    public CompletionStage<Set<String>> adoptAttached(Collection<? extends Lifecycle> instances) {
        Set<String> found = new HashSet<>();
        synchronized (this) {
            for (Lifecycle instance : instances) {
                if (attached.containsKey(instance.id())) {
                    found.add(instance.id());
                }
            }
        }
        return CompletableFuture.completedFuture(found);
    }

    /** {@inheritDoc} Detaches, as {@link #detach} does, every attached instance not in {@code keep}. */
    @Override
    public CompletionStage<Void> detachOthers(Set<String> keep) {
        List<Lifecycle> others = new ArrayList<>();
        synchronized (this) {
            attached.forEach((id, instance) -> {
                if (!keep.contains(id)) {
                    others.add(instance);
                }
            });
        }
        CompletableFuture<?>[] detaches = others.stream().map(this::detach)
                .map(CompletionStage::toCompletableFuture).toArray(CompletableFuture<?>[]::new);
        return CompletableFuture.allOf(detaches);
    }

    private CompletionStage<Void> after(Runnable change) {
        if (confirmDelay.isZero()) {
            change.run();
            return CompletableFuture.completedFuture(null);
        }
        CompletableFuture<Void> confirmed = new CompletableFuture<>();
        clock.schedule(confirmDelay, () -> {
            change.run();
            confirmed.complete(null);
        });
        return confirmed;
    }

    @Override
    public Duration propagationDelay() {
        return propagationDelay;
    }

    /**
     * Routes one unit of work to the next instance that work can reach (attached, or detached less than the
     * propagation delay ago), round-robin.
     *
     * @param work how long the work runs
     * @return the instance it went to; empty when no instance is reachable
     */
    public Optional<String> route(Duration work) {
        Objects.requireNonNull(work, "work must not be null");
        Lifecycle target;
        synchronized (this) {
            List<Lifecycle> reachable = reachable();
            if (reachable.isEmpty()) {
                unrouted++;
                return Optional.empty();
            }
            target = reachable.get(Math.floorMod(cursor++, reachable.size()));
            routed++;
        }
        // A crashed instance refusing work is the fault under test, not a broken promise of the contract.
        if (target instanceof SimulatedInstance simulated && !simulated.submit(work) && !simulated.crashed()) {
            synchronized (this) {
                refusals.add("work routed at " + clock.elapsed() + " to " + simulated.id() + " was refused while it"
                        + " was " + simulated.state());
            }
        }
        return Optional.of(target.id());
    }

    private List<Lifecycle> reachable() {
        List<Lifecycle> reachable = new ArrayList<>(attached.values());
        Instant now = clock.now();
        lingering.entrySet().removeIf(entry -> !detachedAt.get(entry.getKey()).plus(propagationDelay).isAfter(now));
        reachable.addAll(lingering.values());
        return reachable;
    }

    /**
     * Routes one unit of {@code work} every {@code interval} until {@link #stopTraffic()}. While traffic runs the
     * clock is never idle: use {@link VirtualClock#runUntil}, not {@link VirtualClock#runUntilIdle()}.
     *
     * @param interval time between two units
     * @param work     how long each unit runs
     * @throws IllegalArgumentException when {@code interval} is not positive or {@code work} negative
     * @throws IllegalStateException    when traffic already runs
     */
    public synchronized void startTraffic(Duration interval, Duration work) {
        Objects.requireNonNull(interval, "interval must not be null");
        Durations.nonNegative("work", work);
        if (interval.isZero() || interval.isNegative()) {
            throw new IllegalArgumentException("interval must be > 0, but was " + interval);
        }
        if (traffic != null) {
            throw new IllegalStateException("traffic already runs; stopTraffic() first");
        }
        traffic = clock.schedule(interval, new Runnable() {
            @Override
            public void run() {
                route(work);
                synchronized (SimulatedRouter.this) {
                    if (traffic != null) {
                        traffic = clock.schedule(interval, this);
                    }
                }
            }
        });
    }

    /** Stops the traffic started by {@link #startTraffic}; a no-op when none runs. */
    public synchronized void stopTraffic() {
        if (traffic != null) {
            traffic.cancel();
            traffic = null;
        }
    }

    /** @return ids of the attached instances, in the order they were attached */
    public synchronized List<String> attached() {
        return List.copyOf(attached.keySet());
    }

    /**
     * @param instanceId an instance
     * @return whether it is attached now
     */
    public synchronized boolean isAttached(String instanceId) {
        return attached.containsKey(instanceId);
    }

    /** @return every attach and detach, in order */
    public synchronized List<Change> history() {
        return List.copyOf(history);
    }

    /** @return work refused by an instance the router could reach (should be none) */
    public synchronized List<String> refusals() {
        return List.copyOf(refusals);
    }

    /** @return units of work routed to an instance */
    public synchronized long routed() {
        return routed;
    }

    /** @return units of work that found no instance to go to */
    public synchronized long unrouted() {
        return unrouted;
    }

    void addObserver(Runnable observer) {
        observers.add(observer);
    }

    private void changed() {
        for (Runnable observer : observers) {
            observer.run();
        }
    }

    @Override
    public synchronized String toString() {
        return "SimulatedRouter" + attached.keySet();
    }
}
