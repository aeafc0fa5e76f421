package dev.handoff.spring.boot.internal;

import dev.handoff.api.Lifecycle;
import dev.handoff.core.HandoffMetrics;
import dev.handoff.core.InFlightTracker;
import dev.handoff.spring.boot.DrainParticipant;

import java.time.Duration;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The embedded web server in the drain: on stop-accepting, clients are told to leave (the filter's
 * {@code Connection: close}, the server's idle connections closed and GOAWAY sent, again on every sweep); the drain
 * ends the streaming responses (their clients reconnect elsewhere) and completes when no late request runs; a
 * forced stop cuts every connection. Not API. Thread-safe.
 */
public final class WebParticipant implements DrainParticipant {

    private static final Logger LOG = LoggerFactory.getLogger(WebParticipant.class);

    private final RequestTrackingFilter filter;
    private final long sweepMillis;
    private volatile ServerConnections connections;
    private final Object lock = new Object();
    private ScheduledExecutorService sweeper;
    private ScheduledFuture<?> sweep;
    private CompletableFuture<Void> drain;

    /**
     * @param lifecycle     the instance, whose state decides {@code Connection: close}
     * @param requests      the instance's tracker of requests
     * @param idleThreshold the idle threshold of the connections; sweeps run every half of it
     */
    public WebParticipant(Lifecycle lifecycle, InFlightTracker requests, Duration idleThreshold) {
        this.filter = new RequestTrackingFilter(lifecycle, requests,
                InFlightTracker.create(HandoffMetrics.TRACKER_LATE_REQUESTS), this::checkDrained);
        this.sweepMillis = Math.max(10, idleThreshold.toMillis() / 2);
    }

    /** @param serverConnections the connections of the web server, once it has started */
    public void connections(ServerConnections serverConnections) {
        this.connections = serverConnections;
    }

    /** @return the connections of the web server; null before it started */
    public ServerConnections connections() {
        return connections;
    }

    /** @return the filter */
    public RequestTrackingFilter filter() {
        return filter;
    }

    @Override
    public String name() {
        return "web";
    }

    @Override
    public int order() {
        return 0;
    }

    @Override
    public CompletionStage<Void> stopAccepting() {
        ServerConnections current = connections;
        if (current != null) {
            current.tellClientsToLeave();
            synchronized (lock) {
                if (sweeper == null) {
                    sweeper = Executors.newSingleThreadScheduledExecutor(runnable -> {
                        Thread thread = new Thread(runnable, "handoff-web-sweep");
                        thread.setDaemon(true);
                        return thread;
                    });
                }
                if (sweep == null) {
                    sweep = sweeper.scheduleWithFixedDelay(this::sweep, sweepMillis, sweepMillis,
                            TimeUnit.MILLISECONDS);
                }
            }
        }
        return CompletableFuture.completedFuture(null);
    }

    private void sweep() {
        ServerConnections current = connections;
        try {
            if (current != null) {
                current.tellClientsToLeave();
            }
            boolean draining;
            synchronized (lock) {
                draining = drain != null;
            }
            if (draining) {
                filter.endStreams();
            }
        } catch (RuntimeException e) {
            LOG.warn("sweep of the {} connections failed; retrying", current == null ? "web" : current.kind(), e);
        }
    }

    @Override
    public void resumeAccepting() {
        stopSweeping();
        ServerConnections current = connections;
        if (current != null) {
            current.resumeKeepAlive();
        }
        synchronized (lock) {
            if (drain != null && !drain.isDone()) {
                drain.cancel(false);
            }
            drain = null;
        }
    }

    private void stopSweeping() {
        synchronized (lock) {
            if (sweep != null) {
                sweep.cancel(false);
                sweep = null;
            }
        }
    }

    @Override
    public CompletionStage<Void> drain() {
        CompletableFuture<Void> current;
        synchronized (lock) {
            if (drain == null) {
                drain = new CompletableFuture<>();
            }
            current = drain;
        }
        int ended = filter.endStreams();
        if (ended > 0) {
            LOG.info("ended {} streaming response(s); their clients reconnect elsewhere", ended);
        }
        checkDrained();
        return current;
    }

    /** Completes the drain once no late request runs; called after each late request too. */
    public void checkDrained() {
        CompletableFuture<Void> current;
        synchronized (lock) {
            current = drain;
        }
        if (current != null && !current.isDone() && filter.lateInFlight() == 0) {
            current.complete(null);
        }
    }

    @Override
    public Map<String, Long> inFlightByName() {
        return filter.inFlightByName();
    }

    @Override
    public void forceStop() {
        stopSweeping();
        filter.completeAll();
        ServerConnections current = connections;
        if (current != null) {
            current.closeAll();
        }
    }

    /** Stops the sweeper thread (the context closes). */
    public void close() {
        synchronized (lock) {
            stopSweeping();
            if (sweeper != null) {
                sweeper.shutdownNow();
                sweeper = null;
            }
        }
    }
}
