/**
 * RabbitMQ for handoff-queue: {@link dev.handoff.rabbitmq.RabbitMqJobSource} (a job source on
 * {@code com.rabbitmq:amqp-client} 5.x) and {@link dev.handoff.test.rabbitmq.RabbitNode} (a throwaway local node
 * for tests and demos).
 */
package dev.handoff.rabbitmq;
