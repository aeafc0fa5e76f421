/**
 * What framework integrators implement: a {@link dev.handoff.api.spi.Launcher} that starts instances, an
 * {@link dev.handoff.api.spi.Lifecycle} that gives the orchestrator its grip on one, and a
 * {@link dev.handoff.api.spi.Router} that attaches and detaches them. Every operation is asynchronous; the
 * orchestrator bounds each one with a deadline.
 */
package dev.handoff.api.spi;
