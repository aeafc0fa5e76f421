package dev.handoff.core.internal.swap;

import dev.handoff.core.internal.journal.JournalRecord;
import java.util.Map;

import dev.handoff.api.HandoffException;
import dev.handoff.api.InstanceFailedException;
import dev.handoff.api.LifecycleState;
import dev.handoff.api.SwapStep;
import dev.handoff.api.VerificationGate;
import dev.handoff.api.Lifecycle;
import dev.handoff.api.spi.Router;
import java.time.Duration;
import java.util.Objects;
import java.util.concurrent.CompletionStage;
import java.util.function.BiConsumer;

/**
 * One instance swap: an old instance replaced by a new one through the seven steps, with its rollback and
 * re-admission; in a start, a new instance without an old one (steps 1 to 3). Each step is a bounded {@link Wait};
 * a continuation runs only if no abort came first (the {@code generation} check), so a late completion never moves
 * a pair that has turned to rollback.
 *
 * <p>Re-admission window: from the moment the old instance is told to stop accepting (step 4) until its destroy
 * starts (step 7) or the next swap of the group starts, a failure of the new instance re-admits the old one. A
 * re-admission holds the group (taking it back if its run had released it) until the old instance is attached again,
 * so no swap starts on a group about to change.
 *
 * <p>A dead old instance (its {@code failure()} completed, or FAILED, or STOPPED without this pair destroying it) is
 * already retired: found dead at step 4, or dying during steps 4 to 6, it is <i>buried</i>: never asked to stop
 * accepting, drain or resume accepting, detached from the router (bounded, unless already confirmed) and destroyed
 * (bounded), and its new instance stays. Only when the new instance fails too within the window are both removed
 * (the new one rolled back, as the re-admission rule would, with nothing to re-admit).
 *
 * <p>Not API. Confined to the serial executor (the failure watch only hands over to it).
 */
final class Pair {
    private enum Phase {
        NEW, LAUNCHING, AWAITING_READY, ATTACHING, VERIFYING, ATTACHED, DETACHING, DRAINING, FORCING, DRAINED,
        BURYING, DESTROYING, READMITTING, ROLLING_BACK, DONE
    }

    private final SwapRun swap;
    private final Settings settings;
    private final Lifecycle old;
    private final String oldId;
    private final int index;
    final boolean retireFirst;

    private Phase phase = Phase.NEW;
    private String newId;
    private Lifecycle fresh;
    private CompletionStage<Lifecycle> launchStage;
    private StepRecord current;
    private Wait wait;
    private int generation;
    private FailureWatch watch;
    /** Watches the old instance's {@code failure()} until its destroy starts; null without an old instance. */
    private final OldWatch oldWatch;
    /** The router confirmed the old instance's detach (and no re-admission attached it since). */
    private boolean oldDetached;
    /** A {@code Router.detach} of the old instance is in flight at step 4. */
    private boolean routerDetaching;
    private boolean deathReported;
    private boolean attachCalled;
    private boolean newFailed;
    private boolean windowOpen;
    private boolean failing;
    private Throwable rollbackCause;
    private Throwable rollbackFailure;
    boolean frontReported;
    boolean cleanup;

    Pair(SwapRun swap, Lifecycle old, int index, boolean retireFirst) {
        this.swap = swap;
        this.settings = swap.settings;
        this.old = old;
        this.oldId = old == null ? null : old.id();
        this.index = index;
        this.retireFirst = retireFirst;
        this.oldWatch = old == null ? null : OldWatch.watch(this, old);
    }

    // ---- steps 1 to 3: the new instance ----

