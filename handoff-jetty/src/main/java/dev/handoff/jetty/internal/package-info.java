/**
 * Implementation of the Jetty integration: connection moves, probes, the blocking executor. Not API: may change in
 * any release.
 */
package dev.handoff.jetty.internal;
