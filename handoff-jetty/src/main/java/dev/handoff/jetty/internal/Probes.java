package dev.handoff.jetty.internal;

import dev.handoff.api.Lifecycle;
import dev.handoff.api.LifecycleState;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.Objects;

import org.eclipse.jetty.http.HttpHeader;
import org.eclipse.jetty.http.HttpStatus;
import org.eclipse.jetty.server.Connector;
import org.eclipse.jetty.server.Request;
import org.eclipse.jetty.server.Response;
import org.eclipse.jetty.util.Callback;

/**
 * Readiness and liveness probes, answered ahead of the application: {@code 200} or {@code 503} with a small JSON
 * body naming the state, e.g. {@code {"status":"UP","state":"READY"}}. On the management connector only the probes
 * are served (anything else is a 404); on the application connectors the probes are served only when configured,
 * and everything else goes on to the application.
 *
 * <p>Not a handler of its own: {@code HandoffHandler} asks it first, so that the request path through Jetty has one
 * handler level for handoff, not two (every extra {@code Handler.Wrapper} level measurably costs on a deep Jetty
 * stack). Not API. Thread-safe (immutable).
 */
public final class Probes {

    private final Lifecycle lifecycle;
    private final String readinessPath;
    private final String livenessPath;
    private final boolean onApplicationConnectors;
    private final Connector managementConnector;

    /**
     * @param lifecycle               read for the state
     * @param readinessPath           path of the readiness probe, e.g. {@code /ready}
     * @param livenessPath            path of the liveness probe, e.g. {@code /live}
     * @param onApplicationConnectors whether the probes are also served on the application connectors
     * @param managementConnector     the connector that serves the probes only, or null when there is none
     */
    public Probes(Lifecycle lifecycle, String readinessPath, String livenessPath, boolean onApplicationConnectors,
                  Connector managementConnector) {
        this.lifecycle = Objects.requireNonNull(lifecycle, "lifecycle must not be null");
        this.readinessPath = Objects.requireNonNull(readinessPath, "readinessPath must not be null");
        this.livenessPath = Objects.requireNonNull(livenessPath, "livenessPath must not be null");
        this.onApplicationConnectors = onApplicationConnectors;
        this.managementConnector = managementConnector;
    }

    /** @return whether probes are served anywhere (if not, nothing needs to ask) */
    public boolean served() {
        return onApplicationConnectors || managementConnector != null;
    }

    /**
     * Answers the request if it is a probe, or if it came in on the management connector.
     *
     * @param request  the request
     * @param response its response
     * @param callback completed when this answered
     * @return true when this answered the request; false when it goes on to the application
     */
    public boolean handle(Request request, Response response, Callback callback) {
        boolean onManagement = managementConnector != null
                && request.getConnectionMetaData().getConnector() == managementConnector;
        if (onManagement || onApplicationConnectors) {
            String path = Request.getPathInContext(request);
            if (readinessPath.equals(path)) {
                return probe(response, callback, lifecycle.isReady(), lifecycle.state());
            }
            if (livenessPath.equals(path)) {
                LifecycleState state = lifecycle.state();
                return probe(response, callback, state != LifecycleState.FAILED, state);
            }
        }
        if (onManagement) {
            Response.writeError(request, response, callback, HttpStatus.NOT_FOUND_404);
            return true;
        }
        return false;
    }

    private static boolean probe(Response response, Callback callback, boolean up, LifecycleState state) {
        String body = "{\"status\":\"" + (up ? "UP" : "DOWN") + "\",\"state\":\"" + state.name() + "\"}";
        response.setStatus(up ? HttpStatus.OK_200 : HttpStatus.SERVICE_UNAVAILABLE_503);
        response.getHeaders().put(HttpHeader.CONTENT_TYPE, "application/json");
        response.getHeaders().put(HttpHeader.CACHE_CONTROL, "no-store");
        response.write(true, ByteBuffer.wrap(body.getBytes(StandardCharsets.US_ASCII)), callback);
        return true;
    }
}
