package dev.handoff.spring.boot;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import org.junit.jupiter.api.Test;
import org.springframework.boot.SpringBootConfiguration;
import org.springframework.boot.WebApplicationType;
import org.springframework.boot.autoconfigure.EnableAutoConfiguration;
import org.springframework.boot.builder.SpringApplicationBuilder;
import org.springframework.context.ConfigurableApplicationContext;
import org.springframework.scheduling.annotation.EnableScheduling;
import org.springframework.scheduling.annotation.Scheduled;

/**
 * {@code @Scheduled} tasks in the drain: the run in progress is waited for and listed by name while it runs; once
 * the drain has begun, no run starts.
 */
class ScheduledDrainTest {

    static final CountDownLatch STARTED = new CountDownLatch(1);
    static final CountDownLatch RELEASE = new CountDownLatch(1);
    static final AtomicInteger RUNS = new AtomicInteger();

    @SpringBootConfiguration
    @EnableAutoConfiguration
    @EnableScheduling
    static class App {
        @Scheduled(fixedDelay = 10)
        void report() throws InterruptedException {
            RUNS.incrementAndGet();
            STARTED.countDown();
            RELEASE.await(30, TimeUnit.SECONDS);
        }
    }

    @Test
    void theDrainWaitsForTheRunInProgressAndNoRunStartsAfter() throws Exception {
        try (ConfigurableApplicationContext context = new SpringApplicationBuilder(App.class)
                .web(WebApplicationType.NONE)
                .properties("handoff.termination.enabled=false", "spring.main.banner-mode=off")
                .run()) {
            SpringBootInstance instance = context.getBean(SpringBootInstance.class);
            assertThat(STARTED.await(10, TimeUnit.SECONDS)).isTrue();

            instance.stopAccepting().toCompletableFuture().get(5, TimeUnit.SECONDS);
            CompletableFuture<Void> drained = instance.drain().toCompletableFuture();

            assertThat(drained).isNotDone();
            assertThat(instance.inFlightByName()).hasSize(1)
                    .allSatisfy((name, count) -> assertThat(name).startsWith("scheduled "));
            int runs = RUNS.get();
            RELEASE.countDown();
            drained.get(10, TimeUnit.SECONDS);
            assertThat(instance.inFlight()).isZero();
            // the task comes due every 10 ms: for 20 periods, the closed intake skips every run
            await().during(Duration.ofMillis(200)).atMost(Duration.ofSeconds(2)).until(() -> RUNS.get() == runs);
        }
    }
}
