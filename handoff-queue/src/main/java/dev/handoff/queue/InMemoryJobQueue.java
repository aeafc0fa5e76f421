package dev.handoff.queue;

import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import dev.handoff.queue.internal.SerialExecutor;
import dev.handoff.queue.spi.AbstractDelivery;
import dev.handoff.queue.spi.DeadLetterTarget;
import dev.handoff.queue.spi.DeliveryListener;
import dev.handoff.queue.spi.JobSource;
import dev.handoff.queue.spi.JobSourceException;
import dev.handoff.queue.spi.Subscription;

/**
 * An in-process job queue with the acknowledgement semantics of a RabbitMQ queue: the embedded default of
 * handoff-queue, for tests and demos. Consumers {@link #connect() connect} (one {@link JobSource} per consumer
 * instance, like an AMQP connection) and subscribe with a prefetch; the queue hands each subscriber at most that
 * many unsettled deliveries, round robin. A requeued job, or one held by a subscription that closes or whose
 * connection is lost, goes back to the head of the queue and is delivered again with {@code redelivered = true}.
 * A rejected job is kept in a bounded dead-letter list ({@link #deadLetters()}).
 *
 * <p>Bounded: at most {@code capacity} jobs, ready and unacknowledged together; {@link #offer} refuses and
 * {@link #publish} waits when it is full. Deliveries of one subscription are handed over one at a time, in order,
 * on a dispatch thread of the queue (daemon threads, released by {@link #close()}).
 *
 * <p>Thread-safe. The queue state is guarded by one lock, held only for constant-time work (no callback runs
 * under it).
 */
