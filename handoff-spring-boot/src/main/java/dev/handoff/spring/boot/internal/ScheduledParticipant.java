package dev.handoff.spring.boot.internal;

import dev.handoff.core.InFlightTracker;
import dev.handoff.spring.boot.DrainParticipant;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentHashMap;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.core.task.TaskDecorator;

/**
 * {@code @Scheduled} tasks in the drain, as the task decorator of Boot's task scheduler: each run is counted in the
 * instance's {@code scheduled} tracker and named after its task; once the drain closed the tracker, a run that comes
 * due is skipped (the next instance runs the schedule), and the drain waits for the runs in progress. Not API.
 * Thread-safe.
 */
public final class ScheduledParticipant implements DrainParticipant, TaskDecorator {

    private static final Logger LOG = LoggerFactory.getLogger(ScheduledParticipant.class);

    private final InFlightTracker tracker;
    private final Map<Thread, String> running = new ConcurrentHashMap<>();

    /** @param tracker the instance's tracker of scheduled runs */
    public ScheduledParticipant(InFlightTracker tracker) {
        this.tracker = tracker;
    }

    @Override
    public String name() {
        return "scheduled";
    }

    @Override
    public int order() {
        return 20;
    }

    @Override
    public Runnable decorate(Runnable task) {
        String taskName = "scheduled " + task;
        return () -> {
            int permit = tracker.tryAdmit();
            if (permit == InFlightTracker.REFUSED) {
                LOG.debug("draining: {} skipped", taskName);
                return;
            }
            Thread thread = Thread.currentThread();
            running.put(thread, taskName);
            try {
                task.run();
            } finally {
                running.remove(thread);
                tracker.release(permit);
            }
        };
    }

    @Override
    public CompletionStage<Void> stopAccepting() {
        return CompletableFuture.completedFuture(null);
    }

    @Override
    public CompletionStage<Void> drain() {
        return CompletableFuture.completedFuture(null);
    }

    @Override
    public Map<String, Long> inFlightByName() {
        Map<String, Long> byName = new LinkedHashMap<>();
        running.values().forEach(name -> byName.merge(name, 1L, Long::sum));
        return byName;
    }
}
