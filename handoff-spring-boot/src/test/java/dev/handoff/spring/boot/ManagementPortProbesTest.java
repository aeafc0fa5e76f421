package dev.handoff.spring.boot;

import static org.assertj.core.api.Assertions.assertThat;

import dev.handoff.api.LifecycleState;

import java.io.IOException;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.springframework.boot.builder.SpringApplicationBuilder;
import org.springframework.context.ConfigurableApplicationContext;

/**
 * Probes on a separate management port ({@code management.server.port}), Boot's default Tomcat, real sockets:
 * readiness and liveness answer there before, during and after the drain (the management server is not drained),
 * and readiness says OUT_OF_SERVICE (503) from stop-accepting on while liveness stays UP.
 */
class ManagementPortProbesTest {

    private static ConfigurableApplicationContext context;
    private static SpringBootInstance instance;
    private static int port;
    private static int managementPort;

    @BeforeAll
    static void start() {
        context = new SpringApplicationBuilder(WebTestApp.class, WebDrainTestBase.TomcatServer.class)
                .properties("server.port=0", "server.address=127.0.0.1", "management.server.port=0",
                        "management.server.address=127.0.0.1", "handoff.termination.enabled=false",
                        "management.endpoints.web.exposure.include=health", "spring.main.banner-mode=off",
                        // Jetty is on the test class path too: its management child context would clash
                        "spring.autoconfigure.exclude=org.springframework.boot.jetty.autoconfigure.actuate.web"
                                + ".server.JettyServletManagementContextAutoConfiguration")
                .run();
        instance = context.getBean(SpringBootInstance.class);
        port = Integer.parseInt(context.getEnvironment().getProperty("local.server.port"));
        managementPort = Integer.parseInt(context.getEnvironment().getProperty("local.management.port"));
    }

    @AfterAll
    static void stop() {
        WebTestApp.gate.countDown();
        if (context != null) {
            context.close();
        }
    }

    @Test
    void probesOnTheManagementPortAnswerThroughTheDrainAndReadinessRefusesAfterStopAccepting() throws Exception {
        assertThat(managementPort).isNotEqualTo(port);
        assertThat(probe("/actuator/health/readiness")).isEqualTo("200 UP");
        assertThat(probe("/actuator/health/liveness")).isEqualTo("200 UP");

        WebTestApp.gate = new CountDownLatch(1);
        WebTestApp.slowStarted = new CountDownLatch(1);
        try (RawHttp slow = new RawHttp(port)) {
            slow.send("/slow");
            assertThat(WebTestApp.slowStarted.await(10, TimeUnit.SECONDS)).isTrue();

            instance.stopAccepting().toCompletableFuture().get(5, TimeUnit.SECONDS);
            assertThat(probe("/actuator/health/readiness")).isEqualTo("503 OUT_OF_SERVICE");
            assertThat(probe("/actuator/health/liveness")).isEqualTo("200 UP");

            var drained = instance.drain().toCompletableFuture();
            // while the drain waits for the request in flight, the probes still answer
            assertThat(probe("/actuator/health/readiness")).isEqualTo("503 OUT_OF_SERVICE");
            assertThat(probe("/actuator/health/liveness")).isEqualTo("200 UP");
            assertThat(drained).isNotDone();

            WebTestApp.gate.countDown();
            assertThat(slow.read().status()).isEqualTo(200);
            drained.get(10, TimeUnit.SECONDS);
        }
        assertThat(instance.state()).isEqualTo(LifecycleState.DRAINED);
        // drained, the process not yet gone: the management server still answers
        assertThat(probe("/actuator/health/readiness")).isEqualTo("503 OUT_OF_SERVICE");
        assertThat(probe("/actuator/health/liveness")).isEqualTo("200 UP");
    }

    /** "status STATUS" of a probe on the management port, each on a new connection. */
    private static String probe(String path) throws IOException {
        try (RawHttp client = new RawHttp(managementPort)) {
            RawHttp.Response response = client.get(path);
            String body = response.body();
            String status = body.contains("OUT_OF_SERVICE") ? "OUT_OF_SERVICE"
                    : body.contains("\"UP\"") ? "UP" : body.contains("DOWN") ? "DOWN" : body;
            return response.status() + " " + status;
        }
    }
}
