package dev.handoff.rabbitmq;

import dev.handoff.test.rabbitmq.RabbitNode;
import dev.handoff.test.rabbitmq.RabbitNode.CtlResult;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import com.rabbitmq.client.AMQP;
import com.rabbitmq.client.Channel;
import com.rabbitmq.client.Connection;
import com.rabbitmq.client.ConnectionFactory;
import com.rabbitmq.client.GetResponse;
import com.rabbitmq.client.Recoverable;

import dev.handoff.queue.FailurePolicy;
import dev.handoff.queue.HandoffConsumer;
import dev.handoff.queue.spi.DeadLetterTarget;
import dev.handoff.queue.spi.Delivery;
import dev.handoff.queue.spi.DeliveryListener;
import dev.handoff.queue.spi.JobSourceException;
import dev.handoff.queue.spi.Subscription;

/** The job source contract on a real RabbitMQ node, started for this class. */
class RabbitMqJobSourceTest {

    private static final AtomicInteger QUEUES = new AtomicInteger();
    private static RabbitNode node;

    private Connection admin;
    private Channel channel;
    private String queue;
    private String deadLetterQueue;
    private RabbitMqJobSource source;

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

    @BeforeEach
    void declareQueue() throws Exception {
        admin = node.connectionFactory().newConnection("test-admin");
        channel = admin.createChannel();
        queue = "source-" + QUEUES.incrementAndGet();
        deadLetterQueue = RabbitMqJobSource.declareQueue(channel, queue);
        source = RabbitMqJobSource.connect(node.connectionFactory(), queue);
    }

    @AfterEach
    void closeConnections() {
        source.close();
        admin.abort();
    }

    private void publish(int count) throws Exception {
        channel.confirmSelect();
        for (int i = 0; i < count; i++) {
            RabbitMqJobSource.publish(channel, queue, "job-" + i, ("payload " + i).getBytes(StandardCharsets.UTF_8));
        }
        channel.waitForConfirmsOrDie(10_000);
    }

    private long ready(String name) throws Exception {
        return channel.queueDeclarePassive(name).getMessageCount();
    }

    static final class Collector implements DeliveryListener {
        final BlockingQueue<Delivery> deliveries = new LinkedBlockingQueue<>();
        final List<Throwable> terminations = new CopyOnWriteArrayList<>();

        @Override
        public void onDelivery(Delivery delivery) {
            deliveries.add(delivery);
        }

        @Override
        public void onTerminated(Throwable cause) {
            terminations.add(cause);
        }

        Delivery take() throws InterruptedException {
            Delivery delivery = deliveries.poll(10, TimeUnit.SECONDS);
            assertThat(delivery).as("a delivery within 10 s").isNotNull();
            return delivery;
        }
    }

    @Test
    void theNodesUriNamesTheDefaultVhost() throws Exception {
        ConnectionFactory factory = new ConnectionFactory();
        factory.setUri(node.uri());
        try (Connection connection = factory.newConnection()) {
            assertThat(connection.isOpen()).isTrue();
            assertThat(factory.getVirtualHost()).isEqualTo("/");
        }
    }

    @Test
    void prefetch_bounds_deliveries_and_ack_removes_the_job() throws Exception {
        // given
        publish(5);
        Collector collector = new Collector();

        // when
        Subscription subscription = source.subscribe(2, collector);
        Delivery first = collector.take();
        Delivery second = collector.take();

        // then
        assertThat(List.of(first.jobId(), second.jobId())).containsExactly("job-0", "job-1");
        assertThat(new String(first.body(), StandardCharsets.UTF_8)).isEqualTo("payload 0");
        assertThat(first.redelivered()).isFalse();
        first.ack();
        assertThat(collector.take().jobId()).isEqualTo("job-2");
        second.ack();
        subscription.close();
        await().atMost(Duration.ofSeconds(10)).until(() -> ready(queue) == 3);
    }

