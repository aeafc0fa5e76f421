package dev.handoff.jetty;

import dev.handoff.api.Lifecycle;
import dev.handoff.api.LifecycleState;
import dev.handoff.core.InFlightTracker;
import dev.handoff.jetty.internal.Probes;
import dev.handoff.jetty.internal.ReleasingCallback;

import java.util.Objects;

import org.eclipse.jetty.http.HttpField;
import org.eclipse.jetty.http.HttpHeader;
import org.eclipse.jetty.http.HttpHeaderValue;
import org.eclipse.jetty.http.HttpVersion;
import org.eclipse.jetty.http.PreEncodedHttpField;
import org.eclipse.jetty.server.Handler;
import org.eclipse.jetty.server.Request;
import org.eclipse.jetty.server.Response;
import org.eclipse.jetty.util.Callback;

/**
 * The application-side Jetty handler of a swap: it counts every request it sees in an {@link InFlightTracker} and
 * releases it when the response is complete (the handler's callback succeeded or failed, whichever thread does
 * it, so asynchronous and streamed responses are counted until their last byte is handed to Jetty).
 *
 * <p><b>Never a 503.</b> A request that reaches this handler is always passed on to the application. It is counted
 * <em>before</em> any flag is read, so a concurrent close of the intake either sees it or leaves it to be counted
 * as a <em>late</em> request (see below); nothing slips past the drain signal. While the lifecycle is not READY or
 * STARTING (draining, drained, stopped), HTTP/1.x responses carry {@code Connection: close}, so that a keep-alive
 * client opens its next connection elsewhere.
 *
 * <p><b>Late requests.</b> Once the intake is closed ({@link Lifecycle#drain()} closed {@code requests}), a request
 * can still arrive on a keep-alive connection that the router no longer feeds but that the client has not closed
 * yet. It is served, and counted in a second tracker, {@code lateRequests}, that the lifecycle never closes.
 * {@link JettyHandoff#drain()} completes only when the intake has drained, every application connection is closed
 * (a closed connection can bring no further request) and {@code lateRequests} is empty, in that order of checks.
 *
 * <p><b>Probes.</b> Installed by {@link JettyHandoff}, this handler also answers the readiness and liveness probes
 * (and nothing else on the management connector) before it counts anything, so that handoff adds one handler level
 * to Jetty's request path, not two; probes are not counted as requests.
 *
 * <p><b>Hot path.</b> One admission on a striped counter, one volatile read of the state, one small callback
 * wrapper per request; no lock. Thread-safe.
 */
public final class HandoffHandler extends Handler.Wrapper {

    private static final HttpField CONNECTION_CLOSE =
            new PreEncodedHttpField(HttpHeader.CONNECTION, HttpHeaderValue.CLOSE.asString());

    private final Lifecycle lifecycle;
    private final InFlightTracker requests;
    private final InFlightTracker lateRequests;
    private final Runnable afterLateRequest;
    private final Probes probes;

    /**
     * @param lifecycle        the instance's lifecycle, read for its state (never changed here)
     * @param requests         the intake's tracker, registered with {@code lifecycle} so that its drain closes it
     * @param lateRequests     counts requests that arrive after {@code requests} closed; must never be closed
     *                         (a request it refused would be served uncounted)
     * @param afterLateRequest run after each late request is released (the drain checks whether it is done)
     * @throws NullPointerException when an argument is null
     */
    public HandoffHandler(Lifecycle lifecycle, InFlightTracker requests, InFlightTracker lateRequests,
                          Runnable afterLateRequest) {
        this(lifecycle, requests, lateRequests, afterLateRequest, null);
    }

    /** As the public constructor, with the probes to answer ahead of the application (null: none). */
    HandoffHandler(Lifecycle lifecycle, InFlightTracker requests, InFlightTracker lateRequests,
                   Runnable afterLateRequest, Probes probes) {
        this.probes = probes;
        this.lifecycle = Objects.requireNonNull(lifecycle, "lifecycle must not be null");
        this.requests = Objects.requireNonNull(requests, "requests must not be null");
        this.lateRequests = Objects.requireNonNull(lateRequests, "lateRequests must not be null");
        this.afterLateRequest = Objects.requireNonNull(afterLateRequest, "afterLateRequest must not be null");
    }

    @Override
    public boolean handle(Request request, Response response, Callback callback) throws Exception {
        if (probes != null && probes.handle(request, response, callback)) {
            return true;
        }
        InFlightTracker tracker = requests;
        Runnable after = null;
        int permit = tracker.tryAdmit();
        if (permit == InFlightTracker.REFUSED) {
            tracker = lateRequests;
            after = afterLateRequest;
            permit = tracker.tryAdmit();
            if (permit == InFlightTracker.REFUSED) {
                // Only if the owner closed lateRequests, against this class's contract: still never refuse.
                tracker = null;
            }
        }
        LifecycleState state = lifecycle.state();
        if (state != LifecycleState.READY && state != LifecycleState.STARTING && isHttp1(request)) {
            response.getHeaders().put(CONNECTION_CLOSE);
        }
        if (tracker == null) {
            return super.handle(request, response, callback);
        }
        Releasing releasing = new Releasing(callback, tracker, permit, after);
        boolean handled;
        try {
            handled = super.handle(request, response, releasing);
        } catch (Throwable failure) {
            // Jetty fails its own callback, not ours: release here (once) and let Jetty answer.
            releasing.release();
            throw failure;
        }
        if (!handled) {
            releasing.release();
        }
        return handled;
    }

    private static boolean isHttp1(Request request) {
        HttpVersion version = request.getConnectionMetaData().getHttpVersion();
        return version == HttpVersion.HTTP_1_1 || version == HttpVersion.HTTP_1_0;
    }

    /** @return requests admitted to the intake and not yet complete */
    public long inFlight() {
        return requests.inFlight();
    }

    /** @return requests that arrived after the intake closed and are not yet complete */
    public long lateInFlight() {
        return lateRequests.inFlight();
    }

    /** Completes the application's callback and releases the request's permit exactly once. */
    private static final class Releasing extends ReleasingCallback {
        private final InFlightTracker tracker;
        private final int permit;
        private final Runnable after;

        Releasing(Callback delegate, InFlightTracker tracker, int permit, Runnable after) {
            super(delegate);
            this.tracker = tracker;
            this.permit = permit;
            this.after = after;
        }

        @Override
        protected void onRelease() {
            tracker.release(permit);
            if (after != null) {
                after.run();
            }
        }
    }
}
