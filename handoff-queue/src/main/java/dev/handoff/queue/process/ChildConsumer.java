package dev.handoff.queue.process;

import java.time.Duration;
import java.util.Objects;
import java.util.Optional;
import java.util.function.Consumer;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import dev.handoff.api.HandoffException;
import dev.handoff.core.process.ChildAgent;
import dev.handoff.core.process.ChildProcessLauncher;
import dev.handoff.core.process.GracefulTermination;
import dev.handoff.queue.HandoffConsumer;
import dev.handoff.queue.spi.JobSourceException;

/**
 * The child's side of a queue consumer run as a child JVM: in one call it connects the {@link ChildAgent} when a
 * {@link ChildProcessLauncher} started this JVM, connects the {@link HandoffConsumer} to its broker (READY),
 * installs {@link GracefulTermination} for SIGTERM, and subscribes only when no parent drives it.
 *
 * <pre>{@code
 * public static void main(String[] args) {
 *     HandoffConsumer consumer = HandoffConsumer.builder(ChildAgent.instanceId().orElse("billing"))
 *             .source(() -> RabbitMqJobSource.connect(factory, "jobs"))
 *             .handler(job -> bill(job.body()))
 *             .build();
 *     ChildConsumer.builder(consumer).start();
 *     // main may return: the consumer's threads and the agent keep the JVM alive until EXIT or SIGTERM
 * }
 * }</pre>
 *
 * <p><b>How the swap maps onto a child.</b> Exactly as in process: READY means connected, and the subscription is
 * the attachment. The parent attaches with {@link ChildSubscriptionRouter}, whose {@code RESUME_ACCEPTING} makes
 * the child subscribe, answered after the broker's consume-ok; until then the new child takes no job. The
 * parent's {@code STOP_ACCEPTING} cancels the subscription and is answered only after the broker's cancel-ok and
 * the requeue of every job held but not started, so that the parent's stop-accepting and detach are confirmed,
 * with no propagation delay. {@code DRAIN} answers DRAINED when the running jobs are acknowledged;
 * {@code FORCE_STOP} interrupts the handlers still running and requeues their jobs. A child killed outright
 * (SIGKILL) loses nothing either: the broker requeues every job it had not acknowledged, marked redelivered.
 *
 * <p><b>Standalone</b> (no parent, e.g. under Kubernetes) it subscribes at once, and SIGTERM plays the
 * termination sequence: cancel (readiness down), drain, close. The propagation delay is zero by default, since
 * the broker confirms the cancel; set one with {@link Builder#termination(Consumer)} when a readiness probe also
 * matters.
 *
 * <p>Thread-safe after {@link Builder#start()}.
 */
public final class ChildConsumer {

    private static final Logger LOG = LoggerFactory.getLogger(ChildConsumer.class);

    private final HandoffConsumer consumer;
    private volatile ChildAgent agent;
    private volatile GracefulTermination termination;

    private ChildConsumer(HandoffConsumer consumer) {
        this.consumer = consumer;
    }

    /**
     * @param consumer the application's consumer, built and not yet connected; its id is best the instance id
     *                 the parent gave ({@link ChildAgent#instanceId()})
     * @return a builder
     * @throws NullPointerException when {@code consumer} is null
     */
    public static Builder builder(HandoffConsumer consumer) {
        return new Builder(Objects.requireNonNull(consumer, "consumer must not be null"));
    }

    /** @return the consumer */
    public HandoffConsumer consumer() {
        return consumer;
    }

    /** @return whether a parent drives this JVM through a {@link ChildAgent} */
    public boolean attachedToParent() {
        return agent != null;
    }

    /** @return the SIGTERM handler, when installed */
    public Optional<GracefulTermination> termination() {
        return Optional.ofNullable(termination);
    }

    /** Configures and starts a {@link ChildConsumer}; validates each value as it is set. Not thread-safe. */
    public static final class Builder {
        private final HandoffConsumer consumer;
        private boolean terminationOnSigterm = true;
        private Consumer<GracefulTermination.Builder> terminationCustomizer = builder -> { };

        private Builder(HandoffConsumer consumer) {
            this.consumer = consumer;
        }

        /**
         * @param customizer configures the SIGTERM sequence (drain budget, grace period, close hooks...); the
         *                   propagation delay starts at zero, and closing the consumer is registered as the last
         *                   close hook
         * @return this builder
         * @throws NullPointerException when {@code customizer} is null
         */
        public Builder termination(Consumer<GracefulTermination.Builder> customizer) {
            this.terminationCustomizer = Objects.requireNonNull(customizer,
                    "termination customizer must not be null");
            return this;
        }

        /**
         * @param enabled whether SIGTERM (and an {@code EXIT} from the parent) plays the termination sequence;
         *                on by default
         * @return this builder
         */
        public Builder terminationOnSigterm(boolean enabled) {
            this.terminationOnSigterm = enabled;
            return this;
        }

        /**
         * Attaches to the parent when there is one, connects the consumer (READY), installs the SIGTERM handler,
         * and subscribes when no parent drives this JVM (a parent attaches it with {@link ChildSubscriptionRouter}).
         * Blocking: broker round trips and the handshake with the parent.
         *
         * @return the running consumer
         * @throws JobSourceException    when the consumer cannot connect (its lifecycle is FAILED and the parent is
         *                               told) or, standalone, cannot subscribe
         * @throws HandoffException      when the handshake with the parent fails
         * @throws IllegalStateException when the consumer was closed
         */
        public ChildConsumer start() {
            ChildConsumer child = new ChildConsumer(consumer);
            GracefulTermination termination = null;
            if (terminationOnSigterm) {
                // Built before the agent attaches, so that the agent announces its grace period to the parent;
                // installed once the consumer is connected.
                GracefulTermination.Builder terminationBuilder = GracefulTermination.builder(consumer)
                        .propagationDelay(Duration.ZERO);
                terminationCustomizer.accept(terminationBuilder);
                termination = terminationBuilder.closeHook("queue consumer", consumer::close).build();
            }
            if (ChildAgent.launchedByParent()) {
                ChildAgent.Builder agent = ChildAgent.builder(consumer);
                if (termination != null) {
                    agent.terminationBudget(termination.gracePeriod());
                }
                child.agent = agent.attach();
            }
            consumer.connect();
            if (termination != null) {
                child.termination = termination.install();
            }
            if (child.agent == null) {
                consumer.subscribe();
            }
            LOG.info("consumer {}: running as {}", consumer.id(),
                    child.agent == null ? "a standalone process (subscribed)" : "a child process (awaiting attach)");
            return child;
        }
    }
}