    void launch() {
        phase = Phase.LAUNCHING;
        swap.launching();
        newId = swap.engine.reserveId(swap.release);
        swap.launched.add(newId);
        current = swap.begin(SwapStep.LAUNCH, newId);
        launchStage = Wait.call(() -> {
            // Written and forced before the launch: a restarted orchestrator looks for every instance it names.
            swap.engine.journal.record(new JournalRecord.MemberAdded(newId, swap.release.label(),
                    JournalRecord.MemberKind.LAUNCHED, Map.of()));
            return swap.release.launcher().launch(newId);
        }, "Launcher.launch");
        await(launchStage, settings.launchTimeout(), SwapStep.LAUNCH, newId, this::launched);
    }

    private void launched(Lifecycle handle, Throwable failure) {
        if (failure == null && handle == null) {
            failure = new IllegalStateException("the launcher completed with null instead of instance '" + newId
                    + "'");
        }
        if (failure != null) {
            swap.end(current, failure);
            destroyIfItArrivesLate();
            noInstance(failure);
            return;
        }
        if (swap.engine.isKnown(handle, newId)) {
            IllegalStateException self = new IllegalStateException("swapping an instance for itself: asked for new"
                    + " instance '" + newId + "', the launcher returned instance '" + SwapEngine.idOf(handle)
                    + "', which is already in group '" + settings.group() + "'");
            swap.end(current, self);
            noInstance(self);
            return;
        }
        fresh = handle;
        String handedId = SwapEngine.idOf(handle);
        if (!newId.equals(handedId)) {
            IllegalStateException mismatch = new IllegalStateException("the launcher returned an instance with id '"
                    + handedId + "' when asked for '" + newId + "': Launcher.launch must return a handle whose"
                    + " id() is the id it was given");
            swap.end(current, mismatch);
            rollback(mismatch);
            return;
        }
        swap.end(current, null);
        watch = new FailureWatch(this);
        FailureWatch registered = watch;
        Wait.call(handle::failure, "Lifecycle.failure").whenComplete(
                (ignored, cause) -> registered.fire(cause));
        whenReady();
    }

    private void destroyIfItArrivesLate() {
        CompletionStage<Lifecycle> stage = launchStage;
        String asked = newId;
        stage.thenAccept(handle -> {
            if (handle != null) {
                swap.execute(() -> swap.engine.destroyLate(swap, handle, asked));
            }
        });
    }

    /** The launch failed or was abandoned: there is no new instance to roll back. */
    private void noInstance(Throwable cause) {
        failing(cause);
        swap.engine.instanceGone(newId);
        swap.instanceGone();
        rollbackCause = cause;
        finishRolledBack();
    }

    private void whenReady() {
        phase = Phase.AWAITING_READY;
        current = swap.begin(SwapStep.AWAIT_READY, newId);
        await(Wait.call(fresh::whenReady, "Lifecycle.whenReady"), settings.readyTimeout(),
                SwapStep.AWAIT_READY, newId, (ignored, failure) -> {
                    swap.end(current, failure);
                    if (failure != null) {
                        rollback(failure);
                    } else {
                        attach();
                    }
                });
    }

    private void attach() {
        phase = Phase.ATTACHING;
        current = swap.begin(SwapStep.ATTACH, newId);
        attachCalled = true;
        await(Wait.call(() -> settings.router().attach(fresh), "Router.attach"), settings.attachTimeout(),
                SwapStep.ATTACH, newId, (ignored, failure) -> {
                    swap.end(current, failure);
                    if (failure != null) {
                        rollback(failure);
                        return;
                    }
                    swap.engine.addMember(newId, fresh);
                    if (retireFirst) {
                        finish();
                        swap.pairFrontDone(this);
                    } else if (swap.isCanary() && index == 0) {
                        verify();
                    } else {
                        phase = Phase.ATTACHED;
                        swap.pairAttached(this);
                    }
                });
    }