    @Test
    void cancel_completes_on_cancel_ok_after_the_deliveries_sent_and_requeue_redelivers() throws Exception {
        // given
        publish(10);
        Collector collector = new Collector();
        List<String> events = new CopyOnWriteArrayList<>();
        Subscription subscription = source.subscribe(4, delivery -> {
            events.add(delivery.jobId());
            collector.onDelivery(delivery);
        });
        await().atMost(Duration.ofSeconds(10)).until(() -> events.size() == 4);

        // when
        subscription.cancel().thenRun(() -> events.add("cancel-ok")).toCompletableFuture().get(10, TimeUnit.SECONDS);

        // then: the held deliveries stay with us until we settle them
        assertThat(events).hasSize(5).endsWith("cancel-ok");
        assertThat(subscription.isActive()).isFalse();
        assertThat(ready(queue)).isEqualTo(6);
        for (int i = 0; i < 4; i++) {
            collector.take().requeue();
        }
        await().atMost(Duration.ofSeconds(10)).until(() -> ready(queue) == 10);
        Collector next = new Collector();
        source.subscribe(1, next);
        Delivery again = next.take();
        assertThat(again.redelivered()).isTrue();
        assertThat(again.jobId()).isEqualTo("job-0");
    }

    @Test
    void closing_the_subscription_gives_back_every_unacked_delivery_and_later_settles_fail() throws Exception {
        // given
        publish(3);
        Collector collector = new Collector();
        Subscription subscription = source.subscribe(3, collector);
        Delivery a = collector.take();
        Delivery b = collector.take();
        collector.take();
        a.ack();

        // when
        subscription.close();

        // then
        await().atMost(Duration.ofSeconds(10)).until(() -> ready(queue) == 2);
        assertThatThrownBy(b::ack).isInstanceOf(JobSourceException.class)
                .hasMessageContaining("cannot ack job job-1 on " + source.description())
                .hasMessageContaining("the broker has requeued the job");
        assertThatThrownBy(a::ack).isInstanceOf(IllegalStateException.class)
                .hasMessage("job job-0 cannot be ACKED: it was already ACKED");
        Collector next = new Collector();
        source.subscribe(5, next);
        assertThat(next.take().redelivered()).isTrue();
    }

    @Test
    void publish_sends_a_persistent_message_with_the_job_id() throws Exception {
        // a transient message is dropped from a durable queue when the broker restarts (BrokerRestartTest)
        publish(1);

        GetResponse message = channel.basicGet(queue, true);

        assertThat(message.getProps().getMessageId()).isEqualTo("job-0");
        assertThat(message.getProps().getDeliveryMode()).as("delivery mode (2: persistent)").isEqualTo(2);
    }

    @Test
    void reject_moves_the_job_to_the_dead_letter_queue() throws Exception {
        publish(1);
        Collector collector = new Collector();
        source.subscribe(1, collector);

        collector.take().reject();

        await().atMost(Duration.ofSeconds(10)).until(() -> ready(deadLetterQueue) == 1);
        assertThat(ready(queue)).isZero();
    }

    @Test
    void a_lost_connection_terminates_the_subscription_with_its_cause() throws Exception {
        publish(2);
        Collector collector = new Collector();
        Subscription subscription = source.subscribe(2, collector);
        Delivery held = collector.take();

        source.connection().abort();

        await().atMost(Duration.ofSeconds(10)).until(() -> !collector.terminations.isEmpty());
        assertThat(collector.terminations.get(0)).isInstanceOf(JobSourceException.class)
                .hasMessageContaining("the channel to " + source.description() + " closed");
        assertThat(subscription.cancel().toCompletableFuture()).isCompletedExceptionally();
        assertThatThrownBy(held::ack).isInstanceOf(JobSourceException.class);
        await().atMost(Duration.ofSeconds(10)).until(() -> ready(queue) == 2);
    }

    @Test
    void a_connection_the_broker_closes_is_not_recovered_by_the_client() throws Exception {
        // given: a factory with the client's automatic recovery on (its default), retrying every 100 ms
        source.close();   // the only connection of this queue's name is the one under test
        ConnectionFactory factory = node.connectionFactory();
        factory.setAutomaticRecoveryEnabled(true);
        factory.setNetworkRecoveryInterval(100);
        RabbitMqJobSource recovering = RabbitMqJobSource.connect(factory, queue);
        try {
            Collector collector = new Collector();
            recovering.subscribe(5, collector);
            await().atMost(Duration.ofSeconds(10)).until(() -> consumers(queue) == 1);

            // when: the broker closes the connection (as on a restart, or an operator's close_connection)
            CtlResult closed = node.ctl("close_connection", connectionPid(recovering.connection().getClientProvidedName()), "test: closed");
            assertThat(closed.exitCode()).as(closed.output()).isZero();

            // then: the subscription ends, and the connection and its consumer stay gone: the consumer instance
            // fails and is replaced, it does not come back by itself beside its replacement
            await().atMost(Duration.ofSeconds(10)).until(() -> !collector.terminations.isEmpty());
            assertThat(collector.terminations.get(0)).hasMessageContaining("CONNECTION_FORCED");
            await().during(Duration.ofSeconds(2)).atMost(Duration.ofSeconds(5))
                    .until(() -> !recovering.isOpen() && consumers(queue) == 0);
            assertThat(recovering.connection()).isNotInstanceOf(Recoverable.class);
            assertThat(factory.isAutomaticRecoveryEnabled()).as("the caller's factory is left as it was").isTrue();
        } finally {
            recovering.close();
        }
    }

