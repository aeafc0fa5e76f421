/**
 * A picture of every swap: {@link dev.handoff.examples.report.SwapReport} collects a tool's swaps, workload and
 * in-flight work and writes one self-contained HTML page (inline SVG, no script, no network).
 */
package dev.handoff.examples.report;