    private void verify() {
        phase = Phase.VERIFYING;
        current = swap.begin(SwapStep.VERIFY, newId);
        VerificationGate gate = swap.plan.gate().orElseThrow();
        await(Wait.call(() -> gate.verify(newId), "VerificationGate.verify"), settings.verifyTimeout(),
                SwapStep.VERIFY, newId, (passed, failure) -> {
                    if (failure == null && Boolean.TRUE.equals(passed)) {
                        swap.end(current, null);
                        phase = Phase.ATTACHED;
                        swap.pairAttached(this);
                        return;
                    }
                    Throwable cause = failure == null
                            ? new HandoffException("the verification gate rejected canary instance '" + newId + "'")
                            : failure instanceof HandoffException ? failure
                            : SwapEngine.describe("the verification gate of canary instance '" + newId + "' failed",
                                    failure);
                    swap.end(current, cause);
                    rollback(cause);
                });
    }

    // ---- step 4: the cut-over ----

    void detachOld() {
        if (old == null) {
            // A start's pair: the new instance is attached and there is nothing to retire.
            finish();
            swap.pairFrontDone(this);
            return;
        }
        phase = Phase.DETACHING;
        windowOpen = fresh != null;
        swap.engine.removeMember(oldId);
        current = swap.begin(SwapStep.DETACH, oldId);
        if (oldIsDead()) {
            bury();
            return;
        }
        await(Wait.call(old::stopAccepting, "Lifecycle.stopAccepting"), settings.detachTimeout(),
                SwapStep.DETACH, oldId, (ignored, failure) -> {
                    if (oldIsDead()) {
                        bury();
                    } else if (failure != null) {
                        detachFailed(failure);
                    } else {
                        detachFromRouter();
                    }
                });
    }

    private void detachFromRouter() {
        routerDetaching = true;
        await(Wait.call(() -> settings.router().detach(old), "Router.detach"), settings.detachTimeout(),
                SwapStep.DETACH, oldId, (ignored, failure) -> {
                    routerDetaching = false;
                    oldDetached = failure == null;
                    if (oldIsDead()) {
                        // Died meanwhile: no propagation delay to wait out for a corpse.
                        bury();
                    } else if (failure != null) {
                        detachFailed(failure);
                    } else {
                        afterPropagationDelay(this::detached);
                    }
                });
    }

    /** Work may still reach a detached instance for the propagation delay: it is served, so drains wait it out. */
    private void afterPropagationDelay(Runnable next) {
        Duration delay = propagationDelay(settings.router());
        if (delay.isZero()) {
            next.run();
            return;
        }
        int token = ++generation;
        wait = Wait.delay(swap, delay, () -> {
            if (token == generation) {
                wait = null;
                next.run();
            }
        });
    }

    /**
     * The router's hand-over of a detached instance ({@link Router#settled}), bounded by the detach timeout: the
     * instance's intake closes only once what the router sent it has ended. A failure or a timeout is logged and
     * {@code next} runs anyway: the instance is out of the rotation, and its drain deadline bounds what is left.
     */
    private void afterSettled(Lifecycle instance, String id, SwapStep step, Runnable next) {
        await(Wait.call(() -> settings.router().settled(instance), "Router.settled"), settings.detachTimeout(),
                step, id, (ignored, failure) -> {
                    if (failure != null) {
                        SwapEngine.LOG.warn("the router did not confirm that its work on instance {} ended ({});"
                                + " draining it anyway", id, failure.toString());
                    }
                    next.run();
                });
    }

    private Duration propagationDelay(Router router) {
        Duration routerDelay;
        try {
            routerDelay = router.propagationDelay();
        } catch (RuntimeException e) {
            SwapEngine.LOG.warn("Router.propagationDelay() threw; using the orchestrator's delay only", e);
            routerDelay = Duration.ZERO;
        }
        if (routerDelay == null || routerDelay.isNegative()) {
            routerDelay = Duration.ZERO;
        }
        return routerDelay.plus(settings.propagationDelay());
    }

    private void detachFailed(Throwable failure) {
        swap.end(current, failure);
        readmit(failure);
    }

    private void detached() {
        swap.end(current, null);
        drain();
        if (!retireFirst) {
            swap.pairFrontDone(this);
        }
    }

