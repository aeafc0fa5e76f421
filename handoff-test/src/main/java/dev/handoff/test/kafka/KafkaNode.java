package dev.handoff.test.kafka;

import java.io.PrintStream;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.admin.TopicDescription;
import org.apache.kafka.common.test.KafkaClusterTestKit;
import org.apache.kafka.common.test.TestKitNodes;

import kafka.server.BrokerServer;

/**
 * A throwaway Kafka broker for tests and tools, in this JVM: one KRaft node (broker and controller combined) from
 * Kafka's own test kit ({@code KafkaClusterTestKit}, {@code kafka-test-common-runtime}), with its data in a fresh
 * temporary folder deleted on {@link #close()}. No Docker, no ZooKeeper, no external process.
 *
 * <pre>{@code
 * try (KafkaNode kafka = KafkaNode.start()) {
 *     kafka.createTopic("jobs", 6);
 *     Properties consumer = new Properties();
 *     consumer.put("bootstrap.servers", kafka.bootstrapServers());
 *     ...
 * }
 * }</pre>
 *
 * <p>The group coordinator is tuned for tests: no initial rebalance delay, a minimum session timeout of 1 s (classic
 * protocol) and 2 s (the consumer protocol of KIP-848), and a heartbeat interval of 500 ms for the consumer protocol
 * (the broker sets it for that protocol; 5 s by default), and broker heartbeats of 200 ms (a restarted broker is back
 * in under 2 s). Both group protocols are enabled ({@code classic} and {@code consumer}, Kafka 4's default). Pass other
 * broker settings to {@link #start(Map)}.
 *
 * <p><b>Addresses.</b> Clients reach the broker on {@code localhost} ({@link #bootstrapServers()}). The test kit
 * pre-binds its ports on the wildcard address (so that a restarted broker gets the same port): on a machine reachable
 * from others, firewall the port or use this class on a closed network only.
 *
 * <p><b>Restarts.</b> {@link #stopBroker()} shuts the broker down (clients lose their connections; the controller stays
 * up) and {@link #startBroker()} starts it again on the same port with the same data: topics, records and committed
 * offsets survive. Starting a node takes several seconds (most of it loading Kafka's classes); share one per test
 * class.
 *
 * <p>Thread-safe: every method is serialized.
 */
public final class KafkaNode implements AutoCloseable {

    private static final Duration ADMIN_TIMEOUT = Duration.ofSeconds(30);

    private final KafkaClusterTestKit cluster;
    private final Admin admin;
    private boolean brokerUp = true;
    private boolean closed;

    private KafkaNode(KafkaClusterTestKit cluster) {
        this.cluster = cluster;
        this.admin = cluster.admin();
    }

    /**
     * Starts a node with the test settings of the class comment. Blocking, a few seconds.
     *
     * @return the running node
     * @throws IllegalStateException when the node cannot start (the cause says why)
     */
    public static KafkaNode start() {
        return start(Map.of());
    }

    /**
     * @param brokerSettings broker settings added to (or replacing) the test settings
     * @return the running node
     * @throws NullPointerException  when {@code brokerSettings} is null
     * @throws IllegalStateException when the node cannot start (the cause says why)
     */
    public static synchronized KafkaNode start(Map<String, String> brokerSettings) {
        Objects.requireNonNull(brokerSettings, "brokerSettings must not be null");
        Map<String, String> settings = new HashMap<>();
        settings.put("group.initial.rebalance.delay.ms", "0");
        settings.put("offsets.topic.replication.factor", "1");
        settings.put("offsets.topic.num.partitions", "1");
        settings.put("transaction.state.log.replication.factor", "1");
        settings.put("transaction.state.log.min.isr", "1");
        settings.put("group.min.session.timeout.ms", "1000");
        settings.put("group.consumer.min.session.timeout.ms", "2000");
        settings.put("group.consumer.session.timeout.ms", "10000");
        settings.put("group.consumer.min.heartbeat.interval.ms", "500");
        settings.put("group.consumer.heartbeat.interval.ms", "500");
        settings.put("auto.create.topics.enable", "false");
        // a restarted broker registers again within its heartbeats: 1.7 s instead of 10 s with the defaults (2 s, 9 s)
        settings.put("broker.heartbeat.interval.ms", "200");
        settings.put("broker.session.timeout.ms", "1800");
        settings.putAll(brokerSettings);
        KafkaClusterTestKit cluster = null;
        try {
            TestKitNodes nodes = new TestKitNodes.Builder()
                    .setCombined(true)
                    .setNumBrokerNodes(1)
                    .setNumControllerNodes(1)
                    .build();
            KafkaClusterTestKit.Builder builder = new KafkaClusterTestKit.Builder(nodes);
            settings.forEach(builder::setConfigProp);
            cluster = builder.build();
            // the test kit's formatter prints to System.out, which a tool keeps for its results
            PrintStream out = System.out;
            System.setOut(System.err);
            try {
                cluster.format();
                cluster.startup();
            } finally {
                System.setOut(out);
            }
            cluster.waitForReadyBrokers();
            return new KafkaNode(cluster);
        } catch (Exception e) {
            if (cluster != null) {
                closeQuietly(cluster);
            }
            if (e instanceof InterruptedException) {
                Thread.currentThread().interrupt();
            }
            throw new IllegalStateException("cannot start an in-process Kafka broker: " + e, e);
        }
    }

