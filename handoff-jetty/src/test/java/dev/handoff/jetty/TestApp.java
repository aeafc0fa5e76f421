package dev.handoff.jetty;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

import org.eclipse.jetty.http.HttpHeader;
import org.eclipse.jetty.server.Handler;
import org.eclipse.jetty.server.Request;
import org.eclipse.jetty.server.Response;
import org.eclipse.jetty.server.Server;
import org.eclipse.jetty.util.Callback;
import org.eclipse.jetty.util.thread.QueuedThreadPool;

/**
 * The application the tests swap: every response names the instance that served it ({@code X-Instance} header
 * and body). Paths: {@code /fast}; {@code /slow?ms=N} (completes asynchronously after N ms, on Jetty's scheduler);
 * {@code /hold} (completes when {@link #releaseHeld()} is called; {@link #held} counts down on arrival);
 * {@code /hold-long} (completes when {@link #releaseLong()} is called; {@link #longHeld} counts down on arrival);
 * {@code /stream} (writes a first part at once and the last part when {@link #releaseHeld()} is called);
 * {@code /never} (never completes).
 */
final class TestApp extends Handler.Abstract {

    final String id;
    final CountDownLatch held = new CountDownLatch(1);
    final CountDownLatch neverArrived = new CountDownLatch(1);
    final CountDownLatch longHeld = new CountDownLatch(1);
    private final CompletableFuture<Void> release = new CompletableFuture<>();
    private final CompletableFuture<Void> releaseLong = new CompletableFuture<>();

    TestApp(String id) {
        this.id = id;
    }

    /** @return a server for instance {@code id} with a small daemon thread pool, no connector */
    static Server server(TestApp app) {
        QueuedThreadPool threads = new QueuedThreadPool(32, 4);
        threads.setName("app-" + app.id);
        threads.setDaemon(true);
        Server server = new Server(threads);
        server.setHandler(app);
        return server;
    }

    void releaseHeld() {
        release.complete(null);
    }

    void releaseLong() {
        releaseLong.complete(null);
    }

    @Override
    public boolean handle(Request request, Response response, Callback callback) {
        String path = Request.getPathInContext(request);
        switch (path) {
            case "/slow": {
                String ms = Request.extractQueryParameters(request).getValue("ms");
                long delay = ms == null ? 10 : Long.parseLong(ms);
                request.getComponents().getScheduler().schedule(() -> respond(response, callback), delay,
                        TimeUnit.MILLISECONDS);
                return true;
            }
            case "/hold":
                held.countDown();
                release.whenComplete((ignored, error) -> respond(response, callback));
                return true;
            case "/hold-long":
                longHeld.countDown();
                releaseLong.whenComplete((ignored, error) -> respond(response, callback));
                return true;
            case "/stream":
                // A streamed response: the first part at once, the last part when releaseHeld() is called.
                response.setStatus(200);
                response.getHeaders().put("X-Instance", id);
                response.write(false, ByteBuffer.wrap("part-1;".getBytes(StandardCharsets.US_ASCII)),
                        Callback.from(() -> release.whenComplete((ignored, error) -> response.write(true,
                                ByteBuffer.wrap("part-2".getBytes(StandardCharsets.US_ASCII)), callback)),
                                callback::failed));
                return true;
            case "/never":
                neverArrived.countDown();
                return true;
            default:
                respond(response, callback);
                return true;
        }
    }

    private void respond(Response response, Callback callback) {
        response.setStatus(200);
        response.getHeaders().put("X-Instance", id);
        response.getHeaders().put(HttpHeader.CONTENT_TYPE, "text/plain");
        response.write(true, ByteBuffer.wrap(id.getBytes(StandardCharsets.UTF_8)), callback);
    }
}
