package dev.handoff.spring.boot.internal;

import dev.handoff.api.Lifecycle;
import dev.handoff.api.LifecycleState;
import dev.handoff.core.InFlightTracker;

import jakarta.servlet.AsyncContext;
import jakarta.servlet.AsyncEvent;
import jakarta.servlet.AsyncListener;
import jakarta.servlet.Filter;
import jakarta.servlet.FilterChain;
import jakarta.servlet.ServletException;
import jakarta.servlet.ServletRequest;
import jakarta.servlet.ServletResponse;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;

import java.io.IOException;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Counts every request of the application in the instance's {@code requests} tracker, before anything else runs
 * (the first filter), and never refuses one: once the drain closed that tracker, a request that still arrives (on a
 * keep-alive connection, or a probe) is served and counted in {@code late-requests}, which is never closed. While
 * the instance is not READY every HTTP/1.x response says {@code Connection: close}.
 *
 * <p>Hot path: one {@link InFlightTracker#tryAdmit()}, one volatile read of the state, one thread-local slot
 * written and cleared (the request it runs, listed by name at a drain deadline); no lock, no allocation. A request
 * that goes asynchronous (a stream, a deferred result) is released when it completes, and is registered while it
 * runs, on the cold path, so that the drain can end the streams.
 */
public final class RequestTrackingFilter implements Filter {

    private static final ThreadLocal<Slot> SLOT = new ThreadLocal<>();

    private final Lifecycle lifecycle;
    private final InFlightTracker requests;
    private final InFlightTracker lateRequests;
    private final Runnable afterLateRequest;
    private final List<Slot> slots = new CopyOnWriteArrayList<>();
    private final Set<AsyncRequest> asyncRequests = ConcurrentHashMap.newKeySet();
    private final AtomicLong streamsEnded = new AtomicLong();

    /**
     * @param lifecycle        whose state decides {@code Connection: close}
     * @param requests         the instance's intake
     * @param lateRequests     counts requests after the intake closed; never closed
     * @param afterLateRequest run after each late request (the drain checks whether it is done)
     */
    public RequestTrackingFilter(Lifecycle lifecycle, InFlightTracker requests, InFlightTracker lateRequests,
                                 Runnable afterLateRequest) {
        this.lifecycle = Objects.requireNonNull(lifecycle, "lifecycle must not be null");
        this.requests = Objects.requireNonNull(requests, "requests must not be null");
        this.lateRequests = Objects.requireNonNull(lateRequests, "lateRequests must not be null");
        this.afterLateRequest = Objects.requireNonNull(afterLateRequest, "afterLateRequest must not be null");
    }

    @Override
    public void doFilter(ServletRequest request, ServletResponse response, FilterChain chain)
            throws IOException, ServletException {
        InFlightTracker tracker = requests;
        int permit = tracker.tryAdmit();
        if (permit == InFlightTracker.REFUSED) {
            tracker = lateRequests;
            permit = tracker.tryAdmit();
            if (permit == InFlightTracker.REFUSED) {
                chain.doFilter(request, response);
                return;
            }
        }
        LifecycleState state = lifecycle.state();
        if (state != LifecycleState.READY && state != LifecycleState.STARTING
                && response instanceof HttpServletResponse http && request.getProtocol().startsWith("HTTP/1")) {
            http.setHeader("Connection", "close");
        }
        Slot slot = slot();
        slot.request = request;
        boolean async = false;
        try {
            chain.doFilter(request, response);
            if (request.isAsyncStarted()) {
                async = true;
                track(request.getAsyncContext(), tracker, permit);
            }
        } finally {
            slot.request = null;
            if (!async) {
                release(tracker, permit);
            }
        }
    }

    private Slot slot() {
        Slot slot = SLOT.get();
        if (slot == null || slot.owner != this) {
            slot = new Slot(this);
            SLOT.set(slot);
            slots.add(slot);
        }
        return slot;
    }

    private void release(InFlightTracker tracker, int permit) {
        tracker.release(permit);
        if (tracker == lateRequests) {
            afterLateRequest.run();
        }
    }

    private void track(AsyncContext context, InFlightTracker tracker, int permit) {
        AsyncRequest async = new AsyncRequest(context, tracker, permit);
        asyncRequests.add(async);
        context.addListener(async);
    }

    /** @return requests that arrived after the intake closed and are not yet complete */
    public long lateInFlight() {
        return lateRequests.inFlight();
    }

    /** @return asynchronous requests (streams, deferred results) running now */
    public int asyncInFlight() {
        return asyncRequests.size();
    }

    /** @return streams this filter ended at a drain */
    public long streamsEnded() {
        return streamsEnded.get();
    }

    /**
     * Ends the streaming responses: asynchronous requests whose response is committed (an SSE stream, a chunked
     * download) are completed, so that their clients reconnect elsewhere; asynchronous requests that have not
     * answered yet are left to finish.
     *
     * @return the number of streams ended
     */
    public int endStreams() {
        int ended = 0;
        for (AsyncRequest async : asyncRequests) {
            try {
                // A stream is ended once: it stays registered until the container reports its completion.
                if (async.context.getResponse().isCommitted() && async.ended.compareAndSet(false, true)) {
                    async.context.complete();
                    ended++;
                }
            } catch (IllegalStateException e) {
                // Completed meanwhile: its listener releases it.
            }
        }
        streamsEnded.addAndGet(ended);
        return ended;
    }

    /** Completes every asynchronous request still running (a forced stop). */
    public void completeAll() {
        for (AsyncRequest async : asyncRequests) {
            try {
                async.context.complete();
            } catch (IllegalStateException e) {
                // Completed meanwhile.
            }
        }
    }

    /** @return the requests running now, by method and path, and count; read on the cold path */
    public Map<String, Long> inFlightByName() {
        Map<String, Long> running = new LinkedHashMap<>();
        for (Slot slot : slots) {
            ServletRequest request = slot.request;
            if (request != null) {
                running.merge("web " + describe(request), 1L, Long::sum);
            }
        }
        for (AsyncRequest async : asyncRequests) {
            String name = async.context.getResponse().isCommitted() ? "web stream " : "web async ";
            running.merge(name + describe(async.context.getRequest()), 1L, Long::sum);
        }
        return running;
    }

    private static String describe(ServletRequest request) {
        try {
            if (request instanceof HttpServletRequest http) {
                return http.getMethod() + " " + http.getRequestURI();
            }
            return request.getProtocol();
        } catch (RuntimeException e) {
            return "(request completed)";
        }
    }

    /** One per request thread: the request it runs now, or null. */
    private static final class Slot {
        final RequestTrackingFilter owner;
        volatile ServletRequest request;

        Slot(RequestTrackingFilter owner) {
            this.owner = owner;
        }
    }

    private final class AsyncRequest implements AsyncListener {
        final AsyncContext context;
        final InFlightTracker tracker;
        final int permit;
        final AtomicBoolean released = new AtomicBoolean();
        final AtomicBoolean ended = new AtomicBoolean();

        AsyncRequest(AsyncContext context, InFlightTracker tracker, int permit) {
            this.context = context;
            this.tracker = tracker;
            this.permit = permit;
        }

        private void done() {
            if (released.compareAndSet(false, true)) {
                asyncRequests.remove(this);
                release(tracker, permit);
            }
        }

        @Override
        public void onComplete(AsyncEvent event) {
            done();
        }

        @Override
        public void onTimeout(AsyncEvent event) {
            // The container completes the request after the timeout; onComplete releases it.
        }

        @Override
        public void onError(AsyncEvent event) {
            // The container completes the request after the error; onComplete releases it.
        }

        @Override
        public void onStartAsync(AsyncEvent event) {
            // A new asynchronous cycle: the listener must be added again to hear of it.
            event.getAsyncContext().addListener(this);
        }
    }
}
