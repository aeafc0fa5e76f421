package dev.handoff.spring.boot;

import org.junit.jupiter.api.BeforeAll;

/** {@link WebDrainTestBase} on Boot's embedded Jetty. */
class JettyWebDrainTest extends WebDrainTestBase {
    @BeforeAll
    static void startJetty() {
        start(JettyServer.class);
    }
}
