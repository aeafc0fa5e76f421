package dev.handoff.api.spi;

import dev.handoff.api.Lifecycle;
import java.util.concurrent.CompletionStage;

/**
 * Step 1: creates a new instance that takes no workload until a router attaches it. Implemented by framework
 * integrators (an in-process Jetty server factory, a child JVM launcher); must be thread-safe.
 */
@FunctionalInterface
public interface Launcher {
    /**
     * @param instanceId the id the orchestrator gives the new instance; the returned handle's {@code id()} must
     *                   equal it
     * @return completes with the started instance (ready or not yet ready), or exceptionally when it could not
     *     start; the orchestrator applies the launch deadline and destroys an instance that arrives late
     */
    CompletionStage<Lifecycle> launch(String instanceId);
}
