package dev.handoff.jetty.internal;

import dev.handoff.api.Lifecycle;
import dev.handoff.api.LifecycleState;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.Objects;

import org.eclipse.jetty.http.HttpHeader;
import org.eclipse.jetty.http.HttpStatus;
import org.eclipse.jetty.server.Connector;
import org.eclipse.jetty.server.Handler;
import org.eclipse.jetty.server.Request;
import org.eclipse.jetty.server.Response;
import org.eclipse.jetty.util.Callback;

/**
 * Readiness and liveness probes in front of the application: {@code 200} or {@code 503} with a small JSON body
 * naming the state, e.g. {@code {"status":"UP","state":"READY"}}. On the management connector only the probes are
 * served (anything else is a 404); on the application connectors the probes are served only when configured, and
 * everything else goes to the application. Not API. Thread-safe.
 */
public final class ProbeHandler extends Handler.Wrapper {

    private final Lifecycle lifecycle;
    private final String readinessPath;
    private final String livenessPath;
    private final boolean onApplicationConnectors;
    private volatile Connector managementConnector;

    /**
     * @param lifecycle               read for the state
     * @param readinessPath           path of the readiness probe, e.g. {@code /ready}
     * @param livenessPath            path of the liveness probe, e.g. {@code /live}
     * @param onApplicationConnectors whether the probes are also served on the application connectors
     * @param application             the wrapped handler
     */
    public ProbeHandler(Lifecycle lifecycle, String readinessPath, String livenessPath,
                        boolean onApplicationConnectors, Handler application) {
        super(application);
        this.lifecycle = Objects.requireNonNull(lifecycle, "lifecycle must not be null");
        this.readinessPath = Objects.requireNonNull(readinessPath, "readinessPath must not be null");
        this.livenessPath = Objects.requireNonNull(livenessPath, "livenessPath must not be null");
        this.onApplicationConnectors = onApplicationConnectors;
    }

    /** @param connector the management connector, or null when there is none */
    public void setManagementConnector(Connector connector) {
        this.managementConnector = connector;
    }

    @Override
    public boolean handle(Request request, Response response, Callback callback) throws Exception {
        Connector management = managementConnector;
        boolean onManagement = management != null && request.getConnectionMetaData().getConnector() == management;
        if (onManagement || onApplicationConnectors) {
            String path = Request.getPathInContext(request);
            if (readinessPath.equals(path)) {
                LifecycleState state = lifecycle.state();
                boolean ready = lifecycle.isReady();
                return probe(response, callback, ready, state);
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
        return super.handle(request, response, callback);
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
