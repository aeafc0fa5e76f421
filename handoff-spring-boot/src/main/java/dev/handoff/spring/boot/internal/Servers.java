package dev.handoff.spring.boot.internal;

import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

import org.springframework.boot.web.server.WebServer;
import org.springframework.util.ClassUtils;

/**
 * Recognises the embedded web server Boot started and reads its application connectors. Each server's classes are
 * touched only when that server is on the class path. Not API.
 */
public final class Servers {

    private static final ClassLoader LOADER = Servers.class.getClassLoader();
    private static final boolean TOMCAT = ClassUtils.isPresent("org.springframework.boot.tomcat.TomcatWebServer",
            LOADER);
    private static final boolean JETTY = ClassUtils.isPresent("org.springframework.boot.jetty.JettyWebServer",
            LOADER);

    private Servers() {
    }

    /**
     * @param server        the started web server
     * @param idleThreshold the idle threshold of HTTP/1.x connections
     * @return its connections, or null for a server this starter does not know (its requests are still tracked)
     */
    public static ServerConnections connections(WebServer server, Duration idleThreshold) {
        if (TOMCAT && Tomcat.is(server)) {
            return Tomcat.connections(server, idleThreshold);
        }
        if (JETTY && Jetty.is(server)) {
            return Jetty.connections(server, idleThreshold);
        }
        return null;
    }

    private static final class Tomcat {
        static boolean is(WebServer server) {
            return server instanceof org.springframework.boot.tomcat.TomcatWebServer;
        }

        static ServerConnections connections(WebServer server, Duration idleThreshold) {
            org.apache.catalina.startup.Tomcat tomcat =
                    ((org.springframework.boot.tomcat.TomcatWebServer) server).getTomcat();
            List<org.apache.catalina.connector.Connector> connectors = new ArrayList<>();
            for (org.apache.catalina.Service service : tomcat.getServer().findServices()) {
                connectors.addAll(Arrays.asList(service.findConnectors()));
            }
            return new TomcatConnections(connectors, idleThreshold);
        }
    }

    private static final class Jetty {
        static boolean is(WebServer server) {
            return server instanceof org.springframework.boot.jetty.JettyWebServer;
        }

        static ServerConnections connections(WebServer server, Duration idleThreshold) {
            org.eclipse.jetty.server.Server jetty = ((org.springframework.boot.jetty.JettyWebServer) server).getServer();
            return new JettyConnections(Arrays.asList(jetty.getConnectors()), idleThreshold);
        }
    }
}
