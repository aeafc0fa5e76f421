package dev.handoff.examples.webswap;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.TimeUnit;
import org.eclipse.jetty.http.HttpHeader;
import org.eclipse.jetty.server.Handler;
import org.eclipse.jetty.server.Request;
import org.eclipse.jetty.server.Response;
import org.eclipse.jetty.util.Callback;
import org.eclipse.jetty.util.Fields;

/**
 * The application swapped by web-swap: {@code /slow?ms=N} works for N ms (at most 1000) on the request thread,
 * anything else answers at once; both answer {@code 200 ok <instance>} with a Content-Length. Also the web app of
 * the {@code demo} command. Thread-safe.
 */
public final class DemoApplication extends Handler.Abstract {

    private static final int MAX_WORK_MILLIS = 1000;

    private final byte[] body;

    /** @param instance the instance's name, echoed in every answer */
    public DemoApplication(String instance) {
        this.body = ("ok " + instance + "\n").getBytes(StandardCharsets.US_ASCII);
    }

    @Override
    public boolean handle(Request request, Response response, Callback callback) throws Exception {
        if (request.getHttpURI().getPath().equals("/slow")) {
            Fields query = Request.extractQueryParameters(request);
            int millis = parseMillis(query.getValue("ms"));
            // simulated server-side work, as a blocking application would do it
            TimeUnit.MILLISECONDS.sleep(millis);
        }
        response.setStatus(200);
        response.getHeaders().put(HttpHeader.CONTENT_TYPE, "text/plain");
        response.getHeaders().put(HttpHeader.CONTENT_LENGTH, body.length);
        response.write(true, ByteBuffer.wrap(body), callback);
        return true;
    }

    private static int parseMillis(String value) {
        if (value == null) {
            return 0;
        }
        try {
            return Math.max(0, Math.min(MAX_WORK_MILLIS, Integer.parseInt(value)));
        } catch (NumberFormatException e) {
            return 0;
        }
    }
}
