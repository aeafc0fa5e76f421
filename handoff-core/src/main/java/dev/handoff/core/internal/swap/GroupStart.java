package dev.handoff.core.internal.swap;

import dev.handoff.api.HandoffException;
import dev.handoff.api.SwapStep;
import dev.handoff.api.Lifecycle;
import dev.handoff.core.Scheduler;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;

/**
 * The start of a group's first instances: each launched, readied and attached under the same deadlines as a swap's
 * steps 1 to 3, all at once. All or nothing: when one fails, the others are detached and destroyed.
 *
 * <p>Not API. Confined to the serial executor.
 */
final class GroupStart implements Wait.Context {
    private final SwapEngine engine;
    private final Settings settings;
    private final String id;
    private final int count;
    private final CompletableFuture<List<Lifecycle>> result = new CompletableFuture<>();
    private final Lifecycle[] handles;
    private final boolean[] attached;
    private final String[] ids;
    private final List<Throwable> failures = new ArrayList<>();
    private int pending;

    GroupStart(SwapEngine engine, String id, int count) {
        this.engine = engine;
        this.settings = engine.settings;
        this.id = id;
        this.count = count;
        this.handles = new Lifecycle[count];
        this.attached = new boolean[count];
        this.ids = new String[count];
    }

    String id() {
        return id;
    }

    CompletableFuture<List<Lifecycle>> result() {
        return result;
    }

    @Override
    public Scheduler scheduler() {
        return settings.scheduler();
    }

    @Override
    public void execute(Runnable task) {
        engine.serial.execute(id, task);
    }

    void run() {
        pending = count;
        for (int i = 0; i < count; i++) {
            int index = i;
            String instanceId = engine.reserveId();
            ids[index] = instanceId;
            CompletionStage<Lifecycle> launch = Wait.call(() -> settings.launcher().launch(instanceId),
                    "Launcher.launch");
            Wait.on(this, launch, settings.launchTimeout(), SwapStep.LAUNCH, instanceId, (handle, failure) -> {
                if (failure == null && handle != null && !instanceId.equals(SwapEngine.idOf(handle))) {
                    failure = new IllegalStateException("the launcher returned an instance with id '"
                            + SwapEngine.idOf(handle) + "' when asked for '" + instanceId + "'");
                    handles[index] = handle;
                } else if (failure == null && handle == null) {
                    failure = new IllegalStateException("the launcher completed with null for '" + instanceId + "'");
                }
                if (failure != null) {
                    launch.thenAccept(late -> {
                        if (late != null && handles[index] == null) {
                            execute(() -> engine.destroyLate(this, late, instanceId));
                        }
                    });
                    done(failure);
                    return;
                }
                handles[index] = handle;
                awaitReadyAndAttach(index);
            });
        }
    }

    private void awaitReadyAndAttach(int index) {
        Lifecycle handle = handles[index];
        Wait.on(this, Wait.call(handle::whenReady, "Lifecycle.whenReady"), settings.readyTimeout(),
                SwapStep.AWAIT_READY, ids[index], (ignored, failure) -> {
                    if (failure != null) {
                        done(failure);
                        return;
                    }
                    attached[index] = true;
                    Wait.on(this, Wait.call(() -> settings.router().attach(handle), "Router.attach"),
                            settings.attachTimeout(), SwapStep.ATTACH, ids[index], (ignoredToo, attachFailure) ->
                                    done(attachFailure));
                });
    }

    private void done(Throwable failure) {
        if (failure != null) {
            failures.add(failure);
        }
        if (--pending > 0) {
            return;
        }
        if (failures.isEmpty()) {
            List<Lifecycle> started = List.of(handles);
            SwapEngine.LOG.info("group '{}' started with {} instance(s)", settings.group(), count);
            engine.startEnded(started);
            result.complete(started);
            return;
        }
        undo();
    }

    private void undo() {
        Throwable first = failures.get(0);
        HandoffException failure = SwapEngine.describe("starting group '" + settings.group() + "' failed", first);
        failures.stream().skip(1).forEach(failure::addSuppressed);
        SwapEngine.LOG.error("starting group '{}' failed; destroying the instances that started", settings.group(),
                first);
        long toUndo = Arrays.stream(handles).filter(h -> h != null).count();
        int[] remaining = {(int) toUndo};
        if (toUndo == 0) {
            finishFailed(failure);
            return;
        }
        for (int i = 0; i < count; i++) {
            Lifecycle handle = handles[i];
            if (handle == null) {
                engine.instanceGone(ids[i]);
                continue;
            }
            String instanceId = ids[i];
            Runnable destroy = () -> Wait.on(this, Wait.call(handle::destroy, "Lifecycle.destroy"),
                    settings.destroyTimeout(), SwapStep.ROLLBACK, instanceId, (ignored, destroyFailure) -> {
                        if (destroyFailure != null) {
                            engine.metrics.destroyFailed();
                            SwapEngine.LOG.error("destroy of instance {} failed", instanceId, destroyFailure);
                            failure.addSuppressed(destroyFailure);
                        }
                        engine.instanceGone(instanceId);
                        if (--remaining[0] == 0) {
                            finishFailed(failure);
                        }
                    });
            if (attached[i]) {
                Wait.on(this, Wait.call(() -> settings.router().detach(handle), "Router.detach"),
                        settings.detachTimeout(), SwapStep.ROLLBACK, instanceId, (ignored, detachFailure) -> {
                            if (detachFailure != null) {
                                failure.addSuppressed(detachFailure);
                            }
                            destroy.run();
                        });
            } else {
                destroy.run();
            }
        }
    }

    private void finishFailed(HandoffException failure) {
        engine.startEnded(List.of());
        result.completeExceptionally(failure);
    }
}
