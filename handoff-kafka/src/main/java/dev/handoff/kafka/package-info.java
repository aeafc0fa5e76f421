/**
 * Kafka consumer groups swapped with nothing lost, nothing processed twice and no stalled partition:
 * {@link dev.handoff.kafka.KafkaHandoffConsumer} (a group member as an instance, a
 * {@link dev.handoff.queue.spi.BrokerConsumer}), launched by {@link dev.handoff.queue.ConsumerLauncher} and routed by
 * {@link dev.handoff.queue.SubscriptionRouter} like every broker consumer.
 */
package dev.handoff.kafka;