    // ---- steps 5 to 7: the old instance ----

    private void drain() {
        phase = Phase.DRAINING;
        current = swap.begin(SwapStep.DRAIN, oldId);
        if (oldIsDead()) {
            swap.end(current, death());
            bury();
            return;
        }
        afterSettled(old, oldId, SwapStep.DRAIN, this::closeIntake);
    }

    /** Step 5 once the router's work on the old instance has ended: its intake closes. */
    private void closeIntake() {
        if (oldIsDead()) {
            swap.end(current, death());
            bury();
            return;
        }
        CompletionStage<Void> drained;
        try {
            drained = Objects.requireNonNull(old.drain(), "Lifecycle.drain returned null");
        } catch (RuntimeException e) {
            swap.end(current, e);
            forceOrBury(e);
            return;
        }
        swap.end(current, null);
        current = swap.begin(SwapStep.AWAIT_DRAINED, oldId);
        await(drained, settings.drainTimeout(), SwapStep.AWAIT_DRAINED, oldId, (ignored, failure) -> {
            swap.end(current, failure);
            if (failure == null) {
                drained();
            } else {
                forceOrBury(failure);
            }
        });
    }

    /** The drain failed or timed out: a live instance is forced to stop; a dead one has nothing left to abandon. */
    private void forceOrBury(Throwable cause) {
        if (oldIsDead()) {
            bury();
        } else {
            force(cause);
        }
    }

    private void force(Throwable cause) {
        phase = Phase.FORCING;
        long inFlight = inFlight(old);
        SwapEngine.LOG.warn("instance {} did not drain ({}); forcing it to stop with {} unit(s) in flight", oldId,
                cause.toString(), inFlight);
        if (!cleanup) {
            swap.forced(cause);
        }
        await(Wait.call(old::forceStop, "Lifecycle.forceStop"), settings.forceTimeout(),
                SwapStep.AWAIT_DRAINED, oldId, (count, failure) -> {
                    long units = inFlight;
                    if (failure == null && count != null) {
                        units = count;
                    } else {
                        swap.problem(SwapEngine.describe("force-stop of instance '" + oldId + "' failed; counting its "
                                + inFlight + " unit(s) in flight as abandoned", failure == null
                                ? new IllegalStateException("forceStop completed with null") : failure));
                    }
                    swap.abandoned(Math.max(0, units));
                    drained();
                });
    }

    private static long inFlight(Lifecycle handle) {
        try {
            return Math.max(0, handle.inFlight());
        } catch (RuntimeException e) {
            return 0;
        }
    }

    private void drained() {
        if (oldIsDead()) {
            // Died while being forced: destroyed at once, not held at a blue-green barrier that may never open.
            bury();
            return;
        }
        phase = Phase.DRAINED;
        swap.readyToDestroy(this);
    }

    void destroyOld() {
        phase = Phase.DESTROYING;
        closeWindow();
        oldWatch.pair = null;
        current = swap.begin(SwapStep.DESTROY, oldId);
        await(Wait.call(old::destroy, "Lifecycle.destroy"), settings.destroyTimeout(), SwapStep.DESTROY, oldId,
                (ignored, failure) -> {
                    swap.end(current, failure);
                    if (failure != null) {
                        swap.destroyFailed(oldId, failure);
                    }
                    swap.retired.add(oldId);
                    swap.engine.instanceGone(oldId);
                    if (cleanup) {
                        swap.instanceGone();
                        finishRolledBack();
                    } else if (retireFirst) {
                        // The replacement takes the old instance's place among those alive before the place is
                        // freed, so that no other pair of the run takes it meanwhile.
                        launch();
                        swap.instanceGone();
                    } else {
                        finish();
                        swap.instanceGone();
                    }
                });
    }

    // ---- a dead old instance ----

