package dev.handoff.examples.webswap;

import dev.handoff.api.SwapResult;
import java.util.Optional;

import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.time.Duration;
import org.eclipse.jetty.server.Handler;
import org.eclipse.jetty.server.Server;
import org.eclipse.jetty.server.ServerConnector;
import org.eclipse.jetty.server.handler.GracefulHandler;

/**
 * The two baselines: stop the old server, then start the new one on the same port. {@code naive} stops at once
 * (requests in flight are cut); {@code jetty-graceful} wraps the application in Jetty's {@link GracefulHandler}
 * and gives the server a stop timeout, so requests in flight finish, while new ones get 503 or a refused
 * connection until the new server is up.
 */
final class RestartTarget implements SwapTarget {

    private static final Duration GRACEFUL_STOP_TIMEOUT = Duration.ofSeconds(10);

    private final boolean graceful;
    private Server server;
    private int port;
    private int generation;

    RestartTarget(boolean graceful) {
        this.graceful = graceful;
    }

    @Override
    public InetSocketAddress start() throws Exception {
        server = startServer(0);
        port = ((ServerConnector) server.getConnectors()[0]).getLocalPort();
        return new InetSocketAddress(InetAddress.getLoopbackAddress(), port);
    }

    @Override
    public Optional<SwapResult> swap() throws Exception {
        server.stop();
        server = startServer(port);
        return Optional.empty();
    }

    private Server startServer(int listenPort) throws Exception {
        Server next = new Server();
        ServerConnector connector = new ServerConnector(next);
        connector.setHost("127.0.0.1");
        connector.setPort(listenPort);
        next.addConnector(connector);
        Handler application = new DemoApplication((graceful ? "graceful-" : "naive-") + generation++);
        if (graceful) {
            next.setHandler(new GracefulHandler(application));
            next.setStopTimeout(GRACEFUL_STOP_TIMEOUT.toMillis());
        } else {
            next.setHandler(application);
        }
        next.start();
        return next;
    }

    @Override
    public void stop() throws Exception {
        if (server != null) {
            server.stop();
        }
    }
}
