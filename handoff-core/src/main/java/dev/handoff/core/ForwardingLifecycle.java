package dev.handoff.core;

import dev.handoff.api.Lifecycle;
import dev.handoff.api.LifecycleListener;
import dev.handoff.api.LifecycleState;
import java.util.Objects;
import java.util.concurrent.CompletionStage;

/**
 * A {@link Lifecycle} that forwards every call to another one. Extend it to change a few calls of a lifecycle
 * (typically stop-accepting, re-admission and drain, so that they also move an adapter's own intake) and keep
 * the rest: override only what differs.
 *
 * <p>Thread-safety: that of the delegate (and of the overriding methods); this class adds no state of its own.
 */
public abstract class ForwardingLifecycle implements Lifecycle {

    private final Lifecycle delegate;

    /**
     * @param delegate the lifecycle every method not overridden forwards to
     * @throws NullPointerException when {@code delegate} is null
     */
    protected ForwardingLifecycle(Lifecycle delegate) {
        this.delegate = Objects.requireNonNull(delegate, "delegate must not be null");
    }

    @Override
    public LifecycleState state() {
        return delegate.state();
    }

    @Override
    public boolean isReady() {
        return delegate.isReady();
    }

    @Override
    public CompletionStage<Void> whenReady() {
        return delegate.whenReady();
    }

    @Override
    public void stopAccepting() {
        delegate.stopAccepting();
    }

    @Override
    public void resumeAccepting() {
        delegate.resumeAccepting();
    }

    @Override
    public CompletionStage<Void> drain() {
        return delegate.drain();
    }

    @Override
    public long inFlight() {
        return delegate.inFlight();
    }

    @Override
    public void addListener(LifecycleListener listener) {
        delegate.addListener(listener);
    }

    @Override
    public void removeListener(LifecycleListener listener) {
        delegate.removeListener(listener);
    }
}
