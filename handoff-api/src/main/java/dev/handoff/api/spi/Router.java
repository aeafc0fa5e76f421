package dev.handoff.api.spi;

import dev.handoff.api.Lifecycle;
import java.time.Duration;
import java.util.Collection;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;

/**
 * The traffic switch, steps 3 and 4, and step 5's hand-over ({@link #settled}): attaches instances to the workload
 * and detaches them. Implementations: an embedded front proxy, an HAProxy backend, a shared port, a broker
 * subscription, a platform. Thread-safe.
 */
public interface Router {
    /**
     * Step 3.
     *
     * @param instance the instance to route work to; it is ready
     * @return completes when work can reach the instance through this router
     */
    CompletionStage<Void> attach(Lifecycle instance);

    /**
     * Step 4: takes the instance out of the rotation. Idempotent; detaching an instance that is not attached
     * completes at once. Work the router already carries to the instance goes on: {@link #settled} says when it
     * has ended.
     *
     * @param instance the instance to take out of the rotation
     * @return completes when no new work will be routed to the instance, without waiting for the work already
     *     routed to it. A router that cannot know completes when it has asked, and reports its delay in
     *     {@link #propagationDelay()}
     */
    CompletionStage<Void> detach(Lifecycle instance);

    /**
     * Step 5's hand-over: after {@link #detach}, completes when nothing the router sent to {@code instance} is still
     * on its way to it or running through it (a proxy's or load balancer's sessions to the instance ended). A router
     * whose work reaches instances directly (a shared port, a broker subscription) completes at once; a router that
     * wraps another must forward this call, or the wrapped router's hand-over is lost (which is why this method has
     * no default). The orchestrator closes the instance's intake
     * ({@link Lifecycle#drain()}) only then, so that a drain cannot complete while work sent to the instance has
     * yet to arrive, and counts the wait in step 5 ({@code DRAIN}): step 4 ({@code DETACH}) then measures the same
     * thing on every router, the time to leave the rotation.
     *
     * <p>Bounded by the router (a session that never ends must meet the instance's drain deadline, not hold the
     * hand-over), and by the orchestrator's detach timeout, after which it drains anyway.
     *
     * @param instance a detached instance
     * @return completes when the router's work on the instance has ended; at once for an instance that is not
     *     detached, or whose work has already ended
     */
    CompletionStage<Void> settled(Lifecycle instance);

    /**
     * @return how long work may still reach an instance after {@link #detach} completed; the orchestrator
     *     waits this long (on its clock) before closing the instance's intake. Zero for routers that confirm.
     */
    default Duration propagationDelay() {
        return Duration.ZERO;
    }

    /**
     * Optional (re-adoption by a restarted orchestrator): observes which of {@code instances} this router routes
     * work to now (HAProxy's {@code show stat}, say) and takes those into its book-keeping as
     * attached, so that a later {@link #detach} works on them. Instances it does not find attached are left alone
     * (the orchestrator attaches them, or retires them).
     *
     * @param instances re-attached instances, alive
     * @return completes with the ids of those found attached; the default (a router that cannot observe) with none
     */
    default CompletionStage<Set<String>> adoptAttached(Collection<? extends Lifecycle> instances) {
        return CompletableFuture.completedFuture(Set.of());
    }

    /**
     * Optional (re-adoption by a restarted orchestrator): removes, gracefully, every route this router finds that
     * leads to none of {@code keep} (routes a dead orchestrator left to instances that are gone or retiring), as
     * {@link #detach} and {@link #settled} would: out of the rotation first, then removed once their sessions ended
     * (bounded).
     *
     * @param keep the ids of the instances to keep routing to
     * @return completes when those routes take no new work and the work they carried has ended (bounded: a retiring
     *     instance's intake closes next); the default (a router with nothing left behind, or that cannot observe) at
     *     once
     */
    default CompletionStage<Void> detachOthers(Set<String> keep) {
        return CompletableFuture.completedFuture(null);
    }
}
