package dev.handoff.examples.springswap.sample;

import java.nio.charset.StandardCharsets;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;

import org.springframework.amqp.core.Message;
import org.springframework.amqp.rabbit.annotation.RabbitListener;
import org.springframework.amqp.rabbit.core.RabbitTemplate;
import org.springframework.beans.factory.annotation.Value;
import org.springframework.boot.SpringApplication;
import org.springframework.boot.autoconfigure.SpringBootApplication;
import org.springframework.boot.autoconfigure.condition.ConditionalOnProperty;
import org.springframework.boot.jetty.servlet.JettyServletWebServerFactory;
import org.springframework.boot.tomcat.servlet.TomcatServletWebServerFactory;
import org.springframework.boot.web.server.servlet.ServletWebServerFactory;
import org.springframework.context.ApplicationListener;
import org.springframework.context.annotation.Bean;
import org.springframework.context.event.ContextClosedEvent;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.RequestParam;
import org.springframework.web.bind.annotation.RestController;

/**
 * The sample Spring Boot application of {@code spring-swap}: an ordinary Boot application with the handoff starter
 * on its class path and nothing else of handoff in its code. Web: {@code /fast} and {@code /slow?ms=N}; a
 * {@code @RabbitListener} on {@code spring-jobs} that works 2 ms per job and reports it done on {@code spring-done}
 * (the job id and the instance that ran it). {@code --sample.server=tomcat} (the default) or {@code jetty} picks the
 * embedded server.
 */
@SpringBootApplication
@RestController
public class SampleBootApp {

    private final String instance;
    private final RabbitTemplate rabbit;

    SampleBootApp(@Value("${handoff.instance-id:${HANDOFF_INSTANCE_ID:sample}}") String instance,
                  RabbitTemplate rabbit) {
        this.instance = instance;
        this.rabbit = rabbit;
    }

    /**
     * Runs the application until its context closes (SIGTERM, or the parent's exit: the handoff starter ends the
     * JVM then).
     *
     * @param args Boot's command line: {@code --sample.server=tomcat|jetty --spring.rabbitmq.port=P ...}
     * @throws InterruptedException when interrupted while the application runs
     */
    public static void main(String[] args) throws InterruptedException {
        CountDownLatch closed = new CountDownLatch(1);
        SpringApplication application = new SpringApplication(SampleBootApp.class);
        application.addListeners((ApplicationListener<ContextClosedEvent>) event -> closed.countDown());
        application.run(args);
        closed.await();
    }

    /** @return Tomcat, unless {@code sample.server=jetty} */
    @Bean
    @ConditionalOnProperty(name = "sample.server", havingValue = "tomcat", matchIfMissing = true)
    ServletWebServerFactory tomcat() {
        return new TomcatServletWebServerFactory();
    }

    /** @return Jetty, with {@code sample.server=jetty} */
    @Bean
    @ConditionalOnProperty(name = "sample.server", havingValue = "jetty")
    ServletWebServerFactory jetty() {
        return new JettyServletWebServerFactory();
    }

    @GetMapping("/fast")
    String fast() {
        return instance;
    }

    @GetMapping("/slow")
    String slow(@RequestParam(name = "ms", defaultValue = "10") int millis) {
        LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(Math.min(Math.max(millis, 0), 1000)));
        return instance;
    }

    @RabbitListener(queues = "spring-jobs")
    void job(Message message) {
        LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(2));
        String id = new String(message.getBody(), StandardCharsets.UTF_8);
        rabbit.convertAndSend("", "spring-done", id + " " + instance);
    }
}
