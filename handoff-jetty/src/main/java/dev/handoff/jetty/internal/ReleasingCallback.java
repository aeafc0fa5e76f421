package dev.handoff.jetty.internal;

import java.util.concurrent.atomic.AtomicIntegerFieldUpdater;

import org.eclipse.jetty.util.Callback;

/**
 * A handler's callback wrapped so that something counted for the request is released exactly once: when the
 * wrapped callback succeeds or fails (after it has been completed), or when the handler calls {@link #release()}
 * itself (it threw, or did not handle the request), whichever comes first and from whatever thread. Not API.
 */
public abstract class ReleasingCallback implements Callback {

    private static final AtomicIntegerFieldUpdater<ReleasingCallback> RELEASED =
            AtomicIntegerFieldUpdater.newUpdater(ReleasingCallback.class, "released");

    private final Callback delegate;
    private volatile int released;

    /** @param delegate the callback Jetty gave the handler */
    protected ReleasingCallback(Callback delegate) {
        this.delegate = delegate;
    }

    /** Runs {@link #onRelease()} unless it already ran. */
    public final void release() {
        if (RELEASED.compareAndSet(this, 0, 1)) {
            onRelease();
        }
    }

    /** Releases what was counted for the request; runs once. */
    protected abstract void onRelease();

    @Override
    public final void succeeded() {
        try {
            delegate.succeeded();
        } finally {
            release();
        }
    }

    @Override
    public final void failed(Throwable failure) {
        try {
            delegate.failed(failure);
        } finally {
            release();
        }
    }

    @Override
    public final InvocationType getInvocationType() {
        return delegate.getInvocationType();
    }
}
