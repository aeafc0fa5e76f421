/**
 * The {@code web-swap} command: swaps a Jetty server under load, the handoff ways (front proxy, shared port,
 * HAProxy) and the usual ways (stop then start, Jetty graceful stop then start), and counts every failed request
 * with a client that never retries.
 */
package dev.handoff.examples.webswap;
