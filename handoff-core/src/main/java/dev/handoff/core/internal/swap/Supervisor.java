package dev.handoff.core.internal.swap;

import dev.handoff.api.Lifecycle;
import dev.handoff.api.LifecycleState;
import dev.handoff.api.Release;
import dev.handoff.api.SwapOutcome;
import dev.handoff.api.SwapResult;
import dev.handoff.api.SwapStep;
import dev.handoff.api.event.MemberFailure;
import dev.handoff.api.event.SwapListener;
import dev.handoff.core.Orchestrator;
import dev.handoff.core.Scheduler;

import java.time.Duration;
import java.time.Instant;

/**
 * Watches every member of a group between swaps. A member whose {@link Lifecycle#failure()} completes (a process that
 * exited, a lifecycle gone FAILED, a consumer that lost its broker, a child whose control channel broke), or that left
 * READY and is not READY again within the readiness-loss threshold (told by its state listeners), is taken out
 * of the group at once, detached from the router (bounded), destroyed (bounded), reported (an ERROR line, the
 * members-failed counter, {@link SwapListener#onMemberFailure}) and, unless the orchestrator only reports, replaced:
 * a run of {@code Plan.start()} (id {@code <group>/heal-<n>}) launches what the group lacks, after a back-off that
 * doubles while replacements fail or die young (a crash loop, a broker that is down), up to a bound.
 *
 * <p>While a swap runs (up to its last old instance destroyed) its own failure watch has the say; the supervisor looks
 * again when it has ended. Confined to the orchestrator's serial executor, except {@link #watch}, which only subscribes.
 *
 * <p>Not API.
 */
final class Supervisor {

    private final SwapEngine engine;
    private final Settings settings;
    /** The wait before the next replacement; zero after a healthy period. */
    private Duration backoff = Duration.ZERO;
    private Scheduler.Cancellable pendingHeal;
    private boolean healing;
    private Instant lastHealEnd = Instant.MIN;

    Supervisor(SwapEngine engine) {
        this.engine = engine;
        this.settings = engine.settings;
    }

    /**
     * Any thread: watches a new member until it fails, or leaves READY for longer than the readiness-loss threshold;
     * a member no longer in the group by then is ignored.
     */
    void watch(String id, Lifecycle member) {
        Wait.call(member::failure, "Lifecycle.failure").whenComplete((ignored, failure) -> engine.serial.execute(
                settings.group() + "/supervision", null, () -> failed(id, member, failure)));
        member.addListener((from, to) -> {
            if (from == LifecycleState.READY && to != LifecycleState.READY && !to.isTerminal()) {
                engine.serial.execute(settings.group() + "/supervision", null, () -> leftReady(id, member));
            }
        });
    }

    /**
     * Serial executor: a member left READY while no run retires it (a run takes its old instances out of the group
     * before it tells them to stop accepting). If it is not READY again within the threshold, it is failed.
     */
    private void leftReady(String id, Lifecycle member) {
        if (!engine.isMember(id, member) || engine.isBusy() || engine.isClosed()) {
            return;
        }
        Duration threshold = settings.readinessLossThreshold();
        SwapEngine.LOG.warn("member {} of group '{}' left READY ({}); failing it unless it is READY again within {}",
                id, settings.group(), member.state(), threshold);
        settings.scheduler().schedule(threshold, () -> engine.serial.execute(settings.group() + "/supervision", null,
                () -> {
                    if (member.state() != LifecycleState.READY && !member.state().isTerminal()) {
                        failed(id, member, new IllegalStateException("instance " + id + " has not been READY for "
                                + threshold + " (it is " + member.state() + ")"));
                    }
                }));
    }

