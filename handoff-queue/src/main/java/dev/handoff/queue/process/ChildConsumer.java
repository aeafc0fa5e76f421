package dev.handoff.queue.process;

import java.time.Duration;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.Consumer;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import dev.handoff.api.HandoffException;
import dev.handoff.core.internal.Durations;
import dev.handoff.core.process.ChildAgent;
import dev.handoff.core.process.ChildProcessLauncher;
import dev.handoff.core.process.GracefulTermination;
import dev.handoff.queue.HandoffConsumer;
import dev.handoff.queue.spi.BrokerConsumer;
import dev.handoff.queue.spi.JobSourceException;

/**
 * The child's side of a broker consumer run as a child JVM: in one call it connects the {@link ChildAgent} when a
 * {@link ChildProcessLauncher} started this JVM, connects the consumer to its broker (READY), installs
 * {@link GracefulTermination} for SIGTERM, and subscribes only when no parent drives it. The consumer is any
 * {@link BrokerConsumer}: a {@link HandoffConsumer} (a queue subscription) or a broker adapter's own, such as a
 * Kafka group member.
 *
 * <pre>{@code
 * public static void main(String[] args) {
 *     HandoffConsumer consumer = HandoffConsumer.builder(ChildAgent.instanceId().orElse("billing"))
 *             .source(() -> RabbitMqJobSource.connect(factory, "jobs"))
 *             .handler(job -> bill(job.body()))
 *             .build();
 *     ChildConsumer.builder(consumer).start();   // a ChildConsumer<HandoffConsumer>
 *     // main may return: the consumer's threads and the agent keep the JVM alive until EXIT or SIGTERM
 * }
 * }</pre>
 *
 * <p>A consumer whose threads are all daemons (a Kafka member's are) needs {@code main} to wait instead, e.g.
 * {@code LockSupport.park()}.
 *
 * <p><b>How the swap maps onto a child.</b> Exactly as in process: READY means connected, and the subscription is
 * the attachment. The parent attaches with {@link ChildSubscriptionRouter}, whose {@code RESUME_ACCEPTING} makes
 * the child subscribe, answered after the broker's consume-ok (a Kafka member: after its group's first
 * assignment); until then the new child takes no job. What follows is a queue subscription's; a Kafka member
 * pauses its partitions instead of cancelling, and leaves its group at the end of the drain. The
 * parent's {@code STOP_ACCEPTING} cancels the subscription and is answered only after the broker's cancel-ok and
 * the requeue of every job held but not started, so that the parent's stop-accepting and detach are confirmed,
 * with no propagation delay. {@code DRAIN} answers DRAINED when the running jobs are acknowledged;
 * {@code FORCE_STOP} interrupts the handlers still running and requeues their jobs. A child killed outright
 * (SIGKILL) loses nothing either: the broker requeues every job it had not acknowledged, marked redelivered.
 *
 * <p><b>Standalone</b> (no parent, e.g. under Kubernetes) it subscribes at once
 * ({@link BrokerConsumer#resumeAccepting()}, awaited at most {@link Builder#subscribeTimeout}), and SIGTERM plays the
 * termination sequence: cancel (readiness down), drain, close. The propagation delay is zero by default, since
 * the broker confirms the cancel; set one with {@link Builder#termination(Consumer)} when a readiness probe also
 * matters.
 *
 * <p>Thread-safe after {@link Builder#start()}.
 *
 * @param <C> the consumer's type
 */
public final class ChildConsumer<C extends BrokerConsumer> {

    private static final Logger LOG = LoggerFactory.getLogger(ChildConsumer.class);

    private final C consumer;
    private volatile ChildAgent agent;
    private volatile GracefulTermination termination;

    private ChildConsumer(C consumer) {
        this.consumer = consumer;
    }

    /**
     * @param consumer the application's consumer, built and not yet connected; its id is best the instance id
     *                 the parent gave ({@link ChildAgent#instanceId()})
     * @param <C>      the consumer's type
     * @return a builder
     * @throws NullPointerException when {@code consumer} is null
     */
    public static <C extends BrokerConsumer> Builder<C> builder(C consumer) {
        return new Builder<>(Objects.requireNonNull(consumer, "consumer must not be null"));
    }

