package dev.handoff.spring.boot;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.handoff.api.LifecycleState;
import dev.handoff.core.HandoffMetrics;
import dev.handoff.spring.boot.internal.WebParticipant;

import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

import io.micrometer.core.instrument.MeterRegistry;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.springframework.boot.availability.ApplicationAvailability;
import org.springframework.boot.availability.AvailabilityChangeEvent;
import org.springframework.boot.availability.LivenessState;
import org.springframework.boot.availability.ReadinessState;
import org.springframework.boot.builder.SpringApplicationBuilder;
import org.springframework.boot.jetty.servlet.JettyServletWebServerFactory;
import org.springframework.boot.tomcat.servlet.TomcatServletWebServerFactory;
import org.springframework.boot.web.server.servlet.ServletWebServerFactory;
import org.springframework.context.ConfigurableApplicationContext;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;

/**
 * A Boot application on a real embedded server (Tomcat or Jetty: the subclasses), over real sockets with a
 * client that never retries: readiness, stop-accepting, Connection: close, idle connections closed, a drain that
 * waits for the request in flight and ends the SSE stream, re-admission, meters, liveness BROKEN. One context per server; the steps run in
 * order on it.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
abstract class WebDrainTestBase {

    private static ConfigurableApplicationContext context;
    private static SpringBootInstance instance;
    private static int port;

    static void start(Class<?> server) {
        context = new SpringApplicationBuilder(WebTestApp.class, server)
                .properties("server.port=0", "server.address=127.0.0.1", "handoff.termination.enabled=false",
                        "handoff.web.idle-threshold=200ms", "management.endpoints.web.exposure.include=health",
                        "spring.main.banner-mode=off")
                .run();
        instance = context.getBean(SpringBootInstance.class);
        port = Integer.parseInt(context.getEnvironment().getProperty("local.server.port"));
    }

    @AfterAll
    static void stop() {
        WebTestApp.gate.countDown();
        if (context != null) {
            context.close();
        }
    }

    @Test
    @Order(1)
    void readyOnceBootAcceptsTraffic() throws Exception {
        assertThat(instance.state()).isEqualTo(LifecycleState.READY);
        try (RawHttp client = new RawHttp(port)) {
            RawHttp.Response readiness = client.get("/actuator/health/readiness");
            assertThat(readiness.status()).isEqualTo(200);
            assertThat(readiness.body()).contains("UP");
            RawHttp.Response hello = client.get("/hello");
            assertThat(hello.body()).isEqualTo("hello");
            assertThat(hello.closes()).isFalse();
        }
    }

    @Test
    @Order(2)
    void stopAcceptingMovesClientsAwayAndDrainWaitsForTheRequestInFlight() throws Exception {
        WebTestApp.gate = new CountDownLatch(1);
        WebTestApp.slowStarted = new CountDownLatch(1);
        try (RawHttp slow = new RawHttp(port); RawHttp idle = new RawHttp(port);
             RawHttp stream = new RawHttp(port)) {
            assertThat(idle.get("/hello").status()).isEqualTo(200);
            stream.send("/events");
            assertThat(stream.readHead().status()).isEqualTo(200);
            slow.send("/slow");
            assertThat(WebTestApp.slowStarted.await(10, TimeUnit.SECONDS)).isTrue();

            instance.stopAccepting().toCompletableFuture().get(5, TimeUnit.SECONDS);

            // Boot's readiness follows; the probe still answers
            RawHttp.Response readiness;
            try (RawHttp probe = new RawHttp(port)) {
                readiness = probe.get("/actuator/health/readiness");
            }
            assertThat(readiness.status()).isEqualTo(503);
            assertThat(readiness.body()).as(readiness.headers().toString()).contains("OUT_OF_SERVICE");
            assertThat(readiness.closes()).isTrue();
            // the idle keep-alive connection is closed by the server
            assertThat(idle.closedByServer(5_000)).isTrue();

            CompletableFuture<Void> drained = instance.drain().toCompletableFuture();
            // the SSE stream is told to end: its last chunk arrives
            String events = stream.chunks();
            assertThat(events).contains("tick");
            WebParticipant web = context.getBean(WebParticipant.class);
            assertThat(web.filter().streamsEnded()).isEqualTo(1);
            assertThat(drained).isNotDone();
            assertThat(instance.inFlightByName()).containsEntry("web GET /slow", 1L);

            WebTestApp.gate.countDown();
            RawHttp.Response answer = slow.read();
            assertThat(answer.status()).isEqualTo(200);
            assertThat(answer.body()).isEqualTo("slow");
            drained.get(10, TimeUnit.SECONDS);
            assertThat(instance.state()).isEqualTo(LifecycleState.DRAINED);
        }
    }

    @Test
    @Order(3)
    void lateRequestsAreServedAndReadmissionReopens() throws Exception {
        try (RawHttp late = new RawHttp(port)) {
            RawHttp.Response answer = late.get("/hello");
            assertThat(answer.status()).isEqualTo(200);
            assertThat(answer.closes()).isTrue();
        }
        instance.resumeAccepting().toCompletableFuture().get(5, TimeUnit.SECONDS);
        try (RawHttp client = new RawHttp(port)) {
            await().atMost(Duration.ofSeconds(5)).until(() -> client.get("/actuator/health/readiness").status() == 200);
            RawHttp.Response hello = client.get("/hello");
            assertThat(hello.closes()).isFalse();
            assertThat(client.closedByServer(600)).isFalse();
        }
        assertThat(instance.state()).isEqualTo(LifecycleState.READY);
    }

    @Test
    @Order(4)
    void metersAreBoundToBootsRegistry() {
        MeterRegistry registry = context.getBean(MeterRegistry.class);
        assertThat(registry.find(HandoffMetrics.LIFECYCLE_STATE).tag(HandoffMetrics.TAG_STATE, "ready").gauge())
                .isNotNull()
                .satisfies(gauge -> assertThat(gauge.value()).isEqualTo(1.0));
        assertThat(registry.find(HandoffMetrics.IN_FLIGHT).tag(HandoffMetrics.TAG_TRACKER, "requests").gauge())
                .isNotNull();
    }

    @Test
    @Order(5)
    void livenessBrokenMarksTheInstanceFailedAndReadinessRefuses() throws Exception {
        AvailabilityChangeEvent.publish(context, LivenessState.BROKEN);

        assertThat(instance.state()).isEqualTo(LifecycleState.FAILED);
        assertThat(context.getBean(ApplicationAvailability.class).getReadinessState())
                .isEqualTo(ReadinessState.REFUSING_TRAFFIC);
        try (RawHttp client = new RawHttp(port)) {
            assertThat(client.get("/actuator/health/liveness").status()).isEqualTo(503);
        }
    }

    @Configuration(proxyBeanMethods = false)
    static class TomcatServer {
        @Bean
        ServletWebServerFactory tomcat() {
            return new TomcatServletWebServerFactory();
        }
    }

    @Configuration(proxyBeanMethods = false)
    static class JettyServer {
        @Bean
        ServletWebServerFactory jetty() {
            return new JettyServletWebServerFactory();
        }
    }
}