    /**
     * @return whether the old instance is dead: its {@code failure()} completed, or it is FAILED, or STOPPED (asked
     *     only before this pair destroys it, so a STOPPED instance stopped without the orchestrator)
     */
    private boolean oldIsDead() {
        return old != null && (oldWatch.dead || isDead(old));
    }

    private boolean newIsDead() {
        return fresh != null && (newFailed || watch != null && watch.fired || isDead(fresh));
    }

    private static boolean isDead(Lifecycle instance) {
        LifecycleState state;
        try {
            state = instance.state();
        } catch (RuntimeException e) {
            return false;
        }
        return state == LifecycleState.FAILED || state == LifecycleState.STOPPED;
    }

    /** @return why the old instance is dead, to end the step it died in */
    private InstanceFailedException death() {
        Throwable cause = oldWatch.cause;
        if (cause instanceof InstanceFailedException failed && oldId.equals(failed.instanceId())) {
            return failed;
        }
        return new InstanceFailedException(oldId, "dead (" + stateOf(old) + ")", cause);
    }

    private static String stateOf(Lifecycle instance) {
        try {
            return String.valueOf(instance.state());
        } catch (RuntimeException e) {
            return "state unknown: " + e;
        }
    }

    /** The old instance's {@code failure()} completed: act on it where waiting for it would be pointless. */
    private void oldDied() {
        switch (phase) {
            case DETACHING -> {
                // Waiting for stop-accepting or the propagation delay: neither matters for a corpse. An answer of
                // the router is awaited: its continuation buries the instance.
                if (!routerDetaching) {
                    dropWait();
                    bury();
                }
            }
            case DRAINING -> {
                abortCurrent(death());
                bury();
            }
            default -> {
                // Earlier: seen at step 4. FORCING: bounded, then buried. DRAINED: buried by an abort, else destroyed
                // at once or at the blue-green barrier. Later: nothing left to ask of it.
            }
        }
    }

    /**
     * The old instance is dead, so it is already retired: no stop-accepting, drain or re-admission. It is detached
     * from the router (bounded, unless confirmed already) and destroyed (bounded); its new instance stays. If the new
     * instance is dead too, within the re-admission window, both go.
     */
    private void bury() {
        if (!cleanup && windowOpen && newIsDead() && swap.mayReadmit()) {
            Throwable cause = new InstanceFailedException(newId, "dead (" + stateOf(fresh) + ") beside its dead"
                    + " predecessor " + oldId, null);
            abortCurrent(cause);
            bothFailed(cause);
            return;
        }
        reportDeath();
        phase = Phase.BURYING;
        boolean detachOpen = current != null && !current.ended && current.step == SwapStep.DETACH;
        if (oldDetached) {
            if (detachOpen) {
                swap.end(current, null);
            }
            buried();
            return;
        }
        if (!detachOpen) {
            current = swap.begin(SwapStep.DETACH, oldId);
        }
        await(Wait.call(() -> settings.router().detach(old), "Router.detach"), settings.detachTimeout(),
                SwapStep.DETACH, oldId, (ignored, failure) -> {
                    swap.end(current, failure);
                    oldDetached = failure == null;
                    if (failure != null) {
                        swap.problem(SwapEngine.describe("the router did not detach dead instance '" + oldId
                                + "'; destroying it anyway", failure));
                    }
                    buried();
                });
    }

    private void buried() {
        destroyOld();
        if (!retireFirst && !cleanup) {
            swap.pairFrontDone(this);
        }
    }

    /** Records once, in the result and the log, that the old instance was found dead. */
    private void reportDeath() {
        if (deathReported) {
            return;
        }
        deathReported = true;
        SwapStep step = current != null ? current.step : SwapStep.DETACH;
        InstanceFailedException dead = new InstanceFailedException(oldId, "found dead at " + step + " ("
                + stateOf(old) + "): detached and destroyed, with nothing more asked of it (no re-admission)",
                oldWatch.cause);
        SwapEngine.LOG.warn("instance {} is dead ({}); detaching and destroying it", oldId, stateOf(old));
        swap.problem(dead);
        swap.oldBuried(this);
    }

