/**
 * The {@code crash-swap} command: kills members of supervised groups (child JVMs behind HAProxy, child consumers on
 * RabbitMQ) or restarts their broker, with clients that never retry, and counts what the supervisor healed and what
 * clients lost.
 */
package dev.handoff.examples.crashswap;
