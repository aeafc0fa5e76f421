package dev.handoff.examples.crashswap;

import com.rabbitmq.client.ConnectionFactory;
import dev.handoff.core.process.ChildAgent;
import dev.handoff.queue.HandoffConsumer;
import dev.handoff.queue.process.ChildConsumer;
import dev.handoff.rabbitmq.RabbitMqJobSource;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;

/**
 * The queue group's child JVM in {@code crash-swap}: {@code <amqp port> <queue> <ledger folder>}, a
 * {@link HandoffConsumer} on a RabbitMQ node on 127.0.0.1 (guest user), wired by {@link ChildConsumer}. Each job's
 * id is appended to {@code <ledger folder>/<instance id>.ledger} first thing in the handler, in one {@code write} to
 * a file opened for append: the line survives a SIGKILL of this JVM (it is in the kernel's page cache) and is
 * written before the job can be acknowledged. Each job then works 1 to 3 ms.
 *
 * <p>Not a command of the jar: started by {@code crash-swap} only.
 */
public final class QueueChild {

    static final int CONCURRENCY = 4;
    static final int PREFETCH = 20;

    private QueueChild() {
    }

    /**
     * @param args the AMQP port, the queue, the ledger folder
     * @throws IOException when the ledger file cannot be opened
     */
    public static void main(String[] args) throws IOException {
        if (!ChildAgent.launchedByParent() || args.length != 3) {
            System.err.println("QueueChild is started by crash-swap (java -jar handoff-examples.jar crash-swap), "
                    + "not by hand");
            System.exit(2);
        }
        ConnectionFactory factory = new ConnectionFactory();
        factory.setHost("127.0.0.1");
        factory.setPort(Integer.parseInt(args[0]));
        factory.setUsername("guest");
        factory.setPassword("guest");
        String queue = args[1];
        String id = ChildAgent.instanceId().orElse("queue-child");
        FileChannel ledger = FileChannel.open(Path.of(args[2]).resolve(id + LedgerFolder.SUFFIX),
                StandardOpenOption.CREATE, StandardOpenOption.WRITE, StandardOpenOption.APPEND);
        HandoffConsumer consumer = HandoffConsumer.builder(id)
                .source(() -> RabbitMqJobSource.connect(factory, queue))
                .handler(job -> {
                    byte[] line = LedgerFolder.line(job.id(), job.redelivered()).getBytes(StandardCharsets.UTF_8);
                    try {
                        ledger.write(ByteBuffer.wrap(line));
                    } catch (IOException e) {
                        throw new UncheckedIOException("cannot record job " + job.id(), e);
                    }
                    LockSupport.parkNanos(TimeUnit.MICROSECONDS.toNanos(
                            ThreadLocalRandom.current().nextLong(1_000, 3_000)));
                })
                .concurrency(CONCURRENCY)
                .prefetch(PREFETCH)
                .build();
        // main may return: the consumer's threads and the agent keep the JVM alive until EXIT, or the parent's end
        ChildConsumer.builder(consumer).start();
    }
}