    private long consumers(String name) throws Exception {
        return channel.queueDeclarePassive(name).getConsumerCount();
    }

    /** @return the broker's pid of the one connection whose client named it {@code name} */
    private static String connectionPid(String name) {
        CtlResult connections = node.ctl("list_connections", "--silent", "pid", "client_properties");
        assertThat(connections.exitCode()).as(connections.output()).isZero();
        List<String> pids = connections.output().lines()
                .filter(line -> line.contains("\"" + name + "\""))
                .map(line -> line.substring(0, line.indexOf('\t')).strip())
                .toList();
        assertThat(pids).as("connections named '%s' in:%n%s", name, connections.output()).hasSize(1);
        return pids.get(0);
    }

    @Test
    void a_handler_that_always_throws_is_retried_then_dead_lettered() throws Exception {
        // given
        publish(3);
        HandoffConsumer consumer = HandoffConsumer.builder("poisoned")
                .source(() -> RabbitMqJobSource.connect(node.connectionFactory(), queue))
                .handler(job -> {
                    if (job.id().equals("job-1")) {
                        throw new IllegalArgumentException("bad payload");
                    }
                })
                .maxAttempts(3)
                .failurePolicy(FailurePolicy.DEAD_LETTER)
                .build();

        // when
        try {
            consumer.start();
            await().atMost(Duration.ofSeconds(10)).until(() -> ready(deadLetterQueue) == 1);

            // then
            await().atMost(Duration.ofSeconds(10)).until(() -> consumer.stats().acked() == 2);
            assertThat(consumer.stats().retried()).isEqualTo(2);
            assertThat(consumer.stats().deadLettered()).isEqualTo(1);
        } finally {
            consumer.close();
        }
        assertThat(ready(queue)).isZero();
    }

    @Test
    void a_job_without_message_id_that_always_fails_is_dead_lettered_after_max_attempts() throws Exception {
        // given: a message without message-id (as RabbitMQ's PerfTest publishes): its delivery tag changes on every
        // redelivery, so the attempts must be counted in the message itself
        channel.basicPublish("", queue, new AMQP.BasicProperties.Builder().deliveryMode(2).build(),
                "poison".getBytes(StandardCharsets.UTF_8));
        AtomicInteger calls = new AtomicInteger();
        List<Integer> attempts = new CopyOnWriteArrayList<>();
        HandoffConsumer consumer = HandoffConsumer.builder("no-ids")
                .source(() -> RabbitMqJobSource.connect(node.connectionFactory(), queue))
                .handler(job -> {
                    calls.incrementAndGet();
                    attempts.add(job.attempt());
                    throw new IllegalArgumentException("bad payload");
                })
                .maxAttempts(3)
                .build();

        // when
        try {
            consumer.start();
            await().atMost(Duration.ofSeconds(10)).until(() -> ready(deadLetterQueue) == 1);

            // then
            assertThat(consumer.stats().deadLettered()).isEqualTo(1);
            assertThat(consumer.stats().retried()).isEqualTo(2);
        } finally {
            consumer.close();
        }
        assertThat(calls).hasValue(3);
        assertThat(attempts).containsExactly(1, 2, 3);
        assertThat(ready(queue)).isZero();
    }

