/**
 * Kafka consumer groups swapped with nothing lost, nothing processed twice and no stalled partition:
 * {@link dev.handoff.kafka.KafkaHandoffConsumer} (a group member as an instance), its launcher
 * ({@link dev.handoff.kafka.KafkaConsumerLauncher}) and router ({@link dev.handoff.kafka.KafkaGroupRouter}).
 */
package dev.handoff.kafka;
