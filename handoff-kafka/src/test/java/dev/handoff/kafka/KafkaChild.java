package dev.handoff.kafka;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;

import dev.handoff.core.process.ChildAgent;
import dev.handoff.queue.process.ChildConsumer;

/**
 * The main class of the consumer child JVMs the tests start, swap and kill:
 * {@code <bootstrap> <topic> <group> <ledger folder>}. A {@link KafkaHandoffConsumer} wired by {@link ChildConsumer}:
 * it joins the group when its parent attaches it (or at once, standalone). Each job's id is appended to
 * {@code <ledger folder>/<instance id>.ledger} first thing in the handler, in one {@code write} to a file opened for
 * append, so the line survives a SIGKILL of this process. Each job then takes 5 ms.
 */
public final class KafkaChild {

    private KafkaChild() {
    }

    public static void main(String[] args) throws IOException {
        String id = ChildAgent.instanceId().orElse("child");
        FileChannel ledger = FileChannel.open(Path.of(args[3]).resolve(id + ".ledger"), StandardOpenOption.CREATE,
                StandardOpenOption.WRITE, StandardOpenOption.APPEND);
        KafkaHandoffConsumer consumer = KafkaHandoffConsumer.builder(id, Records.consumerSettings(args[0], args[2]),
                        args[1])
                .handler(job -> {
                    try {
                        ledger.write(ByteBuffer.wrap((job.id() + "\n").getBytes(StandardCharsets.UTF_8)));
                    } catch (IOException e) {
                        throw new UncheckedIOException(e);
                    }
                    LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(5));
                })
                .build();
        ChildConsumer.builder(consumer).start();
        // the consumer's threads are daemons: this thread keeps the JVM alive until it is killed or told to exit
        LockSupport.park();
    }
}
