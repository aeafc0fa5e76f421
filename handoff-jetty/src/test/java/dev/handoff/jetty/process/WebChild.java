package dev.handoff.jetty.process;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.concurrent.TimeUnit;

import org.eclipse.jetty.http.HttpHeader;
import org.eclipse.jetty.server.Handler;
import org.eclipse.jetty.server.Request;
import org.eclipse.jetty.server.Response;
import org.eclipse.jetty.server.Server;
import org.eclipse.jetty.util.Callback;
import org.eclipse.jetty.util.thread.QueuedThreadPool;

/**
 * The web application the process tests run as a child JVM, through {@link ChildWebApp}. Every response names the
 * instance ({@code X-Instance} header and body). Paths: {@code /fast}; {@code /slow?ms=N} (answers after N ms, on
 * Jetty's scheduler). Options: {@code --port=N} (0 by default), {@code --reuse-port}, {@code --propagation-ms=N}
 * (1000 by default), {@code --drain-budget-ms=N} (5000 by default).
 */
public final class WebChild extends Handler.Abstract {

    private final String id;

    private WebChild(String id) {
        this.id = id;
    }

    public static void main(String[] args) {
        int port = 0;
        boolean reusePort = false;
        long propagationMillis = 1000;
        long drainBudgetMillis = 5000;
        for (String arg : args) {
            if (arg.startsWith("--port=")) {
                port = Integer.parseInt(arg.substring("--port=".length()));
            } else if (arg.equals("--reuse-port")) {
                reusePort = true;
            } else if (arg.startsWith("--propagation-ms=")) {
                propagationMillis = Long.parseLong(arg.substring("--propagation-ms=".length()));
            } else if (arg.startsWith("--drain-budget-ms=")) {
                drainBudgetMillis = Long.parseLong(arg.substring("--drain-budget-ms=".length()));
            } else {
                throw new IllegalArgumentException("unknown option " + arg);
            }
        }
        String id = dev.handoff.core.process.ChildAgent.instanceId().orElse("standalone");
        QueuedThreadPool threads = new QueuedThreadPool(32, 4);
        threads.setName("web-" + id);
        Server server = new Server(threads);
        server.setHandler(new WebChild(id));
        Duration propagation = Duration.ofMillis(propagationMillis);
        Duration drainBudget = Duration.ofMillis(drainBudgetMillis);
        ChildWebApp.builder(server)
                .port(port)
                .reusePort(reusePort)
                .handoff(handoff -> handoff.probesOnApplicationConnectors(true))
                .termination(termination -> termination.propagationDelay(propagation).drainBudget(drainBudget)
                        .closeBudget(Duration.ofSeconds(2)).gracePeriod(Duration.ofSeconds(30)))
                .start();
    }

    @Override
    public boolean handle(Request request, Response response, Callback callback) {
        if ("/slow".equals(Request.getPathInContext(request))) {
            String ms = Request.extractQueryParameters(request).getValue("ms");
            long delay = ms == null ? 10 : Long.parseLong(ms);
            request.getComponents().getScheduler().schedule(() -> respond(response, callback), delay,
                    TimeUnit.MILLISECONDS);
            return true;
        }
        respond(response, callback);
        return true;
    }

    private void respond(Response response, Callback callback) {
        response.setStatus(200);
        response.getHeaders().put("X-Instance", id);
        response.getHeaders().put(HttpHeader.CONTENT_TYPE, "text/plain");
        response.write(true, ByteBuffer.wrap(id.getBytes(StandardCharsets.UTF_8)), callback);
    }
}
