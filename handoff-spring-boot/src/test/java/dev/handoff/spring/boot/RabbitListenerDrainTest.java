package dev.handoff.spring.boot;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.handoff.api.LifecycleState;
import dev.handoff.test.rabbitmq.RabbitNode;

import com.rabbitmq.client.Channel;
import com.rabbitmq.client.Connection;
import com.rabbitmq.client.MessageProperties;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.springframework.boot.WebApplicationType;
import org.springframework.boot.builder.SpringApplicationBuilder;
import org.springframework.context.ConfigurableApplicationContext;

/**
 * A {@code @RabbitListener} on a real throwaway RabbitMQ node, handed from one Boot instance to the next in the
 * middle of a backlog: the old one stops consuming, requeues what it had prefetched and finishes what it runs;
 * every job runs exactly once.
 */
class RabbitListenerDrainTest {

    private static final int JOBS = 400;

    private static RabbitNode node;

    @BeforeAll
    static void startBroker() throws Exception {
        node = RabbitNode.start(Path.of("target", "rabbitmq-boot"));
        try (Connection connection = node.connectionFactory().newConnection();
             Channel channel = connection.createChannel()) {
            channel.queueDeclare("jobs", true, false, false, null);
            for (int i = 0; i < JOBS; i++) {
                channel.basicPublish("", "jobs", MessageProperties.PERSISTENT_BASIC,
                        ("job-" + i).getBytes(StandardCharsets.UTF_8));
            }
        }
    }

    @AfterAll
    static void stopBroker() {
        if (node != null) {
            node.close();
        }
    }

    private static ConfigurableApplicationContext instance(String id) {
        return new SpringApplicationBuilder(RabbitTestApp.class)
                .web(WebApplicationType.NONE)
                .properties("handoff.instance-id=" + id, "handoff.termination.enabled=false",
                        "spring.rabbitmq.host=127.0.0.1", "spring.rabbitmq.port=" + node.port(),
                        "spring.rabbitmq.listener.simple.prefetch=25", "spring.main.banner-mode=off")
                .run();
    }

    @Test
    void theOldInstanceRequeuesItsPrefetchedJobsAndFinishesItsOwnNoneLostNoneTwice() throws Exception {
        // given an instance consuming the backlog
        ConfigurableApplicationContext first = instance("boot-1");
        ConfigurableApplicationContext second = null;
        try {
            SpringBootInstance old = first.getBean(SpringBootInstance.class);
            assertThat(old.state()).isEqualTo(LifecycleState.READY);
            await().atMost(Duration.ofSeconds(30)).until(() -> RabbitTestApp.RUNS.size() >= 40);

            // when it is retired while it has jobs running and prefetched
            old.stopAccepting().toCompletableFuture().get(5, TimeUnit.SECONDS);
            old.drain().toCompletableFuture().get(30, TimeUnit.SECONDS);
            int ranByOld = RabbitTestApp.RUNS.size();
            assertThat(ranByOld).isLessThan(JOBS);
            assertThat(old.inFlight()).isZero();

            // then the next instance runs the rest, the old one's prefetched jobs included
            second = instance("boot-2");
            await().atMost(Duration.ofSeconds(60)).until(() -> RabbitTestApp.RUNS.size() == JOBS);
        } finally {
            first.close();
            if (second != null) {
                second.close();
            }
        }
        Map<String, List<String>> runs = RabbitTestApp.RUNS;
        assertThat(runs).hasSize(JOBS);
        assertThat(runs.values()).allSatisfy(instances -> assertThat(instances).hasSize(1));
        assertThat(runs.values().stream().filter(instances -> instances.contains("boot-2"))).isNotEmpty();
    }
}
