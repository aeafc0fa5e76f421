/**
 * Queue consumers as child JVMs: {@link dev.handoff.queue.process.ChildConsumer} wires a
 * {@link dev.handoff.queue.HandoffConsumer} (or any {@link dev.handoff.queue.spi.BrokerConsumer}, such as a Kafka
 * group member) into the {@code dev.handoff.core.process} child agent and SIGTERM sequence in one call, and
 * {@link dev.handoff.queue.process.ChildSubscriptionRouter} attaches and detaches such children (attach = the child
 * subscribes, detach = the child cancels; both confirmed by the broker before the child answers). The parent
 * launches them with {@code dev.handoff.core.process.ChildProcessLauncher}.
 */
package dev.handoff.queue.process;