    /**
     * The new instance failed before its old one was destroyed, and the old one is dead: nothing to re-admit. The
     * new one is rolled back (the group held while it leaves), then the old one is buried.
     */
    private void bothFailed(Throwable cause) {
        newFailed = true;
        failing(cause);
        reportDeath();
        swap.readmissionStarted();
        cleanup = true;
        rollback(cause);
        swap.readmissionEnded();
    }

    // ---- failure, re-admission, rollback ----

    private void newFailed(Throwable failure) {
        if (newFailed) {
            return;
        }
        newFailed = true;
        Throwable cause = failure instanceof InstanceFailedException ? failure
                : new InstanceFailedException(newId, failure == null ? "failed" : "failed: " + failure, failure);
        switch (phase) {
            case AWAITING_READY, ATTACHING, VERIFYING, ATTACHED -> {
                abortCurrent(cause);
                rollback(cause);
            }
            case DETACHING, DRAINING, FORCING, DRAINED, BURYING -> {
                if (windowOpen && swap.mayReadmit()) {
                    abortCurrent(cause);
                    if (oldIsDead()) {
                        bothFailed(cause);
                    } else {
                        readmit(cause);
                    }
                } else {
                    SwapEngine.LOG.warn("instance {} failed after a later swap started; not re-admitting {}", newId,
                            oldId, cause);
                }
            }
            // Already on its way out (several new instances of a start or heal fail together when their broker
            // is down): the failure changes nothing, and is in the run's result through the first one.
            case ROLLING_BACK, READMITTING -> SwapEngine.LOG.debug("instance {} failed while it was rolled back: {}",
                    newId, cause.toString());
            default -> {
                if (oldId == null) {
                    SwapEngine.LOG.warn("instance {} failed after its start ended", newId, cause);
                } else {
                    SwapEngine.LOG.warn("instance {} failed after its predecessor {} was retired", newId, oldId, cause);
                }
            }
        }
    }

    /** A blue-green plan rolls back: this pair undoes what it did. */
    void abort(Throwable cause) {
        switch (phase) {
            case LAUNCHING -> {
                abortCurrent(cause);
                destroyIfItArrivesLate();
                noInstance(cause);
            }
            case AWAITING_READY, ATTACHING, VERIFYING -> {
                abortCurrent(cause);
                rollback(cause);
            }
            case ATTACHED -> {
                if (oldIsDead()) {
                    // Nothing to return to in the dead old instance's place: the new one stays, the old one goes.
                    detachOld();
                } else {
                    abortCurrent(cause);
                    rollback(cause);
                }
            }
            case DETACHING, DRAINING, FORCING, DRAINED -> {
                if (oldIsDead()) {
                    // Nothing to re-admit: the new instance stays. The old one is buried as its own steps find it
                    // dead; one waiting at the blue-green barrier (which a rollback never opens), now.
                    if (phase == Phase.DRAINED) {
                        bury();
                    }
                } else if (windowOpen && swap.mayReadmit()) {
                    abortCurrent(cause);
                    readmit(cause);
                }
            }
            default -> {
                // NEW cannot be aborted (it has done nothing); BURYING goes on (the new instance stays); DESTROYING
                // and later are past the point of return.
            }
        }
    }

    private void failing(Throwable cause) {
        if (!failing) {
            failing = true;
            swap.pairFailing(this, cause);
        }
    }

