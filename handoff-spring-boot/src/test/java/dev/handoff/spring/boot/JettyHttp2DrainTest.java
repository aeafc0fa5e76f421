package dev.handoff.spring.boot;

import org.junit.jupiter.api.BeforeAll;

/** {@link Http2DrainTestBase} on Boot's embedded Jetty. */
class JettyHttp2DrainTest extends Http2DrainTestBase {
    @BeforeAll
    static void startJetty() throws Exception {
        start(WebDrainTestBase.JettyServer.class);
    }
}
