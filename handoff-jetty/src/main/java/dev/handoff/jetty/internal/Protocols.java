package dev.handoff.jetty.internal;

import org.eclipse.jetty.http2.server.HTTP2CServerConnectionFactory;
import org.eclipse.jetty.server.ConnectionFactory;
import org.eclipse.jetty.server.HttpConfiguration;
import org.eclipse.jetty.server.HttpConnectionFactory;

/** The protocols of the connectors this module creates itself. Not API. */
public final class Protocols {

    private Protocols() {
    }

    /**
     * @return HTTP/1.1 and h2c (upgrade or prior knowledge), sharing one default {@link HttpConfiguration} that
     *     sends no {@code Server} header (a version tells an attacker which flaws to try)
     */
    public static ConnectionFactory[] http1AndH2c() {
        HttpConfiguration configuration = configuration();
        return new ConnectionFactory[] {new HttpConnectionFactory(configuration),
            new HTTP2CServerConnectionFactory(configuration)};
    }

    /** @return HTTP/1.1 alone, with a default {@link HttpConfiguration} that sends no {@code Server} header */
    public static ConnectionFactory http1() {
        return new HttpConnectionFactory(configuration());
    }

    private static HttpConfiguration configuration() {
        HttpConfiguration configuration = new HttpConfiguration();
        configuration.setSendServerVersion(false);
        return configuration;
    }
}
