/**
 * Jetty 12 (core API, no servlets) integration of handoff.
 *
 * <ul>
 *   <li>Application side: {@link dev.handoff.jetty.JettyHandoff}, an {@link dev.handoff.core.InstanceLifecycle},
 *       wires a {@link dev.handoff.jetty.HandoffHandler} (counts every request, never refuses one) and readiness
 *       and liveness probes into an existing {@code Server}.</li>
 *   <li>Orchestrator side: {@link dev.handoff.jetty.JettyLauncher} for in-process servers (its instances are
 *       {@code JettyHandoff}s); routers {@link dev.handoff.jetty.ProxyRouter} (embedded front door, the default)
 *       and {@link dev.handoff.jetty.SharedPortRouter} (one listening socket handed from server to server).</li>
 * </ul>
 *
 * <p>{@code dev.handoff.jetty.internal} is implementation, not API.
 */
package dev.handoff.jetty;