    private void readmit(Throwable cause) {
        failing(cause);
        rollbackCause = cause;
        phase = Phase.READMITTING;
        windowOpen = false;
        swap.readmissionStarted();
        current = swap.begin(SwapStep.READMIT, oldId);
        if (oldIsDead()) {
            readmitFailed(death());
            return;
        }
        await(Wait.call(old::resumeAccepting, "Lifecycle.resumeAccepting"), settings.attachTimeout(),
                SwapStep.READMIT, oldId, (ignored, failure) -> {
                    if (failure != null) {
                        readmitFailed(oldIsDead() ? death() : failure);
                        return;
                    }
                    oldDetached = false;
                    await(Wait.call(() -> settings.router().attach(old), "Router.attach"), settings.attachTimeout(),
                            SwapStep.READMIT, oldId, (ignoredToo, attachFailure) -> {
                                if (attachFailure == null && oldIsDead()) {
                                    attachFailure = death();
                                }
                                if (attachFailure != null) {
                                    undoReattach(attachFailure);
                                    return;
                                }
                                swap.end(current, null);
                                swap.engine.addMember(oldId, old);
                                SwapEngine.LOG.info("instance {} re-admitted", oldId);
                                afterReadmit();
                            });
                });
    }

    /**
     * The re-attach failed or timed out, but may still take effect: detach the old instance again (bounded) before
     * it is drained and destroyed, so the router is not left routing to it.
     */
    private void undoReattach(Throwable failure) {
        await(Wait.call(() -> settings.router().detach(old), "Router.detach"), settings.detachTimeout(),
                SwapStep.READMIT, oldId, (ignored, detachFailure) -> {
                    if (detachFailure != null) {
                        failure.addSuppressed(detachFailure);
                    } else {
                        oldDetached = true;
                    }
                    readmitFailed(failure);
                });
    }

    private void readmitFailed(Throwable failure) {
        swap.end(current, failure);
        swap.problem(SwapEngine.describe("re-admission of instance '" + oldId + "' failed; it is "
                + (oldIsDead() ? "dead, and destroyed" : "drained and destroyed") + " instead", failure));
        cleanup = true;
        afterReadmit();
    }

    private void afterReadmit() {
        if (fresh != null) {
            // Takes the new instance out of the group before the group goes to a waiting swap (the rollback's
            // steps are asynchronous).
            rollback(rollbackCause);
            swap.readmissionEnded();
        } else {
            swap.readmissionEnded();
            afterRollback();
        }
    }

    private void rollback(Throwable cause) {
        failing(cause);
        rollbackCause = cause;
        phase = Phase.ROLLING_BACK;
        closeWindow();
        swap.engine.removeMember(newId);
        current = swap.begin(SwapStep.ROLLBACK, newId);
        if (!attachCalled) {
            destroyNew();
            return;
        }
        await(Wait.call(() -> settings.router().detach(fresh), "Router.detach"), settings.detachTimeout(),
                SwapStep.ROLLBACK, newId, (ignored, failure) -> {
                    if (failure != null) {
                        rollbackProblem(failure);
                    }
                    if (newIsDead()) {
                        destroyNew();
                    } else {
                        afterPropagationDelay(() -> afterSettled(fresh, newId, SwapStep.ROLLBACK, this::drainNew));
                    }
                });
    }

    /** A rolled-back new instance that may have served work drains it first, so nothing is lost. */
    private void drainNew() {
        CompletionStage<Void> drained;
        try {
            drained = Objects.requireNonNull(fresh.drain(), "Lifecycle.drain returned null");
        } catch (RuntimeException e) {
            rollbackProblem(e);
            destroyNew();
            return;
        }
        await(drained, settings.drainTimeout(), SwapStep.ROLLBACK, newId, (ignored, failure) -> {
            if (failure == null) {
                destroyNew();
                return;
            }
            long inFlight = inFlight(fresh);
            await(Wait.call(fresh::forceStop, "Lifecycle.forceStop"), settings.forceTimeout(),
                    SwapStep.ROLLBACK, newId, (count, forceFailure) -> {
                        if (forceFailure != null) {
                            rollbackProblem(forceFailure);
                        }
                        swap.abandoned(Math.max(0, forceFailure == null && count != null ? count : inFlight));
                        destroyNew();
                    });
        });
    }

