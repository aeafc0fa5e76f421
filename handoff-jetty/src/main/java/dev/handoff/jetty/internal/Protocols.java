package dev.handoff.jetty.internal;

import org.eclipse.jetty.http2.server.HTTP2CServerConnectionFactory;
import org.eclipse.jetty.server.ConnectionFactory;
import org.eclipse.jetty.server.HttpConfiguration;
import org.eclipse.jetty.server.HttpConnectionFactory;

/** The protocols of the connectors this module creates itself. Not API. */
public final class Protocols {

    private Protocols() {
    }

    /** @return HTTP/1.1 and h2c (upgrade or prior knowledge), sharing one default {@link HttpConfiguration} */
    public static ConnectionFactory[] http1AndH2c() {
        HttpConfiguration configuration = new HttpConfiguration();
        return new ConnectionFactory[] {new HttpConnectionFactory(configuration),
            new HTTP2CServerConnectionFactory(configuration)};
    }
}
