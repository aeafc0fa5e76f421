package dev.handoff.api.spi;

import dev.handoff.api.Lifecycle;
import java.time.Duration;
import java.util.concurrent.CompletionStage;

/**
 * The traffic switch, steps 3 and 4: attaches instances to the workload and detaches them. Implementations: an
 * embedded front proxy, an HAProxy backend, a shared port, a broker subscription, a platform. Thread-safe.
 */
public interface Router {
    /**
     * Step 3.
     *
     * @param instance the instance to route work to; it is ready
     * @return completes when work can reach the instance through this router
     */
    CompletionStage<Void> attach(Lifecycle instance);

    /**
     * Step 4. Idempotent; detaching an instance that is not attached completes at once.
     *
     * @param instance the instance to take out of the rotation
     * @return completes when no new work will be routed to the instance. A router that cannot know completes
     *     when it has asked, and reports its delay in {@link #propagationDelay()}
     */
    CompletionStage<Void> detach(Lifecycle instance);

    /**
     * @return how long work may still reach an instance after {@link #detach} completed; the orchestrator
     *     waits this long (on its clock) before closing the instance's intake. Zero for routers that confirm.
     */
    default Duration propagationDelay() {
        return Duration.ZERO;
    }
}