    private void failed(String id, Lifecycle member, Throwable failure) {
        if (!engine.isMember(id, member) || engine.isClosed()) {
            return;
        }
        if (engine.isBusy()) {
            // A running swap watches its own instances (to re-admit an old one if a new one fails): look again when
            // it has ended.
            return;
        }
        Throwable cause = failure != null ? Wait.unwrap(failure)
                : new IllegalStateException("instance " + id + " reported a failure");
        Release release = engine.releaseOf(id);
        boolean replacing = settings.onMemberFailure() == Orchestrator.OnMemberFailure.REPLACE;
        engine.removeMember(id);
        engine.metrics.memberFailed();
        SwapEngine.LOG.error("member {} of group '{}' (release {}) failed: {}; detaching it{}", id, settings.group(),
                release, cause.toString(), replacing ? " and replacing it" : "");
        MemberFailure event = new MemberFailure(settings.group(), id, release == null ? "?" : release.label(),
                settings.scheduler().now(), cause, replacing);
        for (SwapListener listener : settings.listeners()) {
            try {
                listener.onMemberFailure(event);
            } catch (RuntimeException | Error e) {
                SwapEngine.LOG.error("swap listener {} threw on the failure of member {}; ignored", listener, id, e);
            }
        }
        if (!lastHealEnd.equals(Instant.MIN)
                && Duration.between(lastHealEnd, settings.scheduler().now()).compareTo(settings.replaceBackoffMax()) < 0) {
            // A replacement that dies young is a crash loop: back off more before the next one.
            grow();
        } else {
            backoff = Duration.ZERO;
        }
        Wait.Context context = engine.contextOf(settings.group() + "/supervision", null);
        Wait.on(context, RouterCalls.detachAndSettle(settings.router(), member), settings.detachTimeout(),
                SwapStep.DETACH, id, (detached, detachFailure) -> {
                    if (detachFailure != null) {
                        SwapEngine.LOG.error("could not detach failed member {} of group '{}'", id, settings.group(),
                                detachFailure);
                    }
                    Wait.on(context, Wait.call(member::destroy, "Lifecycle.destroy"), settings.destroyTimeout(),
                            SwapStep.DESTROY, id, (destroyed, destroyFailure) -> {
                                if (destroyFailure != null) {
                                    engine.metrics.destroyFailed();
                                    SwapEngine.LOG.error("could not destroy failed member {} of group '{}'", id,
                                            settings.group(), destroyFailure);
                                }
                                engine.instanceGone(id);
                                if (replacing) {
                                    scheduleHeal();
                                }
                            });
                });
    }

    /** Serial executor: no run is left; check for members that failed meanwhile and for missing ones. */
    void groupReleased() {
        for (var member : engine.membersSnapshot().entrySet()) {
            var failure = Wait.call(member.getValue()::failure, "Lifecycle.failure").toCompletableFuture();
            if (failure.isDone()) {
                failed(member.getKey(), member.getValue(), failure.handle((ignored, cause) -> cause).join());
            } else if (member.getValue().state() != LifecycleState.READY) {
                leftReady(member.getKey(), member.getValue());
            }
        }
        if (settings.onMemberFailure() == Orchestrator.OnMemberFailure.REPLACE) {
            scheduleHeal();
        }
    }

    private void scheduleHeal() {
        if (healing || pendingHeal != null || engine.missing() <= 0 || engine.isClosed()) {
            return;
        }
        if (backoff.isZero()) {
            heal();
            return;
        }
        SwapEngine.LOG.info("group '{}' lacks {} instance(s); replacing them in {}", settings.group(),
                engine.missing(), backoff);
        pendingHeal = settings.scheduler().schedule(backoff, () -> engine.serial.execute(
                settings.group() + "/supervision", null, () -> {
                    pendingHeal = null;
                    heal();
                }));
    }

    private void heal() {
        int missing = engine.missing();
        if (healing || missing <= 0 || engine.isClosed()) {
            return;
        }
        SwapEngine.Submitted run = engine.healRun(missing);
        if (run == null) {
            // A swap holds the group: groupReleased() comes back here.
            return;
        }
        healing = true;
        SwapEngine.LOG.info("{}: replacing {} failed member(s) of group '{}'", run.id(), missing, settings.group());
        run.result().whenComplete((result, failure) -> engine.serial.execute(run.id(), null,
                () -> healEnded(result, failure)));
    }

    private void healEnded(SwapResult result, Throwable failure) {
        healing = false;
        lastHealEnd = settings.scheduler().now();
        if (failure == null && result != null && result.outcome() == SwapOutcome.COMMITTED) {
            // The back-off is kept: a replacement that dies young keeps growing it; one that lives resets it.
            return;
        }
        grow();
        SwapEngine.LOG.warn("replacing the failed member(s) of group '{}' failed: {}; trying again in {}",
                settings.group(), String.valueOf(failure != null ? Wait.unwrap(failure) : result.cause()), backoff);
        scheduleHeal();
    }

    private void grow() {
        Duration doubled = backoff.isZero() ? settings.replaceBackoffMin() : backoff.multipliedBy(2);
        backoff = doubled.compareTo(settings.replaceBackoffMax()) > 0 ? settings.replaceBackoffMax() : doubled;
    }

    /** Serial executor: the orchestrator closes; no replacement starts any more. */
    void close() {
        if (pendingHeal != null) {
            pendingHeal.cancel();
            pendingHeal = null;
        }
    }
}
