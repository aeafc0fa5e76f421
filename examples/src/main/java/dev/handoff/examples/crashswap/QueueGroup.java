package dev.handoff.examples.crashswap;

import com.rabbitmq.client.Channel;
import com.rabbitmq.client.Connection;
import dev.handoff.api.event.SwapListener;
import dev.handoff.core.Orchestrator;
import dev.handoff.core.process.ChildProcessLauncher;
import dev.handoff.queue.process.ChildSubscriptionRouter;
import dev.handoff.rabbitmq.RabbitMqJobSource;
import dev.handoff.test.rabbitmq.RabbitNode;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.TimeoutException;

/**
 * The queue group of {@code crash-swap}: a throwaway RabbitMQ node with one durable queue, 2 {@link QueueChild}
 * JVMs supervised by an orchestrator, a {@link JobPublisher} of persistent jobs and the children's ledger files.
 * Not thread-safe: one run's thread drives it.
 */
final class QueueGroup implements AutoCloseable {

    static final String QUEUE = "crash-swap-jobs";

    private final Group group = new Group();
    private final RabbitNode node;
    private final LedgerFolder ledger;
    private final JobPublisher publisher;
    private final Orchestrator orchestrator;

    QueueGroup(Path folder, String classpath, int jobsPerSecond, SwapListener listener) throws IOException {
        Path ledgers = Files.createDirectories(folder.resolve("ledgers"));
        node = RabbitNode.start(folder.resolve("rabbitmq"));
        try (Connection connection = node.connectionFactory().newConnection("crash-swap admin")) {
            RabbitMqJobSource.declareQueue(connection.createChannel(), QUEUE);
        } catch (TimeoutException e) {
            throw new IOException("cannot declare the queue on " + node, e);
        }
        ledger = new LedgerFolder(ledgers);
        publisher = new JobPublisher(node.connectionFactory(), QUEUE, jobsPerSecond);
        ChildProcessLauncher launcher = ChildProcessLauncher.builder()
                .mainClass(QueueChild.class.getName(), classpath)
                .jvmOptions("-Xmx96m", "-XX:TieredStopAtLevel=1", "-XX:+UseSerialGC", Orphans.marker())
                .arguments(Integer.toString(node.port()), QUEUE, ledgers.toString())
                .output(ProcessBuilder.Redirect.appendTo(folder.resolve("queue.log").toFile()))
                .exitTimeout(Duration.ofSeconds(5))
                .build();
        orchestrator = Orchestrator.builder("queue", group.tracking(launcher), new ChildSubscriptionRouter())
                .readyTimeout(Duration.ofSeconds(30))
                .drainTimeout(Duration.ofSeconds(10))
                .replaceBackoff(Group.BACKOFF_MIN, Group.BACKOFF_MAX)
                .listener(listener)
                .build();
    }

    /** Starts the group's 2 members, then the publisher. */
    void start(Duration timeout) {
        orchestrator.startAndWait(Group.SIZE, timeout);
        publisher.start();
    }

    Orchestrator orchestrator() {
        return orchestrator;
    }

    RabbitNode node() {
        return node;
    }

    JobPublisher publisher() {
        return publisher;
    }

    /** @return the ledger, read up to now */
    LedgerFolder ledger() {
        ledger.poll();
        return ledger;
    }

    /** @return jobs ready in the queue; opens a connection of its own (the broker may have restarted) */
    long ready() {
        try (Connection connection = node.connectionFactory().newConnection("crash-swap admin")) {
            Channel channel = connection.createChannel();
            return channel.queueDeclarePassive(QUEUE).getMessageCount();
        } catch (IOException e) {
            throw new UncheckedIOException("cannot count the jobs ready on " + node, e);
        } catch (TimeoutException e) {
            throw new IllegalStateException("cannot count the jobs ready on " + node, e);
        }
    }

    @Override
    public void close() {
        try {
            publisher.stop(Duration.ofSeconds(15));
        } catch (IllegalStateException e) {
            // closing anyway
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } finally {
            try {
                orchestrator.close();
            } finally {
                group.killLeftovers();
                node.close();
            }
        }
    }
}