    private void destroyNew() {
        await(Wait.call(fresh::destroy, "Lifecycle.destroy"), settings.destroyTimeout(), SwapStep.ROLLBACK,
                newId, (ignored, failure) -> {
                    if (failure != null) {
                        swap.destroyFailed(newId, failure);
                        if (rollbackFailure == null) {
                            rollbackFailure = failure;
                        }
                    }
                    swap.end(current, rollbackFailure);
                    swap.engine.instanceGone(newId);
                    swap.instanceGone();
                    afterRollback();
                });
    }

    private void rollbackProblem(Throwable failure) {
        if (rollbackFailure == null) {
            rollbackFailure = failure;
        }
        swap.problem(failure);
    }

    private void afterRollback() {
        if (cleanup && oldIsDead()) {
            bury();
        } else if (cleanup) {
            drain();
        } else {
            finishRolledBack();
        }
    }

    private void finishRolledBack() {
        finish();
        swap.pairFrontDone(this);
    }

    private void finish() {
        phase = Phase.DONE;
        closeWindow();
        if (oldWatch != null) {
            oldWatch.pair = null;
        }
        swap.pairFinished();
    }

    void closeWindow() {
        windowOpen = false;
        if (watch != null && phase != Phase.AWAITING_READY && phase != Phase.ATTACHING
                && phase != Phase.VERIFYING && phase != Phase.ATTACHED) {
            watch.pair = null;
        }
    }

    // ---- plumbing ----

    private <T> void await(CompletionStage<T> stage, Duration timeout, SwapStep step, String instanceId,
                           BiConsumer<T, Throwable> then) {
        int token = ++generation;
        wait = Wait.on(swap, stage, timeout, step, instanceId, (value, failure) -> {
            if (token == generation) {
                wait = null;
                then.accept(value, failure);
            }
        });
    }

    private void abortCurrent(Throwable cause) {
        dropWait();
        if (current != null) {
            swap.end(current, cause);
        }
    }

    /** Drops the wait in progress (its continuation never runs), leaving its step open. */
    private void dropWait() {
        generation++;
        if (wait != null) {
            wait.cancel();
            wait = null;
        }
    }

    /** Hands a new instance's failure to its pair, until the pair lets go (window closed). */
    private static final class FailureWatch {
        volatile Pair pair;
        volatile boolean fired;

        FailureWatch(Pair pair) {
            this.pair = pair;
        }

        void fire(Throwable cause) {
            fired = true;
            Pair target = pair;
            if (target != null) {
                Throwable unwrapped = cause == null ? null : Wait.unwrap(cause);
                target.swap.execute(() -> target.newFailed(unwrapped));
            }
        }
    }

    /**
     * Watches an old instance's {@code failure()} from the start of its pair: records the death (read by
     * {@link #oldIsDead()}) and hands it to the pair until the pair lets go (its destroy started, or it finished).
     */
    private static final class OldWatch {
        volatile Pair pair;
        volatile boolean dead;
        volatile Throwable cause;

        private OldWatch(Pair pair) {
            this.pair = pair;
        }

        static OldWatch watch(Pair pair, Lifecycle old) {
            OldWatch watch = new OldWatch(pair);
            CompletionStage<Void> failure;
            try {
                failure = Objects.requireNonNull(old.failure(), "Lifecycle.failure returned null");
            } catch (RuntimeException e) {
                // Unlike a new instance, an old one that cannot be watched is not taken for dead: its steps tell.
                SwapEngine.LOG.warn("cannot watch instance {} for failures", SwapEngine.idOf(old), e);
                return watch;
            }
            failure.whenComplete((ignored, failed) -> watch.fire(failed));
            return watch;
        }

        void fire(Throwable failed) {
            cause = failed == null ? null : Wait.unwrap(failed);
            dead = true;
            Pair target = pair;
            if (target != null) {
                target.swap.execute(target::oldDied);
            }
        }
    }
}
