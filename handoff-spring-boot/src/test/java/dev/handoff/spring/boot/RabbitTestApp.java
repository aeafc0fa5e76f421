package dev.handoff.spring.boot;

import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;

import org.springframework.amqp.core.Message;
import org.springframework.amqp.rabbit.annotation.RabbitListener;
import org.springframework.beans.factory.annotation.Value;
import org.springframework.boot.SpringBootConfiguration;
import org.springframework.boot.autoconfigure.EnableAutoConfiguration;
import org.springframework.stereotype.Component;

/** A Boot application with one {@code @RabbitListener} that records which instance ran which job. */
@SpringBootConfiguration
@EnableAutoConfiguration
public class RabbitTestApp {

    /** Job id to the instances that ran it, across every context of the test JVM. */
    static final Map<String, List<String>> RUNS = new ConcurrentHashMap<>();

    @Component
    static class Worker {
        private final String instance;

        Worker(@Value("${handoff.instance-id}") String instance) {
            this.instance = instance;
        }

        @RabbitListener(queues = "jobs")
        void run(Message message) {
            String id = new String(message.getBody(), StandardCharsets.UTF_8);
            // Each job is some work: 5 ms
            LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(5));
            RUNS.computeIfAbsent(id, key -> new CopyOnWriteArrayList<>()).add(instance);
        }
    }
}