    @Test
    void a_job_without_message_id_keeps_its_attempts_when_another_consumer_takes_it() throws Exception {
        // given: the job fails twice on a first consumer, whose channel closes while it runs the third attempt (a
        // swap's forced stop, a crash): the broker requeues it
        channel.basicPublish("", queue, new AMQP.BasicProperties.Builder().deliveryMode(2).build(),
                "poison".getBytes(StandardCharsets.UTF_8));
        CountDownLatch third = new CountDownLatch(1);
        CountDownLatch release = new CountDownLatch(1);
        HandoffConsumer first = HandoffConsumer.builder("first")
                .source(() -> RabbitMqJobSource.connect(node.connectionFactory(), queue))
                .handler(job -> {
                    if (job.attempt() == 3) {
                        third.countDown();
                        release.await(10, TimeUnit.SECONDS);
                    }
                    throw new IllegalArgumentException("bad payload");
                })
                // one worker: each retry is settled (copy confirmed, original acknowledged) before the next attempt
                // starts, so the close below cuts only the third attempt
                .concurrency(1)
                .maxAttempts(4).failurePolicy(FailurePolicy.LOG_AND_DISCARD).build();
        List<Integer> secondAttempts = new CopyOnWriteArrayList<>();
        HandoffConsumer second = HandoffConsumer.builder("second")
                .source(() -> RabbitMqJobSource.connect(node.connectionFactory(), queue))
                .handler(job -> {
                    secondAttempts.add(job.attempt());
                    throw new IllegalArgumentException("bad payload");
                })
                .maxAttempts(4).failurePolicy(FailurePolicy.LOG_AND_DISCARD).build();
        try {
            first.start();
            assertThat(third.await(10, TimeUnit.SECONDS)).as("third attempt on the first consumer").isTrue();
            first.close();

            // when
            second.start();
            await().atMost(Duration.ofSeconds(10)).until(() -> second.stats().discarded() == 1);
        } finally {
            release.countDown();
            first.close();
            second.close();
        }

        // then: the second consumer counted on from the two failures the message carries, and the job is gone
        assertThat(secondAttempts).containsExactly(3, 4);
        assertThat(ready(queue)).isZero();
        assertThat(ready(deadLetterQueue)).isZero();
    }

    @Test
    void dead_letter_policy_on_a_queue_without_dead_letter_exchange_refuses_to_start() throws Exception {
        // given: a queue that declares no dead-letter exchange, and a job in it
        String plain = "plain-" + QUEUES.incrementAndGet();
        channel.queueDeclare(plain, true, false, false, null);
        channel.basicPublish("", plain, null, "job".getBytes(StandardCharsets.UTF_8));
        AtomicInteger calls = new AtomicInteger();
        HandoffConsumer consumer = HandoffConsumer.builder("no-dlx")
                .source(() -> RabbitMqJobSource.connect(node.connectionFactory(), plain))
                .handler(job -> calls.incrementAndGet())
                .build();

        // when / then: refused before it takes a job, with the remedies
        try {
            assertThatThrownBy(consumer::start)
                    .isInstanceOf(JobSourceException.class)
                    .hasMessageContaining("queue '" + plain + "'")
                    .hasMessageContaining("no dead-letter exchange")
                    .hasMessageContaining("LOG_AND_DISCARD");
            assertThat(consumer.isConsuming()).isFalse();
        } finally {
            consumer.close();
        }
        assertThat(calls).hasValue(0);
        assertThat(ready(plain)).isEqualTo(1);

        // and LOG_AND_DISCARD consumes the same queue
        HandoffConsumer discarding = HandoffConsumer.builder("discarding")
                .source(() -> RabbitMqJobSource.connect(node.connectionFactory(), plain))
                .handler(job -> calls.incrementAndGet())
                .failurePolicy(FailurePolicy.LOG_AND_DISCARD)
                .build();
        try {
            discarding.start();
            await().atMost(Duration.ofSeconds(10)).until(() -> discarding.stats().acked() == 1);
        } finally {
            discarding.close();
        }
    }

