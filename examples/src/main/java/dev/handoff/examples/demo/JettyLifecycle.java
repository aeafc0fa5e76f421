package dev.handoff.examples.demo;

import dev.handoff.api.Lifecycle;
import dev.handoff.core.ForwardingLifecycle;
import dev.handoff.jetty.JettyHandoff;
import java.util.concurrent.CompletionStage;

/**
 * The {@link Lifecycle} a child JVM's agent drives, for a Jetty server: the state and readiness are the
 * {@link JettyHandoff}'s lifecycle, but stop-accepting, re-admission and drain go through the {@link JettyHandoff}
 * itself, so that they also move the clients' connections (Connection: close, idle connections closed) and the
 * drain waits for the last application connection, as they do for an in-process {@code JettyInstance}.
 * Thread-safe (every call delegates to thread-safe objects).
 */
final class JettyLifecycle extends ForwardingLifecycle {

    private final JettyHandoff handoff;

    /** @param handoff the handoff installed into the child's server */
    JettyLifecycle(JettyHandoff handoff) {
        super(handoff.lifecycle());
        this.handoff = handoff;
    }

    @Override
    public void stopAccepting() {
        handoff.stopAccepting();
    }

    @Override
    public void resumeAccepting() {
        handoff.resumeAccepting();
    }

    @Override
    public CompletionStage<Void> drain() {
        return handoff.drain();
    }

    @Override
    public long inFlight() {
        return handoff.inFlight();
    }
}
