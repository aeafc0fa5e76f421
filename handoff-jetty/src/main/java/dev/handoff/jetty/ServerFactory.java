package dev.handoff.jetty;

import org.eclipse.jetty.server.Server;

/**
 * Builds the {@link Server} of a new instance for a {@link JettyLauncher}: the application's handler, and
 * optionally its own connectors and a {@link JettyHandoff} installed with custom probes. Must be thread-safe.
 */
@FunctionalInterface
public interface ServerFactory {
    /**
     * @param instanceId the id the orchestrator gives the new instance
     * @return a new, not started server. Without connectors, the launcher adds one on {@code 127.0.0.1}, port 0
     * @throws Exception when the server cannot be built; the launch fails with it
     */
    Server create(String instanceId) throws Exception;
}
