package dev.handoff.queue.process;

import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;

import dev.handoff.api.Lifecycle;
import dev.handoff.api.spi.Router;
import dev.handoff.core.process.ChildProcessInstance;

/**
 * The router of queue consumers that run as child JVMs ({@link ChildConsumer}): the in-process
 * {@code SubscriptionRouter}'s mapping, carried over the child's control channel.
 *
 * <ul>
 *   <li>{@link #attach} sends {@code RESUME_ACCEPTING}: the child subscribes and answers after the broker's
 *       consume-ok (a Kafka member: after its group's first assignment). Until then a launched child is connected
 *       (READY) but takes no job, as step 1 requires.</li>
 *   <li>{@link #detach} sends {@code STOP_ACCEPTING}: the child cancels its subscription and answers after the
 *       broker's cancel-ok, when every job it held but had not started is requeued. The orchestrator has already
 *       sent the same command in step 4; the child answers the repeat at once.</li>
 * </ul>
 *
 * <p>The broker confirms both, so the propagation delay is zero. A child that has exited, or reported FAILED, is
 * detached at once: its connection is gone and the broker has requeued what it held. Stateless and thread-safe; routes
 * {@link ChildProcessInstance}s only.
 */
public final class ChildSubscriptionRouter implements Router {

    /** Creates the router. */
    public ChildSubscriptionRouter() {
        // stateless
    }

    /**
     * @return completes when the child has subscribed (consume-ok); exceptionally (an
     *     {@link IllegalArgumentException}) when {@code instance} is not a {@link ChildProcessInstance}, or when
     *     the child refused or has exited
     */
    @Override
    public CompletionStage<Void> attach(Lifecycle instance) {
        if (!(instance instanceof ChildProcessInstance)) {
            return notAChild(instance);
        }
        return instance.resumeAccepting();
    }

    /**
     * @return completes when the child has cancelled its subscription (cancel-ok) or has exited; exceptionally
     *     (an {@link IllegalArgumentException}) when {@code instance} is not a {@link ChildProcessInstance}
     */
    @Override
    public CompletionStage<Void> detach(Lifecycle instance) {
        if (!(instance instanceof ChildProcessInstance)) {
            return notAChild(instance);
        }
        ProcessHandle process = ((ChildProcessInstance) instance).processHandle();
        if (!process.isAlive() || instance.state().isTerminal()) {
            // Gone, or a child that reported FAILED (its consumer lost its broker): no subscription is left to
            // cancel, and the supervisor, which detaches every failed member, must not see an error for it.
            return CompletableFuture.completedFuture(null);
        }
        return instance.stopAccepting().handle((ignored, error) -> {
            if (error != null && process.isAlive()) {
                throw error instanceof RuntimeException ? (RuntimeException) error
                        : new IllegalStateException(error.getMessage(), error);
            }
            return null;
        });
    }

    /** {@inheritDoc} At once: the broker delivers to the child directly; what it delivered is the child's drain. */
    @Override
    public CompletionStage<Void> settled(Lifecycle instance) {
        return CompletableFuture.completedFuture(null);
    }

    // Router.adoptAttached keeps its default (none found): a READY consumer child is not necessarily subscribed (a
    // new one is not until its attach), so a restarted orchestrator attaches every consumer it keeps, and
    // resumeAccepting subscribes only one that is not (BrokerConsumer: it changes nothing while the consumer accepts).

    private static CompletionStage<Void> notAChild(Lifecycle instance) {
        return CompletableFuture.failedFuture(new IllegalArgumentException(
                "ChildSubscriptionRouter routes ChildProcessInstances only, but got " + instance));
    }

    @Override
    public String toString() {
        return "ChildSubscriptionRouter";
    }
}
