/**
 * Web servers as child JVMs: {@link dev.handoff.jetty.process.ChildWebApp} wires a Jetty server into the
 * {@code dev.handoff.core.process} child agent and SIGTERM sequence in one call,
 * {@link dev.handoff.jetty.process.ChildPorts} tells the parent where each child listens, and
 * {@link dev.handoff.jetty.process.ReusePortRouter} shares one port between child processes with
 * {@code SO_REUSEPORT}. Children behind HAProxy use {@code dev.handoff.jetty.haproxy.HaproxyRouter} with
 * {@code addressOf(ports.addressOf())}.
 */
package dev.handoff.jetty.process;
