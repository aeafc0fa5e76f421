/**
 * What broker integrators implement to plug a job source into a {@link dev.handoff.queue.HandoffConsumer}: a
 * {@link dev.handoff.queue.spi.JobSource} (a connection to one queue), the
 * {@link dev.handoff.queue.spi.Subscription} it opens with a prefetch, and the
 * {@link dev.handoff.queue.spi.Delivery} objects it hands to a {@link dev.handoff.queue.spi.DeliveryListener}.
 *
 * <p>Every source gives the same guarantees, modelled on AMQP 0-9-1 with manual acknowledgements:
 * <ul>
 *   <li>a subscription holds at most {@code prefetch} unsettled deliveries;</li>
 *   <li>each delivery is settled at most once: {@code ack} (done, removed), {@code requeue} (given back to the
 *       queue, delivered again with {@code redelivered = true}) or {@code reject} (moved to the dead-letter
 *       destination);</li>
 *   <li>{@code cancel} stops the flow of new deliveries; its stage completes after the last delivery already
 *       sent was handed to the listener (AMQP's {@code basic.cancel-ok}). Deliveries held are not given back
 *       by a cancel: the holder settles them;</li>
 *   <li>{@code close} (or the loss of the connection) gives back every unsettled delivery, marked
 *       redelivered; a settle after that fails with a {@link dev.handoff.queue.spi.JobSourceException}.</li>
 * </ul>
 * {@link dev.handoff.queue.spi.AbstractDelivery} enforces the settle-once rule for implementations.
 *
 * <p>A broker whose consumer cannot be a {@code JobSource} (Kafka: one position per partition, no per-record
 * requeue) implements {@link dev.handoff.queue.spi.BrokerConsumer} instead, and is then launched by
 * {@link dev.handoff.queue.ConsumerLauncher} and routed by {@link dev.handoff.queue.SubscriptionRouter}.
 */
package dev.handoff.queue.spi;
