package dev.handoff.spring.boot;

import java.util.concurrent.CountDownLatch;

import org.springframework.boot.SpringApplication;
import org.springframework.boot.SpringBootConfiguration;
import org.springframework.boot.autoconfigure.EnableAutoConfiguration;
import org.springframework.boot.tomcat.servlet.TomcatServletWebServerFactory;
import org.springframework.boot.web.server.servlet.ServletWebServerFactory;
import org.springframework.context.annotation.Bean;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.RestController;

/** The Boot application {@link SigtermTest} runs as a child JVM: a quick endpoint and one that never answers. */
@SpringBootConfiguration
@EnableAutoConfiguration
@RestController
public class SigtermTestApp {

    private final CountDownLatch never = new CountDownLatch(1);

    /** Tomcat, Boot's default server (the test class path has Jetty too). */
    @Bean
    ServletWebServerFactory tomcat() {
        return new TomcatServletWebServerFactory();
    }

    @GetMapping("/hello")
    String hello() {
        return "hello";
    }

    @GetMapping("/hang")
    String hang() throws InterruptedException {
        never.await();
        return "never";
    }

    public static void main(String[] args) {
        SpringApplication.run(SigtermTestApp.class, args);
    }
}
