package dev.handoff.examples.queueswap;

import java.io.IOException;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.time.Duration;
import java.util.Comparator;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Stream;

import com.rabbitmq.client.Channel;
import com.rabbitmq.client.Connection;
import com.rabbitmq.client.ConnectionFactory;

import dev.handoff.queue.InMemoryJobQueue;
import dev.handoff.rabbitmq.RabbitMqJobSource;
import dev.handoff.test.rabbitmq.RabbitNode;
import dev.handoff.queue.spi.JobSource;

/** The broker of a {@code queue-swap} run: opens one fresh queue per mode. */
abstract class Broker implements AutoCloseable {

    /** One queue of the broker. */
    interface Queue extends AutoCloseable {
        /** @return a new connection to the queue, for one consumer instance */
        JobSource connect();

        /** Publishes a job; called from one thread. */
        void publish(String jobId) throws Exception;

        /** Waits until the broker stored every job published. */
        void flush() throws Exception;

        /** @return jobs waiting for delivery */
        long ready() throws Exception;

        @Override
        void close() throws IOException;
    }

    abstract String name();

    abstract Queue newQueue(String name) throws Exception;

    @Override
    public abstract void close() throws IOException;

    static Broker memory(int capacity) {
        return new MemoryBroker(capacity);
    }

    static Broker rabbitmq(URI uri) throws GeneralSecurityException, java.net.URISyntaxException {
        ConnectionFactory factory = new ConnectionFactory();
        factory.setUri(uri);
        return new RabbitBroker(factory, null, null);
    }

    static Broker throwawayRabbitmq() throws IOException {
        Path directory = Files.createTempDirectory("handoff-queue-swap-");
        RabbitNode node = RabbitNode.start(directory);
        return new RabbitBroker(node.connectionFactory(), node, directory);
    }

    private static final class MemoryBroker extends Broker {
        private final int capacity;

        MemoryBroker(int capacity) {
            this.capacity = capacity;
        }

        @Override
        String name() {
            return "memory";
        }

        @Override
        Queue newQueue(String name) {
            InMemoryJobQueue queue = InMemoryJobQueue.create(name, capacity);
            return new Queue() {
                @Override
                public JobSource connect() {
                    return queue.connect();
                }

                @Override
                public void publish(String jobId) throws InterruptedException {
                    if (!queue.publish(jobId, jobId.getBytes(StandardCharsets.UTF_8), Duration.ofSeconds(30))) {
                        throw new IllegalStateException("memory queue full for 30 s");
                    }
                }

                @Override
                public void flush() {
                    // publish stores synchronously
                }

                @Override
                public long ready() {
                    return queue.readyCount();
                }

                @Override
                public void close() {
                    queue.close();
                }
            };
        }

        @Override
        public void close() {
            // nothing held
        }
    }

    private static final class RabbitBroker extends Broker {
        private static final AtomicInteger QUEUES = new AtomicInteger();
        private final ConnectionFactory factory;
        private final RabbitNode node;
        private final Path directory;

        RabbitBroker(ConnectionFactory factory, RabbitNode node, Path directory) {
            this.factory = factory;
            this.node = node;
            this.directory = directory;
        }

        @Override
        String name() {
            return "rabbitmq";
        }

        @Override
        Queue newQueue(String name) throws IOException, TimeoutException {
            String queue = "handoff-" + name + "-" + ProcessHandle.current().pid() + "-" + QUEUES.incrementAndGet();
            Connection connection = factory.newConnection("queue-swap publisher");
            Channel admin = connection.createChannel();
            String deadLetter = RabbitMqJobSource.declareQueue(admin, queue);
            Channel publisher = connection.createChannel();
            publisher.confirmSelect();
            return new Queue() {
                private int unconfirmed;

                @Override
                public JobSource connect() {
                    return RabbitMqJobSource.connect(factory, queue);
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
                    publisher.waitForConfirmsOrDie(30_000);
                    unconfirmed = 0;
                }

                @Override
                public long ready() throws IOException {
                    return admin.queueDeclarePassive(queue).getMessageCount();
                }

                @Override
                public void close() throws IOException {
                    try {
                        admin.queueDelete(queue);
                        admin.queueDelete(deadLetter);
                    } finally {
                        connection.close(5_000);
                    }
                }
            };
        }

        @Override
        public void close() throws IOException {
            if (node != null) {
                node.close();
                try (Stream<Path> files = Files.walk(directory)) {
                    files.sorted(Comparator.reverseOrder()).forEach(path -> path.toFile().delete());
                }
            }
        }
    }
}
