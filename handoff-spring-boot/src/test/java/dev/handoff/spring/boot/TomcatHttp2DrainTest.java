package dev.handoff.spring.boot;

import org.junit.jupiter.api.BeforeAll;

/** {@link Http2DrainTestBase} on Boot's embedded Tomcat. */
class TomcatHttp2DrainTest extends Http2DrainTestBase {
    @BeforeAll
    static void startTomcat() throws Exception {
        start(WebDrainTestBase.TomcatServer.class);
    }
}
