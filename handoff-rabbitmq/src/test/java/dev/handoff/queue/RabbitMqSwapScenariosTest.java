package dev.handoff.queue;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.concurrent.atomic.AtomicInteger;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;

import com.rabbitmq.client.Channel;
import com.rabbitmq.client.Connection;

import dev.handoff.rabbitmq.RabbitMqJobSource;
import dev.handoff.test.rabbitmq.RabbitNode;
import dev.handoff.queue.spi.JobSource;

/** The swap scenarios on a real RabbitMQ node, started for this class. */
class RabbitMqSwapScenariosTest extends SwapScenarios {

    private static final AtomicInteger QUEUES = new AtomicInteger();
    private static RabbitNode node;

    @BeforeAll
    static void startNode() {
        node = RabbitNode.start(Path.of("target", "rabbitmq"));
    }

    @AfterAll
    static void stopNode() {
        if (node != null) {
            node.close();
        }
    }

    @Override
    protected Broker newBroker() throws Exception {
        String queue = "scenario-" + QUEUES.incrementAndGet();
        Connection admin = node.connectionFactory().newConnection("test-admin");
        Channel adminChannel = admin.createChannel();
        RabbitMqJobSource.declareQueue(adminChannel, queue);
        Channel publisher = admin.createChannel();
        publisher.confirmSelect();
        return new Broker() {
            private int unconfirmed;

            @Override
            public JobSource connect() {
                return RabbitMqJobSource.connect(node.connectionFactory(), queue);
            }

            @Override
            public void publish(String jobId) throws Exception {
                RabbitMqJobSource.publish(publisher, queue, jobId, jobId.getBytes(StandardCharsets.UTF_8));
                if (++unconfirmed == 500) {
                    flush();
                }
            }

            @Override
            public void flush() throws Exception {
                publisher.waitForConfirmsOrDie(10_000);
                unconfirmed = 0;
            }

            @Override
            public long remaining() throws Exception {
                return adminChannel.queueDeclarePassive(queue).getMessageCount();
            }

            @Override
            public void crash(JobSource source) {
                ((RabbitMqJobSource) source).connection().abort();
            }

            @Override
            public void close() {
                admin.abort();
            }
        };
    }
}
