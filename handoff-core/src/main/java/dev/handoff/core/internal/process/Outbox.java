package dev.handoff.core.internal.process;

import java.io.IOException;
import java.time.Duration;
import java.util.Objects;
import java.util.concurrent.Executors;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;

/**
 * The parent's outgoing side of one control channel: a bounded queue of lines and a thread of its own that writes
 * them, so that no caller (the orchestrator's executor, the channel's reader) ever waits on the socket.
 *
 * <p>Every write is bounded in time: a line that is not written within the write timeout means the peer stopped
 * reading (the socket's buffer is full and stays full); the outbox then tells its owner, which disconnects the peer.
 * At most {@link #CAPACITY} lines wait; {@link #offer(String)} refuses more rather than block.
 *
 * <p>Thread-safe: {@link #offer(String)}, {@link #finish()} and {@link #close()} may be called from any thread.
 */
final class Outbox implements AutoCloseable {

    /** The most lines that may wait to be written. */
    static final int CAPACITY = 1024;

    private static final ScheduledExecutorService WATCHDOG = Executors.newSingleThreadScheduledExecutor(
            daemon("handoff-channel-watchdog"));
    /** Queued by {@link #finish()} and {@link #close()}: the writer closes the channel and ends when it takes it. */
    private static final Object END = new Object();

    private final LineChannel channel;
    private final Duration writeTimeout;
    private final Consumer<String> onStall;
    private final Consumer<IOException> onWriteFailure;
    private final LinkedBlockingQueue<Object> queue = new LinkedBlockingQueue<>();
    /** Guarded by {@code this}: lines queued and not yet taken by the writer, END excluded. */
    private int waiting;
    /** Guarded by {@code this}: set by finish() or close(); no line is accepted after it. */
    private boolean ending;
    private volatile boolean closed;

    /**
     * Starts the writer thread.
     *
     * @param name           the writer thread's name
     * @param channel        where the lines go; closed by this outbox when it ends
     * @param writeTimeout   how long one line may take to be written
     * @param onStall        told (on the watchdog thread) when a line was not written within the write timeout,
     *                       with a description; the owner is expected to {@link #close()} the outbox
     * @param onWriteFailure told (on the writer thread) when a write failed, unless the outbox was closed
     */
    Outbox(String name, LineChannel channel, Duration writeTimeout, Consumer<String> onStall,
           Consumer<IOException> onWriteFailure) {
        this.channel = Objects.requireNonNull(channel, "channel must not be null");
        this.writeTimeout = Objects.requireNonNull(writeTimeout, "writeTimeout must not be null");
        this.onStall = Objects.requireNonNull(onStall, "onStall must not be null");
        this.onWriteFailure = Objects.requireNonNull(onWriteFailure, "onWriteFailure must not be null");
        daemon(name).newThread(this::writeAll).start();
    }

    /**
     * Queues a line; never blocks.
     *
     * @param line a line made by {@link Protocol}, without terminator
     * @return whether it was queued: false when {@link #CAPACITY} lines already wait, or the outbox is ending
     */
    synchronized boolean offer(String line) {
        Objects.requireNonNull(line, "line must not be null");
        if (ending || waiting >= CAPACITY) {
            return false;
        }
        waiting++;
        queue.add(line);
        return true;
    }

    /** @return how many lines wait to be written */
    synchronized int waiting() {
        return waiting;
    }

    /**
     * Accepts no more lines, writes those queued (each bounded by the write timeout), then closes the channel.
     * Idempotent.
     */
    synchronized void finish() {
        if (!ending) {
            ending = true;
            queue.add(END);
        }
    }

    /** Closes the channel at once, dropping the lines still queued; ends a write in progress. Idempotent. */
    @Override
    public void close() {
        synchronized (this) {
            closed = true;
            ending = true;
            queue.clear();
            waiting = 0;
            queue.add(END);
        }
        channel.close();
    }

    private void writeAll() {
        try {
            while (true) {
                Object next = queue.take();
                if (next == END) {
                    break;
                }
                synchronized (this) {
                    waiting = Math.max(0, waiting - 1);
                }
                write((String) next);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } catch (IOException e) {
            if (!closed) {
                onWriteFailure.accept(e);
            }
        } finally {
            channel.close();
        }
    }

    private void write(String line) throws IOException {
        ScheduledFuture<?> deadline = WATCHDOG.schedule(() -> {
            if (!closed) {
                onStall.accept("a line waited more than " + writeTimeout + " to be written, with "
                        + waiting() + " more queued behind it");
            }
        }, writeTimeout.toNanos(), TimeUnit.NANOSECONDS);
        try {
            channel.writeLine(line);
        } finally {
            deadline.cancel(false);
        }
    }

    private static ThreadFactory daemon(String name) {
        return runnable -> {
            Thread thread = new Thread(runnable, name);
            thread.setDaemon(true);
            return thread;
        };
    }
}
