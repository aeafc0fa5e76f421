package dev.handoff.spring.boot;

import java.io.IOException;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;

import org.springframework.boot.SpringBootConfiguration;
import org.springframework.boot.autoconfigure.EnableAutoConfiguration;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.RestController;
import org.springframework.web.servlet.mvc.method.annotation.SseEmitter;

/** A Boot web application for the tests: a quick endpoint, a slow one held by a gate, and an SSE stream. */
@SpringBootConfiguration
@EnableAutoConfiguration
@RestController
public class WebTestApp {

    /** Opened by each test that uses /slow. */
    static volatile CountDownLatch gate = new CountDownLatch(0);
    /** Counted down when /slow has started. */
    static volatile CountDownLatch slowStarted = new CountDownLatch(1);

    private final ScheduledExecutorService ticks = Executors.newSingleThreadScheduledExecutor(runnable -> {
        Thread thread = new Thread(runnable, "sse-ticks");
        thread.setDaemon(true);
        return thread;
    });

    @GetMapping("/hello")
    String hello() {
        return "hello";
    }

    @GetMapping("/slow")
    String slow() throws InterruptedException {
        slowStarted.countDown();
        if (!gate.await(30, TimeUnit.SECONDS)) {
            throw new IllegalStateException("the test never opened the gate");
        }
        return "slow";
    }

    @GetMapping("/events")
    SseEmitter events() {
        SseEmitter emitter = new SseEmitter(0L);
        ticks.scheduleWithFixedDelay(() -> {
            try {
                emitter.send("tick");
            } catch (IOException | IllegalStateException e) {
                throw new IllegalStateException("stream over", e);
            }
        }, 0, 50, TimeUnit.MILLISECONDS);
        return emitter;
    }
}
