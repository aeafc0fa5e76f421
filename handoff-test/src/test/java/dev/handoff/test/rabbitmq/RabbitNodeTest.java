package dev.handoff.test.rabbitmq;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import com.rabbitmq.client.AMQP;
import com.rabbitmq.client.Channel;
import com.rabbitmq.client.Connection;
import com.rabbitmq.client.ConnectionFactory;
import com.rabbitmq.client.GetResponse;
import com.rabbitmq.client.MessageProperties;
import com.rabbitmq.client.ShutdownSignalException;

/** A throwaway node that stops and starts again on the same ports and data: what survives a broker restart. */
class RabbitNodeTest {

    private static RabbitNode node;

    @BeforeAll
    static void startNode() {
        node = RabbitNode.start(Path.of("target", "rabbitmq"));
    }

    @AfterAll
    static void closeNode() {
        if (node != null) {
            node.close();
        }
    }

    @Test
    void a_restarted_node_answers_on_the_same_port_and_keeps_durable_queues_and_persistent_messages()
            throws Exception {
        // given: a durable queue holding one persistent and one transient message, and a client connected
        String name = node.nodeName();
        int port = node.port();
        ConnectionFactory factory = node.connectionFactory();
        factory.setAutomaticRecoveryEnabled(false);
        Connection client = factory.newConnection("restart-test");
        CompletableFuture<ShutdownSignalException> closedByBroker = new CompletableFuture<>();
        client.addShutdownListener(closedByBroker::complete);
        try (Channel channel = client.createChannel()) {
            channel.queueDeclare("restart-durable", true, false, false, null);
            channel.confirmSelect();
            channel.basicPublish("", "restart-durable", MessageProperties.PERSISTENT_BASIC,
                    "kept".getBytes(StandardCharsets.UTF_8));
            channel.basicPublish("", "restart-durable", new AMQP.BasicProperties.Builder().deliveryMode(1).build(),
                    "lost".getBytes(StandardCharsets.UTF_8));
            channel.waitForConfirmsOrDie(10_000);
        }

        // when
        node.stop();

        // then: the broker closed the client's connection and the port refuses new ones
        ShutdownSignalException signal = closedByBroker.get(10, TimeUnit.SECONDS);
        assertThat(signal.isInitiatedByApplication()).as("closed by the broker, not by the client").isFalse();
        assertThat(client.isOpen()).isFalse();
        assertThat(node.isRunning()).isFalse();
        assertThat(node.toString()).endsWith(", down]");
        assertThatThrownBy(() -> node.connectionFactory().newConnection("while-down")).isInstanceOf(IOException.class);
        node.stop();   // idempotent

        // when
        node.start();
        node.start();   // idempotent

        // then: same node, same port; the persistent message survived, the transient one did not
        assertThat(node.isRunning()).isTrue();
        assertThat(node.nodeName()).isEqualTo(name);
        assertThat(node.port()).isEqualTo(port);
        assertThat(node.ctl("status").exitCode()).isZero();
        try (Connection again = node.connectionFactory().newConnection("after-restart");
             Channel channel = again.createChannel()) {
            assertThat(channel.queueDeclarePassive("restart-durable").getMessageCount()).isEqualTo(1);
            GetResponse message = channel.basicGet("restart-durable", true);
            assertThat(new String(message.getBody(), StandardCharsets.UTF_8)).isEqualTo("kept");
        }
    }

    @Test
    void close_ends_a_node_that_restarted_and_is_down_for_good() throws Exception {
        RabbitNode other = RabbitNode.start(Path.of("target", "rabbitmq"));
        try {
            other.stop();
            other.start();
            try (Connection connection = other.connectionFactory().newConnection("restarted")) {
                assertThat(connection.isOpen()).isTrue();
            }
            other.stop();
        } finally {
            other.close();
        }

        other.close();   // idempotent
        assertThat(other.isRunning()).isFalse();
        assertThat(other.toString()).endsWith(", closed]");
        assertThatThrownBy(other::start).isInstanceOf(IllegalStateException.class)
                .hasMessage("RabbitMQ node " + other.nodeName() + " cannot start: it is closed");
    }
}
