package dev.handoff.spring.boot;

import org.junit.jupiter.api.BeforeAll;

/** {@link WebDrainTestBase} on Boot's embedded Tomcat. */
class TomcatWebDrainTest extends WebDrainTestBase {
    @BeforeAll
    static void startTomcat() {
        start(TomcatServer.class);
    }
}