    /** @return the consumer */
    public C consumer() {
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

    /**
     * Configures and starts a {@link ChildConsumer}; validates each value as it is set. Not thread-safe.
     *
     * @param <C> the consumer's type
     */
    public static final class Builder<C extends BrokerConsumer> {
        private final C consumer;
        private boolean terminationOnSigterm = true;
        private Consumer<GracefulTermination.Builder> terminationCustomizer = builder -> { };
        private Duration subscribeTimeout = Duration.ofSeconds(30);

        private Builder(C consumer) {
            this.consumer = consumer;
        }

        /**
         * @param customizer configures the SIGTERM sequence (drain budget, grace period, close hooks...); the
         *                   propagation delay starts at zero, and closing the consumer is registered as the last
         *                   close hook
         * @return this builder
         * @throws NullPointerException when {@code customizer} is null
         */
        public Builder<C> termination(Consumer<GracefulTermination.Builder> customizer) {
            this.terminationCustomizer = Objects.requireNonNull(customizer,
                    "termination customizer must not be null");
            return this;
        }

        /**
         * @param enabled whether SIGTERM (and an {@code EXIT} from the parent) plays the termination sequence;
         *                on by default
         * @return this builder
         */
        public Builder<C> terminationOnSigterm(boolean enabled) {
            this.terminationOnSigterm = enabled;
            return this;
        }

        /**
         * @param timeout how long a standalone child waits for its subscription to be confirmed (a Kafka member:
         *                for its group's first assignment), {@code > 0}; default 30 s. Unused under a parent, which
         *                bounds its attach itself.
         * @return this builder
         * @throws IllegalArgumentException when not positive
         */
        public Builder<C> subscribeTimeout(Duration timeout) {
            this.subscribeTimeout = Durations.positive("subscribeTimeout", timeout);
            return this;
        }

        /**
         * Attaches to the parent when there is one, connects the consumer (READY), installs the SIGTERM handler,
         * and subscribes when no parent drives this JVM (a parent attaches it with {@link ChildSubscriptionRouter}).
         * Blocking: broker round trips and the handshake with the parent.
         *
         * @return the running consumer
         * @throws RuntimeException      the consumer's own exception ({@link JobSourceException} for a
         *                               {@link HandoffConsumer}) when it cannot connect or, standalone, cannot
         *                               subscribe; its lifecycle is FAILED (and the parent is told)
         * @throws HandoffException      when the handshake with the parent fails, or a standalone subscription is
         *                               not confirmed within {@link #subscribeTimeout} (the consumer is closed)
         * @throws IllegalStateException when the consumer was closed
         */
        public ChildConsumer<C> start() {
            ChildConsumer<C> child = new ChildConsumer<>(consumer);
            GracefulTermination termination = null;
            if (terminationOnSigterm) {
                // Built before the agent attaches, so that the agent announces its grace period to the parent;
                // installed once the consumer is connected.
                GracefulTermination.Builder terminationBuilder = GracefulTermination.builder(consumer)
                        .propagationDelay(Duration.ZERO);
                terminationCustomizer.accept(terminationBuilder);
                termination = terminationBuilder.closeHook("broker consumer", consumer::close).build();
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
                subscribe();
            }
            LOG.info("consumer {}: running as {}", consumer.id(),
                    child.agent == null ? "a standalone process (subscribed)" : "a child process (awaiting attach)");
            return child;
        }

        /** Standalone: the attach a parent would send, awaited here. */
        private void subscribe() {
            try {
                consumer.resumeAccepting().toCompletableFuture().get(subscribeTimeout.toMillis(),
                        TimeUnit.MILLISECONDS);
            } catch (ExecutionException e) {
                Throwable cause = e.getCause();
                if (cause instanceof RuntimeException) {
                    throw (RuntimeException) cause;
                }
                throw new HandoffException("consumer " + consumer.id() + " could not subscribe: " + cause, cause);
            } catch (TimeoutException e) {
                throw closed(new HandoffException("consumer " + consumer.id() + " was not subscribed within "
                        + subscribeTimeout, e));
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw closed(new HandoffException("interrupted while consumer " + consumer.id() + " subscribed", e));
            }
        }

        /**
         * A start that gave up on the subscription closes the consumer, so that no consumer is left running that
         * a late confirmation would subscribe.
         */
        private HandoffException closed(HandoffException failure) {
            try {
                consumer.close();
            } catch (RuntimeException e) {
                failure.addSuppressed(e);
            }
            return failure;
        }
    }
}
