package dev.handoff.spring.boot;

import java.util.Map;
import java.util.concurrent.CompletionStage;

/**
 * A part of a Spring Boot application that takes work from outside (the web server, a listener container, a
 * scheduler, work the application declares) and joins the instance's one drain: told to stop accepting in
 * {@link #order()}, drained together within the one budget, and asked at the deadline what it abandoned, by name.
 * Register one as a bean, or with {@link SpringBootInstance#register(DrainParticipant)}.
 *
 * <p>Implementations are thread-safe; no method may block (return a stage for work that takes time).
 */
public interface DrainParticipant {

    /** @return what this participant is, in logs, e.g. {@code "web"} or {@code "rabbit"} */
    String name();

    /** @return the order in which participants are told to stop accepting, lowest first; 0 by default */
    default int order() {
        return 0;
    }

    /**
     * Step 4: stop taking new work (stop consuming, tell clients to go elsewhere); work already started goes on.
     *
     * @return completes when the instruction is carried out
     */
    CompletionStage<Void> stopAccepting();

    /** Re-admission: accept again after {@link #stopAccepting()}. Must be idempotent. */
    default void resumeAccepting() {
    }

    /**
     * Steps 5 and 6: completes when the work this participant runs beyond the instance's trackers has finished
     * (for example when a listener container has stopped).
     *
     * @return the drain-complete stage of this participant
     */
    CompletionStage<Void> drain();

    /** @return the work running now, by name (an endpoint, a listener, a task) and count; for the deadline's list */
    default Map<String, Long> inFlightByName() {
        return Map.of();
    }

    /** The drain deadline passed: abandon what still runs (cut connections, requeue messages). */
    default void forceStop() {
    }
}