public final class InMemoryJobQueue implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(InMemoryJobQueue.class);

    private final String name;
    private final int capacity;
    private final ReentrantLock lock = new ReentrantLock();
    private final Condition notFull = lock.newCondition();
    private final ArrayDeque<Message> ready = new ArrayDeque<>();
    private final List<MemorySubscription> subscribers = new ArrayList<>();
    private final ArrayDeque<String> deadLetters = new ArrayDeque<>();
    private final ExecutorService dispatchThreads;
    private final AtomicInteger connections = new AtomicInteger();
    private int size;
    private int nextSubscriber;
    private boolean closed;

    private InMemoryJobQueue(String name, int capacity) {
        this.name = name;
        this.capacity = capacity;
        this.dispatchThreads = Executors.newCachedThreadPool(runnable -> {
            Thread thread = new Thread(runnable, "handoff-memory-queue-" + name);
            thread.setDaemon(true);
            return thread;
        });
    }

    /**
     * @param name     the queue's name, for logs and messages; must not be blank
     * @param capacity the most jobs held (ready and unacknowledged); {@code >= 1}
     * @return an empty queue
     * @throws NullPointerException     when {@code name} is null
     * @throws IllegalArgumentException when {@code name} is blank or {@code capacity < 1}
     */
    public static InMemoryJobQueue create(String name, int capacity) {
        Objects.requireNonNull(name, "name must not be null");
        if (name.isBlank()) {
            throw new IllegalArgumentException("name must not be blank, but was '" + name + "'");
        }
        if (capacity < 1) {
            throw new IllegalArgumentException("capacity must be >= 1, but was " + capacity);
        }
        return new InMemoryJobQueue(name, capacity);
    }

    /** @return the queue's name */
    public String name() {
        return name;
    }

    /**
     * Publishes a job if there is room.
     *
     * @param jobId the job's id; must not be null
     * @param body  the payload; must not be null (not copied: do not modify it afterwards)
     * @return {@code true} when published, {@code false} when the queue is full
     * @throws NullPointerException  when an argument is null
     * @throws IllegalStateException when the queue is closed
     */
    public boolean offer(String jobId, byte[] body) {
        Message message = new Message(jobId, body);
        lock.lock();
        try {
            checkOpen();
            if (size >= capacity) {
                return false;
            }
            enqueue(message);
            return true;
        } finally {
            lock.unlock();
        }
    }

    /**
     * Publishes a job, waiting for room up to {@code timeout}.
     *
     * @param jobId   the job's id; must not be null
     * @param body    the payload; must not be null (not copied)
     * @param timeout the longest wait for room; must not be null or negative
     * @return {@code true} when published, {@code false} when the queue stayed full for {@code timeout}
     * @throws InterruptedException  when interrupted while waiting
     * @throws NullPointerException  when an argument is null
     * @throws IllegalStateException when the queue is closed
     */
    public boolean publish(String jobId, byte[] body, Duration timeout) throws InterruptedException {
        Message message = new Message(jobId, body);
        Objects.requireNonNull(timeout, "timeout must not be null");
        if (timeout.isNegative()) {
            throw new IllegalArgumentException("timeout must be >= 0, but was " + timeout);
        }
        long nanos = timeout.toNanos();
        lock.lock();
        try {
            checkOpen();
            while (size >= capacity) {
                if (nanos <= 0) {
                    return false;
                }
                nanos = notFull.awaitNanos(nanos);
                checkOpen();
            }
            enqueue(message);
            return true;
        } finally {
            lock.unlock();
        }
    }

    private void enqueue(Message message) {
        ready.addLast(message);
        size++;
        dispatch();
    }

    private void checkOpen() {
        if (closed) {
            throw new IllegalStateException("queue " + name + " is closed");
        }
    }

    /**
     * Opens a connection to this queue, for one consumer instance.
     *
     * @return an open source; closing it gives back the deliveries of its subscriptions
     * @throws IllegalStateException when the queue is closed
     */
    public MemorySource connect() {
        lock.lock();
        try {
            checkOpen();
        } finally {
            lock.unlock();
        }
        return new MemorySource(connections.incrementAndGet());
    }

    /** @return jobs held: ready plus delivered and not yet settled */
    public int size() {
        lock.lock();
        try {
            return size;
        } finally {
            lock.unlock();
        }
    }

    /** @return jobs waiting to be delivered */
    public int readyCount() {
        lock.lock();
        try {
            return ready.size();
        } finally {
            lock.unlock();
        }
    }

    /** @return the ids of the jobs rejected to the dead-letter list, oldest first (at most {@code capacity}) */
    public List<String> deadLetters() {
        lock.lock();
        try {
            return List.copyOf(deadLetters);
        } finally {
            lock.unlock();
        }
    }

    /**
     * Closes the queue: every subscription is closed, later publishes and connects fail, the dispatch threads
     * end. Jobs still held are discarded with the queue. Idempotent.
     */
    @Override
    public void close() {
        List<MemorySubscription> open;
        lock.lock();
        try {
            if (closed) {
                return;
            }
            closed = true;
            open = List.copyOf(subscribers);
            notFull.signalAll();
        } finally {
            lock.unlock();
        }
        open.forEach(MemorySubscription::close);
        dispatchThreads.shutdown();
        try {
            if (!dispatchThreads.awaitTermination(5, TimeUnit.SECONDS)) {
                LOG.warn("queue {}: dispatch threads still busy 5 s after close", name);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /** Hands ready jobs to subscribers with credit, round robin. Runs under the lock; the hand-over is queued. */
    private void dispatch() {
        while (!ready.isEmpty()) {
            MemorySubscription subscriber = nextWithCredit();
            if (subscriber == null) {
                return;
            }
            Message message = ready.pollFirst();
            subscriber.assign(message);
        }
    }

    private MemorySubscription nextWithCredit() {
        int count = subscribers.size();
        for (int i = 0; i < count; i++) {
            MemorySubscription candidate = subscribers.get((nextSubscriber + i) % count);
            if (candidate.credit > 0) {
                nextSubscriber = (nextSubscriber + i + 1) % count;
                return candidate;
            }
        }
        return null;
    }

    @Override
    public String toString() {
        return "InMemoryJobQueue[" + name + ", size=" + size() + "]";
    }

    /** A job in the queue; {@code delivered} is guarded by the queue's lock. */
    private static final class Message {
        final String jobId;
        final byte[] body;
        boolean delivered;

        Message(String jobId, byte[] body) {
            this.jobId = Objects.requireNonNull(jobId, "jobId must not be null");
            this.body = Objects.requireNonNull(body, "body must not be null");
        }
    }

    /**
     * A connection to an {@link InMemoryJobQueue}: the {@link JobSource} of one consumer instance. Thread-safe.
     */
    public final class MemorySource implements JobSource {
        private final int number;
        private final List<MemorySubscription> subscriptions = new ArrayList<>();
        private boolean open = true;

        private MemorySource(int number) {
            this.number = number;
        }

        @Override
        public String description() {
            return "memory queue " + name + " (connection " + number + ")";
        }

        @Override
        public boolean isOpen() {
            lock.lock();
            try {
                return open && !closed;
            } finally {
                lock.unlock();
            }
        }

        @Override
        public DeadLetterTarget deadLetterTarget() {
            return DeadLetterTarget.present("deadLetters() of memory queue " + name);
        }

        @Override
        public Subscription subscribe(int prefetch, DeliveryListener listener) {
            if (prefetch < 1) {
                throw new IllegalArgumentException("prefetch must be >= 1, but was " + prefetch);
            }
            Objects.requireNonNull(listener, "listener must not be null");
            lock.lock();
            try {
                if (!open || closed) {
                    throw new JobSourceException(description() + " is closed: cannot subscribe");
                }
                MemorySubscription subscription = new MemorySubscription(this, prefetch, listener);
                subscriptions.add(subscription);
                subscribers.add(subscription);
                dispatch();
                return subscription;
            } finally {
                lock.unlock();
            }
        }

        /**
         * Simulates the loss of the connection (a broker restart, a network failure): every subscription ends,
         * its unsettled deliveries go back to the queue, and each listener is told through
         * {@link DeliveryListener#onTerminated}. For tests and demos.
         *
         * @param reason what happened, for the listeners' cause
         */
        public void sever(String reason) {
            closeAll(new JobSourceException(description() + " lost: " + reason));
        }

        @Override
        public void close() {
            closeAll(null);
        }

        private void closeAll(Throwable cause) {
            List<MemorySubscription> toClose;
            lock.lock();
            try {
                open = false;
                toClose = List.copyOf(subscriptions);
                subscriptions.clear();
            } finally {
                lock.unlock();
            }
            for (MemorySubscription subscription : toClose) {
                if (cause == null) {
                    subscription.close();
                } else {
                    subscription.terminate(cause);
                }
            }
        }
    }

    /** One subscriber. Mutable fields are guarded by the queue's lock. */
    private final class MemorySubscription implements Subscription {
        private final MemorySource source;
        private final DeliveryListener listener;
        private final SerialExecutor dispatcher = new SerialExecutor(dispatchThreads);
        private final Map<Long, Message> unacked = new HashMap<>();
        private final CompletableFuture<Void> cancelled = new CompletableFuture<>();
        private int credit;
        private long nextTag;
        private boolean cancelRequested;
        private volatile boolean ended;

        MemorySubscription(MemorySource source, int prefetch, DeliveryListener listener) {
            this.source = source;
            this.credit = prefetch;
            this.listener = listener;
        }

        /** Under the lock. */
        void assign(Message message) {
            long tag = ++nextTag;
            unacked.put(tag, message);
            credit--;
            MemoryDelivery delivery = new MemoryDelivery(this, tag, message, message.delivered);
            message.delivered = true;
            dispatcher.execute(() -> {
                if (!ended) {
                    listener.onDelivery(delivery);
                }
            });
        }

        @Override
        public CompletionStage<Void> cancel() {
            lock.lock();
            try {
                if (!cancelRequested && !ended) {
                    cancelRequested = true;
                    credit = 0;
                    subscribers.remove(this);
                    // queued behind every delivery already handed over: the cancel-ok ordering of AMQP
                    dispatcher.execute(() -> cancelled.complete(null));
                }
            } finally {
                lock.unlock();
            }
            return cancelled.minimalCompletionStage();
        }

        @Override
        public boolean isActive() {
            lock.lock();
            try {
                return !cancelRequested && !ended;
            } finally {
                lock.unlock();
            }
        }

        @Override
        public void close() {
            lock.lock();
            try {
                if (ended) {
                    return;
                }
                ended = true;
                credit = 0;
                subscribers.remove(this);
                source.subscriptions.remove(this);
                List<Long> tags = new ArrayList<>(unacked.keySet());
                tags.sort(null);
                // back to the head, in delivery order
                for (int i = tags.size() - 1; i >= 0; i--) {
                    ready.addFirst(unacked.get(tags.get(i)));
                }
                unacked.clear();
                dispatch();
            } finally {
                lock.unlock();
            }
            cancelled.complete(null);
        }

        void terminate(Throwable cause) {
            cancelled.completeExceptionally(cause);
            close();
            dispatcher.execute(() -> listener.onTerminated(cause));
        }

        void settle(MemoryDelivery delivery, AbstractDelivery.Settlement settlement) {
            lock.lock();
            try {
                Message message = unacked.remove(delivery.tag);
                if (message == null) {
                    throw new JobSourceException("cannot settle job " + delivery.jobId() + " as " + settlement
                            + ": the subscription on " + source.description()
                            + " is closed and the job was given back to the queue");
                }
                switch (settlement) {
                    case REQUEUED:
                        ready.addFirst(message);
                        break;
                    case REJECTED:
                        if (deadLetters.size() == capacity) {
                            LOG.error("queue {}: dead-letter list full, forgetting job {}", name,
                                    deadLetters.pollFirst());
                        }
                        deadLetters.addLast(message.jobId);
                        size--;
                        notFull.signal();
                        break;
                    default:
                        size--;
                        notFull.signal();
                        break;
                }
                if (!cancelRequested) {
                    credit++;
                }
                dispatch();
            } finally {
                lock.unlock();
            }
        }
    }

    private static final class MemoryDelivery extends AbstractDelivery {
        private final MemorySubscription subscription;
        private final long tag;

        MemoryDelivery(MemorySubscription subscription, long tag, Message message, boolean redelivered) {
            super(message.jobId, message.body, redelivered);
            this.subscription = subscription;
            this.tag = tag;
        }

        @Override
        protected void doAck() {
            subscription.settle(this, Settlement.ACKED);
        }

        @Override
        protected void doRequeue() {
            subscription.settle(this, Settlement.REQUEUED);
        }

        @Override
        protected void doReject() {
            subscription.settle(this, Settlement.REJECTED);
        }
    }
}
