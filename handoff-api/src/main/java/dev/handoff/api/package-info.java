/**
 * The vocabulary of handoff: instance lifecycle states and hooks, plans, steps, outcomes and results. No
 * third-party dependency. Extension points are in {@code dev.handoff.api.spi}, swap events in
 * {@code dev.handoff.api.event}.
 */
package dev.handoff.api;
