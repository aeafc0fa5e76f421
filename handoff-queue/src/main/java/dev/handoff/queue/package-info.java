/**
 * Queue consumers that can be swapped without losing or duplicating jobs. {@link dev.handoff.queue.HandoffConsumer}
 * wraps the application's {@link dev.handoff.queue.JobHandler} and is the instance's lifecycle;
 * {@link dev.handoff.queue.ConsumerLauncher} and {@link dev.handoff.queue.SubscriptionRouter} plug it into the
 * orchestrator (attach = subscribe, detach = cancel confirmed by the broker's cancel-ok).
 * {@link dev.handoff.queue.InMemoryJobQueue} is the embedded job source; RabbitMQ is in
 * {@code dev.handoff.rabbitmq}; brokers plug in through {@code dev.handoff.queue.spi}.
 */
package dev.handoff.queue;
