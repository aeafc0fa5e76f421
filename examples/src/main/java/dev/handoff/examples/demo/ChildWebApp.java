package dev.handoff.examples.demo;

import dev.handoff.core.process.ChildAgent;
import dev.handoff.examples.webswap.DemoApplication;
import dev.handoff.jetty.JettyHandoff;
import org.eclipse.jetty.http2.server.HTTP2CServerConnectionFactory;
import org.eclipse.jetty.server.HttpConfiguration;
import org.eclipse.jetty.server.HttpConnectionFactory;
import org.eclipse.jetty.server.Server;
import org.eclipse.jetty.server.ServerConnector;

/**
 * The demo's web app as a child JVM: the main class the demo starts with {@code ChildProcessLauncher}, from the
 * same jar. It serves the same {@link DemoApplication} as the in-process instances, with a {@link JettyHandoff},
 * on {@code 127.0.0.1} and the port given as {@code --port=N}, and attaches a {@link ChildAgent} before it starts
 * serving, so that the parent drives its steps over the private control socket. The JVM exits when the parent
 * asks it to, or by itself when the parent is gone.
 *
 * <p>Not a command of the jar: run by the demo only (it exits with status 2 when no parent launched it).
 */
public final class ChildWebApp {

    /** The host the child listens on: loopback only. */
    static final String HOST = "127.0.0.1";

    private ChildWebApp() {
    }

    /**
     * @param args {@code --port=N}, the port to listen on
     */
    public static void main(String[] args) {
        if (!ChildAgent.launchedByParent()) {
            System.err.println("ChildWebApp is started by the demo command (java -jar handoff-examples.jar demo),"
                    + " not by hand");
            System.exit(2);
        }
        int port;
        try {
            port = parsePort(args);
        } catch (IllegalArgumentException e) {
            System.err.println("ChildWebApp: " + e.getMessage());
            System.exit(2);
            return;
        }
        String id = ChildAgent.instanceId().orElse("web-child");
        try {
            Server server = new Server();
            HttpConfiguration configuration = new HttpConfiguration();
            configuration.setSendServerVersion(false);
            ServerConnector connector = new ServerConnector(server, 0, 1, new HttpConnectionFactory(configuration),
                    new HTTP2CServerConnectionFactory(configuration));
            connector.setHost(HOST);
            connector.setPort(port);
            server.addConnector(connector);
            server.setHandler(new DemoApplication(id));
            JettyHandoff handoff = JettyHandoff.builder(server).id(id)
                    .idleConnectionThreshold(WebTier.INSTANCE_IDLE_THRESHOLD)
                    .install();
            ChildAgent.attach(handoff);
            // READY (reported to the parent by the agent) once the server has started
            server.start();
        } catch (Exception e) {
            System.err.println("ChildWebApp " + id + ": cannot start on " + HOST + ":" + port + ": " + e);
            System.exit(1);
        }
    }

    /**
     * @param args the arguments
     * @return the port of {@code --port=N}
     * @throws IllegalArgumentException when the arguments are not exactly {@code --port=N} with N in 1..65535
     */
    static int parsePort(String[] args) {
        if (args.length != 1 || !args[0].startsWith("--port=")) {
            throw new IllegalArgumentException("expected --port=N, but got " + String.join(" ", args));
        }
        String value = args[0].substring("--port=".length());
        int port;
        try {
            port = Integer.parseInt(value);
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("--port must be a whole number, but was '" + value + "'", e);
        }
        if (port < 1 || port > 65535) {
            throw new IllegalArgumentException("--port must be between 1 and 65535, but was " + port);
        }
        return port;
    }
}
