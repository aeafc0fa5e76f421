/**
 * The HAProxy router: {@link dev.handoff.jetty.haproxy.HaproxyRouter} attaches and detaches instances as dynamic
 * servers of an HAProxy backend through the Runtime API ({@link dev.handoff.jetty.haproxy.HaproxyRuntimeApi}).
 * {@link dev.handoff.test.haproxy.HaproxyProcess} starts a throwaway HAProxy on loopback for tests and examples.
 */
package dev.handoff.jetty.haproxy;