    /** @return the broker's address for clients' {@code bootstrap.servers}, e.g. {@code localhost:40123} */
    public synchronized String bootstrapServers() {
        checkOpen();
        return cluster.bootstrapServers();
    }

    /**
     * Creates a topic with one replica per partition and waits until the broker has it.
     *
     * @param name       the topic
     * @param partitions its partitions, {@code >= 1}
     * @throws IllegalArgumentException when {@code partitions < 1}
     * @throws IllegalStateException    when the broker refuses or does not answer within 30 s
     */
    public synchronized void createTopic(String name, int partitions) {
        Objects.requireNonNull(name, "name must not be null");
        if (partitions < 1) {
            throw new IllegalArgumentException("partitions must be >= 1, but was " + partitions);
        }
        checkOpen();
        try {
            admin.createTopics(List.of(new NewTopic(name, partitions, (short) 1))).all()
                    .get(ADMIN_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS);
            // the controller has it; wait until the broker serves its metadata too (clients ask the broker)
            long deadline = System.nanoTime() + ADMIN_TIMEOUT.toNanos();
            while (!servedByBroker(name, partitions)) {
                if (System.nanoTime() - deadline > 0) {
                    throw new IllegalStateException("topic " + name + " created, but the broker does not serve it"
                            + " after " + ADMIN_TIMEOUT);
                }
                TimeUnit.MILLISECONDS.sleep(10);
            }
        } catch (ExecutionException | TimeoutException e) {
            throw new IllegalStateException("cannot create topic " + name + ": " + e, e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while creating topic " + name, e);
        }
    }

    private boolean servedByBroker(String name, int partitions) throws InterruptedException, TimeoutException {
        try {
            TopicDescription description = admin.describeTopics(List.of(name)).allTopicNames()
                    .get(ADMIN_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS).get(name);
            return description != null && description.partitions().size() == partitions
                    && description.partitions().stream().allMatch(partition -> partition.leader() != null);
        } catch (ExecutionException e) {
            return false; // UnknownTopicOrPartitionException until the broker has the metadata
        }
    }

    /** @return an admin client of the node's own, closed by {@link #close()}; do not close it */
    public synchronized Admin admin() {
        checkOpen();
        return admin;
    }

    /** Shuts the broker down (the controller stays up); clients lose their connections. Idempotent. */
    public synchronized void stopBroker() {
        checkOpen();
        if (brokerUp) {
            broker().shutdown();
            brokerUp = false;
        }
    }

    /**
     * Starts the broker again on the same port, with the same data, and waits until it is ready. Idempotent.
     *
     * @throws IllegalStateException when it does not come back
     */
    public synchronized void startBroker() {
        checkOpen();
        if (brokerUp) {
            return;
        }
        broker().startup();
        try {
            cluster.waitForReadyBrokers();
        } catch (ExecutionException e) {
            throw new IllegalStateException("the restarted broker is not ready: " + e, e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while the broker restarted", e);
        }
        brokerUp = true;
    }

    private BrokerServer broker() {
        return cluster.brokers().values().iterator().next();
    }

    private void checkOpen() {
        if (closed) {
            throw new IllegalStateException("the Kafka node is closed");
        }
    }

    /** Stops the node and deletes its data. Idempotent. */
    @Override
    public synchronized void close() {
        if (closed) {
            return;
        }
        closed = true;
        admin.close(Duration.ofSeconds(5));
        closeQuietly(cluster);
    }

    private static void closeQuietly(KafkaClusterTestKit cluster) {
        try {
            cluster.close();
        } catch (Exception e) {
            if (e instanceof InterruptedException) {
                Thread.currentThread().interrupt();
            }
            // nothing more to do: the folder is temporary
        }
    }

    @Override
    public String toString() {
        return "KafkaNode[" + (closed ? "closed" : cluster.bootstrapServers()) + "]";
    }
}