    @Test
    void the_dead_letter_exchange_is_read_from_the_queue_arguments() throws Exception {
        String plain = "plain-" + QUEUES.incrementAndGet();
        channel.queueDeclare(plain, false, false, true, null);
        String withDlx = "dlx-" + QUEUES.incrementAndGet();
        channel.exchangeDeclare("failed-jobs", "fanout", true);
        channel.queueDeclare(withDlx, true, false, false, Map.of("x-dead-letter-exchange", "failed-jobs"));
        try (RabbitMqJobSource none = RabbitMqJobSource.connect(node.connectionFactory(), plain);
             RabbitMqJobSource some = RabbitMqJobSource.connect(node.connectionFactory(), withDlx)) {
            assertThat(none.deadLetterTarget().kind()).isEqualTo(DeadLetterTarget.Kind.ABSENT);
            assertThat(some.deadLetterTarget().kind()).isEqualTo(DeadLetterTarget.Kind.PRESENT);
            assertThat(some.deadLetterTarget().description()).contains("exchange 'failed-jobs'");
            assertThat(source.deadLetterTarget().description()).contains("the default exchange");
            // a policy can set one too: the application says so, the source cannot see policies
            assertThat(none.deadLetterExchangeByPolicy("policy-dlx").deadLetterTarget().kind())
                    .isEqualTo(DeadLetterTarget.Kind.PRESENT);
        }
    }

    @Test
    void on_a_quorum_queue_the_dead_letter_exchange_is_read_and_attempts_are_counted_without_message_id()
            throws Exception {
        // given: quorum queues, one with a dead-letter exchange and one without
        String dead = "quorum-dead-" + QUEUES.incrementAndGet();
        channel.queueDeclare(dead, true, false, false, Map.of("x-queue-type", "quorum"));
        String quorum = "quorum-" + QUEUES.incrementAndGet();
        channel.queueDeclare(quorum, true, false, false, Map.of("x-queue-type", "quorum",
                "x-dead-letter-exchange", "", "x-dead-letter-routing-key", dead));
        try (RabbitMqJobSource withDlx = RabbitMqJobSource.connect(node.connectionFactory(), quorum);
             RabbitMqJobSource without = RabbitMqJobSource.connect(node.connectionFactory(), dead)) {
            assertThat(withDlx.deadLetterTarget().kind()).isEqualTo(DeadLetterTarget.Kind.PRESENT);
            assertThat(without.deadLetterTarget().kind()).isEqualTo(DeadLetterTarget.Kind.ABSENT);
        }
        channel.basicPublish("", quorum, new AMQP.BasicProperties.Builder().deliveryMode(2).build(),
                "poison".getBytes(StandardCharsets.UTF_8));
        List<Integer> attempts = new CopyOnWriteArrayList<>();
        HandoffConsumer consumer = HandoffConsumer.builder("quorum")
                .source(() -> RabbitMqJobSource.connect(node.connectionFactory(), quorum))
                .handler(job -> {
                    attempts.add(job.attempt());
                    throw new IllegalArgumentException("bad payload");
                })
                .maxAttempts(3)
                .build();

        // when
        try {
            consumer.start();
            await().atMost(Duration.ofSeconds(10)).until(() -> ready(dead) == 1);
        } finally {
            consumer.close();
        }

        // then
        assertThat(attempts).containsExactly(1, 2, 3);
        assertThat(ready(quorum)).isZero();
    }

    @Test
    void bad_input_is_refused_with_the_field_and_value() {
        ConnectionFactory factory = node.connectionFactory();
        assertThatThrownBy(() -> RabbitMqJobSource.connect(factory, "no-such-queue"))
                .isInstanceOf(JobSourceException.class)
                .hasMessageContaining("queue 'no-such-queue' is not usable on rabbitmq 127.0.0.1:" + node.port())
                .hasMessageContaining("NOT_FOUND");
        assertThatThrownBy(() -> RabbitMqJobSource.connect(factory, " "))
                .isInstanceOf(IllegalArgumentException.class).hasMessage("queue must not be blank, but was ' '");
        assertThatThrownBy(() -> source.subscribe(0, new Collector()))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("prefetch must be between 1 and 65535, but was 0");
        factory.setPort(1);
        assertThatThrownBy(() -> RabbitMqJobSource.connect(factory, queue))
                .isInstanceOf(JobSourceException.class)
                .hasMessageStartingWith("cannot connect to rabbitmq 127.0.0.1:1/" + queue);
    }

    @Test
    void a_missing_installation_fails_loudly_with_the_fix() {
        assertThatThrownBy(() -> RabbitNode.start(Path.of("target", "rabbitmq"), Path.of("/nonexistent/rabbitmq")))
                .isInstanceOf(IllegalStateException.class)
                .hasMessage("rabbitmq-server is not installed (/nonexistent/rabbitmq/rabbitmq-server not found):"
                        + " install it: apt-get install -y rabbitmq-server");
    }
}
