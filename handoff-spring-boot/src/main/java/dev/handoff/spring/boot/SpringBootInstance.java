package dev.handoff.spring.boot;

import dev.handoff.core.InFlightTracker;
import dev.handoff.core.InstanceLifecycle;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.stream.Collectors;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A Spring Boot application as one handoff instance: its web server, its listener containers, its scheduled tasks
 * and the work it declares are {@linkplain DrainParticipant participants} of one drain. The auto-configuration
 * creates it (one per application context), binds it to Boot's availability and to the SIGTERM sequence, and
 * attaches it to the parent when the application runs as a child JVM; inject it to declare work of your own:
 *
 * <pre>{@code
 * InFlightTracker exports = instance.declareWork("exports");
 * int permit = exports.tryAdmit();
 * if (permit == InFlightTracker.REFUSED) { return; }    // draining: leave it to the next instance
 * try { export(); } finally { exports.release(permit); }
 * }</pre>
 *
 * <p>Stop-accepting tells the participants in their {@link DrainParticipant#order()}; the drain completes when
 * every tracker of the instance is empty and every participant has drained; at a forced stop (the drain deadline)
 * the work still running is logged by name and count, then abandoned.
 *
 * <p>Thread-safe.
 */
public final class SpringBootInstance extends InstanceLifecycle {

    private static final Logger LOG = LoggerFactory.getLogger(SpringBootInstance.class);

    private final List<DrainParticipant> participants = new CopyOnWriteArrayList<>();
    private final List<InFlightTracker> declared = new CopyOnWriteArrayList<>();
    private volatile Runnable closer = () -> { };
    private volatile Map<String, Long> lastAbandoned = Map.of();

    /**
     * @param id the instance's id
     * @throws NullPointerException     when {@code id} is null
     * @throws IllegalArgumentException when {@code id} is blank
     */
    public SpringBootInstance(String id) {
        super(InstanceLifecycle.newBuilder(id));
    }

    /**
     * Adds a participant to the drain.
     *
     * @param participant the participant
     * @throws NullPointerException when {@code participant} is null
     */
    public void register(DrainParticipant participant) {
        participants.add(Objects.requireNonNull(participant, "participant must not be null"));
    }

    /** @return the participants, in the order they are told to stop accepting */
    public List<DrainParticipant> participants() {
        List<DrainParticipant> ordered = new ArrayList<>(participants);
        ordered.sort(Comparator.comparingInt(DrainParticipant::order));
        return ordered;
    }

    /**
     * Declares work of the application's own as part of the drain: a tracker that the drain closes and waits for,
     * listed by name at the deadline.
     *
     * @param name what the work is, unique within the instance, e.g. {@code "exports"}
     * @return the work's tracker
     * @throws IllegalArgumentException when {@code name} is blank or already used
     */
    public InFlightTracker declareWork(String name) {
        InFlightTracker tracker = tracker(name);
        declared.add(tracker);
        return tracker;
    }

    /** Sets what {@link #destroy()} runs, on a thread of its own: closing the application context. */
    void closeWith(Runnable contextCloser) {
        this.closer = Objects.requireNonNull(contextCloser, "contextCloser must not be null");
    }

    /**
     * @return the work running now, by name and count (every participant's and the declared work); what a forced
     *     stop would abandon
     */
    public Map<String, Long> inFlightByName() {
        Map<String, Long> running = new LinkedHashMap<>();
        for (DrainParticipant participant : participants()) {
            try {
                participant.inFlightByName().forEach((name, count) -> running.merge(name, count, Long::sum));
            } catch (RuntimeException e) {
                LOG.warn("participant '{}' could not list its work", participant.name(), e);
            }
        }
        for (InFlightTracker tracker : declared) {
            if (tracker.inFlight() > 0) {
                running.put("work '" + tracker.name() + "'", tracker.inFlight());
            }
        }
        return running;
    }

    /** @return what the last forced stop abandoned, by name and count; empty when nothing was forced */
    public Map<String, Long> abandoned() {
        return lastAbandoned;
    }

    @Override
    protected CompletionStage<Void> onStopAccepting() {
        List<CompletableFuture<Void>> stops = new ArrayList<>();
        for (DrainParticipant participant : participants()) {
            LOG.debug("instance '{}': {} stops accepting", id(), participant.name());
            stops.add(call(participant, "stop accepting", participant::stopAccepting));
        }
        return CompletableFuture.allOf(stops.toArray(CompletableFuture[]::new));
    }

    @Override
    protected CompletionStage<Void> onResumeAccepting() {
        for (DrainParticipant participant : participants()) {
            participant.resumeAccepting();
        }
        return CompletableFuture.completedFuture(null);
    }

    @Override
    protected CompletionStage<Void> onDrain(CompletionStage<Void> intakeDrained) {
        List<CompletableFuture<Void>> drains = new ArrayList<>();
        drains.add(intakeDrained.toCompletableFuture());
        for (DrainParticipant participant : participants()) {
            drains.add(call(participant, "drain", participant::drain));
        }
        return CompletableFuture.allOf(drains.toArray(CompletableFuture[]::new));
    }

    @Override
    protected CompletionStage<Long> onForceStop() {
        Map<String, Long> running = inFlightByName();
        lastAbandoned = Map.copyOf(running);
        long total = Math.max(inFlight(), running.values().stream().mapToLong(Long::longValue).sum());
        if (!running.isEmpty()) {
            LOG.warn("instance '{}': drain deadline passed; abandoning {}", id(), running.entrySet().stream()
                    .map(entry -> entry.getKey() + " x" + entry.getValue()).collect(Collectors.joining(", ")));
        }
        for (DrainParticipant participant : participants()) {
            try {
                participant.forceStop();
            } catch (RuntimeException e) {
                LOG.warn("participant '{}' failed to force its stop", participant.name(), e);
            }
        }
        return CompletableFuture.completedFuture(total);
    }

    @Override
    protected CompletionStage<Void> onDestroy() {
        CompletableFuture<Void> closed = new CompletableFuture<>();
        Thread thread = new Thread(() -> {
            try {
                closer.run();
                closed.complete(null);
            } catch (RuntimeException e) {
                closed.completeExceptionally(e);
            }
        }, "handoff-close-" + id());
        thread.setDaemon(true);
        thread.start();
        return closed;
    }

    private static CompletableFuture<Void> call(DrainParticipant participant, String what,
                                                java.util.function.Supplier<CompletionStage<Void>> step) {
        try {
            CompletionStage<Void> stage = step.get();
            return stage == null ? CompletableFuture.failedFuture(new IllegalStateException(
                    "participant '" + participant.name() + "' returned null from " + what))
                    : stage.toCompletableFuture();
        } catch (RuntimeException e) {
            return CompletableFuture.failedFuture(e);
        }
    }
}
