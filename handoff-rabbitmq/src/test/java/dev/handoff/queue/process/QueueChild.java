package dev.handoff.queue.process;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.locks.LockSupport;

import com.rabbitmq.client.ConnectionFactory;

import dev.handoff.core.process.ChildAgent;
import dev.handoff.queue.HandoffConsumer;
import dev.handoff.queue.Job;
import dev.handoff.rabbitmq.RabbitMqJobSource;

/**
 * The main class of the consumer child JVMs the tests start: {@code <amqp port> <queue> <ledger folder> <mode>},
 * for a {@code RabbitNode} on 127.0.0.1 (guest user, default virtual host).
 * Each job's id is appended to {@code <ledger folder>/<instance id>.ledger} first thing in the handler, in one
 * {@code write} to a file opened for append, so the line survives a SIGKILL of this process (it is in the
 * kernel's page cache) and is written before the job can be acknowledged. Modes: {@code work} (each job takes up
 * to 2 ms), {@code stall-after:<n>} (the first {@code n} jobs work, every later one blocks until interrupted).
 */
public final class QueueChild {

    static final int CONCURRENCY = 4;
    static final int PREFETCH = 20;

    private QueueChild() {
    }

    public static void main(String[] args) throws IOException {
        ConnectionFactory factory = new ConnectionFactory();
        factory.setHost("127.0.0.1");
        factory.setPort(Integer.parseInt(args[0]));
        factory.setUsername("guest");
        factory.setPassword("guest");
        String queue = args[1];
        String id = ChildAgent.instanceId().orElse("queue-child");
        FileChannel ledger = FileChannel.open(Path.of(args[2]).resolve(id + ".ledger"), StandardOpenOption.CREATE,
                StandardOpenOption.WRITE, StandardOpenOption.APPEND);
        int stallAfter = args[3].startsWith("stall-after:")
                ? Integer.parseInt(args[3].substring("stall-after:".length())) : Integer.MAX_VALUE;
        AtomicInteger started = new AtomicInteger();
        HandoffConsumer consumer = HandoffConsumer.builder(id)
                .source(() -> RabbitMqJobSource.connect(factory, queue))
                .handler(job -> {
                    record(ledger, job);
                    if (started.incrementAndGet() > stallAfter) {
                        if (!new CountDownLatch(1).await(5, TimeUnit.MINUTES)) {
                            throw new IllegalStateException("stalled job not ended by the forced stop within 5 min");
                        }
                    }
                    LockSupport.parkNanos(TimeUnit.MICROSECONDS.toNanos(ThreadLocalRandom.current().nextLong(2_000)));
                })
                .concurrency(CONCURRENCY)
                .prefetch(PREFETCH)
                .build();
        ChildConsumer.builder(consumer).start();
    }

    private static void record(FileChannel ledger, Job job) {
        byte[] line = (job.id() + (job.redelivered() ? " redelivered\n" : " first\n"))
                .getBytes(StandardCharsets.UTF_8);
        try {
            ledger.write(ByteBuffer.wrap(line));
        } catch (IOException e) {
            throw new UncheckedIOException("cannot record job " + job.id(), e);
        }
    }
}
