/**
 * Jetty 12 (core API, no servlets) integration of handoff.
 *
 * <ul>
 *   <li>Application side: {@link dev.handoff.jetty.JettyHandoff} wires a {@link dev.handoff.jetty.HandoffHandler}
 *       (counts every request, never refuses one), readiness and liveness probes and an
 *       {@link dev.handoff.core.InstanceLifecycle} into an existing {@code Server}.</li>
 *   <li>Orchestrator side: {@link dev.handoff.jetty.JettyLauncher} and {@link dev.handoff.jetty.JettyHandoff}
 *       for in-process servers; routers {@link dev.handoff.jetty.ProxyRouter} (embedded front door, the default)
 *       and {@link dev.handoff.jetty.SharedPortRouter} (one listening socket handed from server to server).</li>
 * </ul>
 *
 * <p>{@code dev.handoff.jetty.internal} is implementation, not API.
 */
package dev.handoff.jetty;
