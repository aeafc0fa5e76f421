/**
 * The {@code queue-swap} command: swaps queue consumers while jobs flow, on the in-memory queue or RabbitMQ, and
 * compares the handoff consumer with a naive and a cancel-and-finish consumer.
 */
package dev.handoff.examples.queueswap;
