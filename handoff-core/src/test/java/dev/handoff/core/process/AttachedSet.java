package dev.handoff.core.process;

import dev.handoff.api.Lifecycle;
import dev.handoff.api.spi.Router;

import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentHashMap;

/** A router for child-process tests: attaches and detaches at once, remembering which instances are attached. */
final class AttachedSet implements Router {
    final Set<String> attached = ConcurrentHashMap.newKeySet();

    @Override
    public CompletionStage<Void> attach(Lifecycle instance) {
        attached.add(instance.id());
        return CompletableFuture.completedFuture(null);
    }

    @Override
    public CompletionStage<Void> detach(Lifecycle instance) {
        attached.remove(instance.id());
        return CompletableFuture.completedFuture(null);
    }

    @Override
    public CompletionStage<Void> settled(Lifecycle instance) {
        return CompletableFuture.completedFuture(null);
    }
}
