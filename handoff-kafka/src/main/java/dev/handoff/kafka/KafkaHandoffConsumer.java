package dev.handoff.kafka;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.LongAdder;

import org.apache.kafka.clients.consumer.CloseOptions;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRebalanceListener;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.ConsumerRecords;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.KafkaException;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.RebalanceInProgressException;
import org.apache.kafka.common.errors.WakeupException;
import org.apache.kafka.common.header.internals.RecordHeaders;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import dev.handoff.api.InstanceFailedException;
import dev.handoff.api.LifecycleState;
import dev.handoff.core.InFlightTracker;
import dev.handoff.core.InstanceLifecycle;
import dev.handoff.core.internal.Durations;
import dev.handoff.queue.FailurePolicy;
import dev.handoff.queue.Job;
import dev.handoff.queue.JobHandler;
import dev.handoff.queue.SubscriptionRouter;
import dev.handoff.queue.internal.ConsumerChecks;
import dev.handoff.queue.spi.BrokerConsumer;

/**
 * A member of a Kafka consumer group that can be swapped without losing a record, processing one twice, or
 * leaving a partition stalled: it processes each partition's records in order, one at a time, commits only the
 * offsets of records it finished, and hands a partition over only after the record running for it has finished
 * and its offset was committed, synchronously.
 *
 * <pre>{@code
 * Map<String, Object> kafka = Map.of("bootstrap.servers", "localhost:9092", "group.id", "billing");
 * KafkaHandoffConsumer consumer = KafkaHandoffConsumer.builder("billing-v2", kafka, "invoices")
 *         .handler(job -> bill(job.body()))
 *         .concurrency(4)
 *         .build();
 * consumer.start();                          // connect (READY), then join the group
 * // ... when replaced (an Orchestrator with a SubscriptionRouter, or GracefulTermination, does this for you):
 * consumer.stopAccepting();                  // pause every partition, give back the records not started
 * consumer.drain().toCompletableFuture().get(30, TimeUnit.SECONDS);  // running records finish, commit, leave
 * consumer.close();
 * }</pre>
 *
 * <p><b>Why not a {@code JobSource}.</b> The queue SPI settles each delivery on its own (ack, requeue); Kafka has one
 * position per partition, and a record cannot be given back alone. And a Kafka consumer loses partitions when the
 * group decides, not only when it is told to stop. So this class is an {@link InstanceLifecycle} of its own, with
 * the same handler ({@link JobHandler}), failure policy ({@link FailurePolicy}) and swap contract as
 * {@code HandoffConsumer}.
 *
 * <p><b>The swap.</b> {@link #connect()} builds the client and checks that the topics exist (READY).
 * {@link #resumeAccepting()} (the attach, see {@link SubscriptionRouter}) subscribes and completes when the group has
 * given this member its first assignment. Each rebalance that moves a partition away runs the revocation here first:
 * the partition's records not started are dropped (the next owner fetches them from the committed offset), the one
 * running finishes (bounded by {@link Builder#handoverTimeout}), and its offset is committed synchronously before the
 * callback returns, which is before the group hands the partition to anyone. {@link #stopAccepting()} pauses every
 * partition (no more fetching) and drops the records not started, seeking back to them; {@link #drain()} waits for the
 * records running, commits synchronously, and leaves the group explicitly ({@code unsubscribe}), so the partitions
 * move at once instead of after the session timeout. {@link #forceStop()} interrupts the handlers still running: their
 * records are not committed and the next owner processes them again (counted in {@link Stats#abandoned()}).
 *
 * <p><b>Both group protocols.</b> The classic protocol with the cooperative-sticky assignor (set when the properties
 * name no assignor) and the consumer protocol of KIP-848 ({@code group.protocol=consumer}); both call the revocation
 * before a partition moves.
 *
 * <p><b>Back-pressure.</b> A partition with {@link Builder#maxQueuedPerPartition} records waiting is paused until half
 * of them are done. The pauses are this class's own state, applied again after every poll and in every assignment,
 * so a rebalance never lifts one.
 *
 * <p><b>Failures.</b> A record whose handler throws runs again, in place (so the partition's order holds), up to
 * {@link Builder#maxAttempts}; then it goes to the dead-letter topic ({@link FailurePolicy#DEAD_LETTER}, the
 * default: {@code <topic>.dead-letter}, sent synchronously before its offset is committed) or is skipped with an
 * ERROR line ({@link FailurePolicy#LOG_AND_DISCARD}). A record that cannot be dead-lettered is not committed: the
 * consumer becomes FAILED and the next owner gets it. A broker that goes away is waited for by the client, which
 * reconnects by itself; commits that fail meanwhile only mean that records may run again.
 *
 * <p><b>Job ids.</b> A job's id is the record's key (UTF-8) when it has one, else {@code topic-partition@offset}; its
 * body is the record's value (empty for a null value). {@link Job#redelivered()} is true for a record an earlier
 * owner started without committing it (a forced stop), as far as the committed offset's metadata tells.
 *
 * <p>Thread-safe. One thread polls (the Kafka client is not thread-safe); {@code concurrency} workers run the
 * handlers, at most one record per partition at a time.
 */
public final class KafkaHandoffConsumer extends InstanceLifecycle implements BrokerConsumer {
    private static final Logger LOG = LoggerFactory.getLogger(KafkaHandoffConsumer.class);

    /** Metadata prefix of a commit that leaves started records behind: {@code handoff:started-below=<offset>}. */
    static final String STARTED_BELOW = "handoff:started-below=";
    private static final Duration POLL = Duration.ofMillis(50);
    private static final Duration CLIENT_TIMEOUT = Duration.ofSeconds(10);
    /** Records one worker runs for a partition before it lets other partitions have the thread. */
    private static final int BATCH = 32;

    private final Map<String, Object> consumerConfig;
    private final List<String> topics;
    private final JobHandler handler;
    private final int concurrency;
    private final int maxQueued;
    private final int maxAttempts;
    private final FailurePolicy failurePolicy;
    private final String deadLetterSuffix;
    private final Duration handoverTimeout;
    private final Duration commitInterval;
    private final InFlightTracker tracker;

    private final Map<TopicPartition, PartitionState> partitions = new ConcurrentHashMap<>();
    private final LinkedBlockingQueue<Runnable> commands = new LinkedBlockingQueue<>();
    private final Object lock = new Object();
    private final Rebalance rebalance = new Rebalance();

    private final LongAdder acked = new LongAdder();
    private final LongAdder retried = new LongAdder();
    private final LongAdder deadLettered = new LongAdder();
    private final LongAdder discarded = new LongAdder();
    private final LongAdder abandoned = new LongAdder();
    private final LongAdder givenBack = new LongAdder();
    private final LongAdder commitFailures = new LongAdder();
    private final LongAdder redelivered = new LongAdder();
    private final LongAdder periodicCommits = new LongAdder();
    private final LongAdder handoverCommits = new LongAdder();
    private final LongAdder finalCommits = new LongAdder();
    private final AtomicInteger rebalances = new AtomicInteger();

    /** Guarded by lock. */
    private KafkaConsumer<byte[], byte[]> consumer;
    private volatile KafkaProducer<byte[], byte[]> deadLetters;
    private volatile ExecutorService workers;
    private volatile Thread poller;
    /** Whether records are fetched and started; false from stop-accepting until re-admission. */
    private volatile boolean accepting;
    private volatile boolean forced;
    private volatile boolean closed;
    /** Poll thread only. */
    private boolean subscribed;
    /** Poll thread only: within a rebalance callback, where the client must not be polled. */
    private boolean inRebalanceCallback;
    /** Poll thread only. */
    private long lastCommit;
    /** Completes at the first assignment after a subscribe; poll thread writes, anyone reads. */
    private volatile CompletableFuture<Void> joined;
    private volatile Set<TopicPartition> paused = Set.of();

    private KafkaHandoffConsumer(Builder builder, InFlightTracker tracker) {
        super(InstanceLifecycle.newBuilder(builder.id).tracker(tracker));
        this.tracker = tracker;
        this.consumerConfig = builder.consumerConfig();
        this.topics = List.copyOf(builder.topics);
        this.handler = builder.handler;
        this.concurrency = builder.concurrency;
        this.maxQueued = builder.maxQueued;
        this.maxAttempts = builder.maxAttempts;
        this.failurePolicy = builder.failurePolicy;
        this.deadLetterSuffix = builder.deadLetterSuffix;
        this.handoverTimeout = builder.handoverTimeout;
        this.commitInterval = builder.commitInterval;
    }

    /**
     * @param id     the instance's id, used in logs, messages, metric tags and the client id; must not be blank
     * @param kafka  the consumer's settings; {@code bootstrap.servers} and {@code group.id} are required; copied
     * @param topics the topics to consume; at least one
     * @return a builder
     * @throws NullPointerException     when an argument is null
     * @throws IllegalArgumentException when {@code id} is blank, a required setting is missing, no topic is given, or
     *                                  a setting conflicts with this class (see {@link Builder})
     */
    public static Builder builder(String id, Map<String, ?> kafka, String... topics) {
        return new Builder(id, kafka, List.of(Objects.requireNonNull(topics, "topics must not be null")));
    }

    /**
     * Builds the Kafka client, checks that every topic exists, and starts the poll and worker threads; the lifecycle
     * becomes READY. Not yet a member of the group: {@link #resumeAccepting()} (or {@link #start()}) joins it.
     * Blocking (a metadata round trip, at most 10 s); idempotent.
     *
     * @throws KafkaConsumerException when the broker cannot be reached or a topic does not exist; the lifecycle is
     *                                then FAILED
     * @throws IllegalStateException  when the consumer was closed
     */
    @Override
    public void connect() {
        synchronized (lock) {
            checkNotClosed("connect");
            if (consumer != null) {
                return;
            }
            KafkaConsumer<byte[], byte[]> client = null;
            try {
                client = new KafkaConsumer<>(consumerConfig, new ByteArrayDeserializer(), new ByteArrayDeserializer());
                for (String topic : topics) {
                    if (client.partitionsFor(topic, CLIENT_TIMEOUT).isEmpty()) {
                        throw new KafkaConsumerException("topic '" + topic + "' does not exist on "
                                + consumerConfig.get(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG));
                    }
                }
                if (failurePolicy == FailurePolicy.DEAD_LETTER) {
                    deadLetters = new KafkaProducer<>(producerConfig(), new ByteArraySerializer(),
                            new ByteArraySerializer());
                }
            } catch (RuntimeException e) {
                if (client != null) {
                    client.close(CloseOptions.timeout(Duration.ZERO));
                }
                KafkaConsumerException failed = e instanceof KafkaConsumerException ? (KafkaConsumerException) e
                        : new KafkaConsumerException("consumer " + id() + ": cannot connect to "
                        + consumerConfig.get(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG) + ": " + e, e);
                fail(new InstanceFailedException(id(), failed.getMessage(), failed));
                throw failed;
            }
            consumer = client;
            AtomicInteger threads = new AtomicInteger();
            workers = Executors.newFixedThreadPool(concurrency, task -> {
                Thread thread = new Thread(task, "handoff-kafka-" + id() + "-" + threads.getAndIncrement());
                thread.setDaemon(true);
                return thread;
            });
            Thread thread = new Thread(this::pollLoop, "handoff-kafka-" + id() + "-poll");
            thread.setDaemon(true);
            poller = thread;
            thread.start();
        }
        markReady();
        LOG.info("consumer {}: connected to {} for {}", id(),
                consumerConfig.get(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG), topics);
    }

    /**
     * {@link #connect()}, then joins the group and waits (at most {@code timeout}) for the first assignment: for an
     * application that runs the consumer on its own.
     *
     * @param timeout the longest wait for the first assignment
     * @throws KafkaConsumerException when the consumer cannot connect or join within {@code timeout}
     */
    public void start(Duration timeout) {
        connect();
        try {
            resumeAccepting().toCompletableFuture().get(timeout.toMillis(), TimeUnit.MILLISECONDS);
        } catch (ExecutionException e) {
            throw new KafkaConsumerException("consumer " + id() + " could not join its group: " + e.getCause(),
                    e.getCause());
        } catch (TimeoutException e) {
            throw new KafkaConsumerException("consumer " + id() + " got no assignment within " + timeout, e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new KafkaConsumerException("interrupted while consumer " + id() + " joined its group", e);
        }
    }

    /** {@link #start(Duration)} with 30 s. */
    public void start() {
        start(Duration.ofSeconds(30));
    }

    /** @return whether the consumer is READY and a member of its group with an assignment received */
    public boolean isConsuming() {
        CompletableFuture<Void> join = joined;
        return isReady() && join != null && join.isDone() && !join.isCompletedExceptionally();
    }

    /** @return the partitions assigned to this member now */
    public Set<TopicPartition> assignment() {
        return Set.copyOf(partitions.keySet());
    }

    /** @return how many partitions are assigned to this member now, without copying them (for a gauge) */
    int assignedCount() {
        return partitions.size();
    }

    /** @return the partitions this member keeps paused now (back-pressure, stop-accepting, a blocked partition) */
    public Set<TopicPartition> pausedPartitions() {
        return paused;
    }

    /** @return the rebalances this member took part in (each assignment it received, even an unchanged one) */
    public int rebalances() {
        return rebalances.get();
    }

    /**
     * @return the partitions the Kafka client itself has paused, read on the poll thread: for tests that check that
     *     a pause survived a rebalance; completes exceptionally when the consumer is not running
     */
    CompletionStage<Set<TopicPartition>> clientPaused() {
        CompletableFuture<Set<TopicPartition>> result = new CompletableFuture<>();
        if (!command(() -> result.complete(Set.copyOf(consumer.paused())))) {
            result.completeExceptionally(notRunning("report its paused partitions"));
        }
        return result;
    }

    /** @return counters since the consumer was built */
    public Stats stats() {
        return new Stats(acked.sum(), retried.sum(), deadLettered.sum(), discarded.sum(), abandoned.sum(),
                givenBack.sum(), commitFailures.sum(), redelivered.sum(), periodicCommits.sum(), handoverCommits.sum(),
                finalCommits.sum());
    }

    /**
     * Joins the group (the attach), or takes the consumer back after a stop-accepting (re-admission): the paused
     * partitions are resumed from the first record not started. Completes when the group has assigned partitions to
     * this member (possibly none, when it has more members than partitions). While it accepts already (an attach
     * repeated by a restarted orchestrator), it changes nothing.
     */
    @Override
    protected CompletionStage<Void> onResumeAccepting() {
        CompletableFuture<Void> done = new CompletableFuture<>();
        if (!command(() -> {
            boolean wasAccepting = accepting;
            accepting = true;
            forced = false;
            if (subscribed) {
                if (!wasAccepting) {
                    // a repeated attach must not seek back over the records fetched and waiting: they would run twice
                    rewindUnstarted();
                }
            } else {
                joined = new CompletableFuture<>();
                consumer.subscribe(topics, rebalance);
                subscribed = true;
                LOG.info("consumer {}: joining group {}", id(), consumerConfig.get(ConsumerConfig.GROUP_ID_CONFIG));
            }
            joined.whenComplete((ignored, error) -> complete(done, error));
        })) {
            done.completeExceptionally(notRunning("resume accepting"));
        }
        return done;
    }

    /**
     * Closes the intake at once: no record starts after it (a worker that takes one gives it back), and records
     * fetched after it are not started. The poll thread then pauses every partition (no more fetching) and drops the
     * records not started; a re-admission seeks back to them. Completes at once: the poll thread may be inside a
     * revocation, waiting for a record that runs.
     */
    @Override
    protected CompletionStage<Void> onStopAccepting() {
        accepting = false;
        command(() -> {
            for (PartitionState state : partitions.values()) {
                giveBackQueued(state);
            }
            applyPauses();
        });
        return CompletableFuture.completedFuture(null);
    }

    /**
     * When the records running have finished: commits their offsets synchronously and leaves the group, so that
     * the group hands the partitions to the other members at once.
     */
    @Override
    protected CompletionStage<Void> onDrain(CompletionStage<Void> intakeDrained) {
        CompletableFuture<Void> done = new CompletableFuture<>();
        intakeDrained.whenComplete((ignored, error) -> {
            if (error != null) {
                done.completeExceptionally(error);
            } else if (!command(() -> {
                leaveGroup();
                done.complete(null);
            })) {
                done.complete(null);
            }
        });
        return done;
    }

    /**
     * Interrupts every handler still running; their records are not committed, so the next owner of their
     * partitions processes them again.
     *
     * @return completes with the number of records abandoned
     */
    @Override
    protected CompletionStage<Long> onForceStop() {
        accepting = false;
        forced = true;
        long count = 0;
        for (PartitionState state : partitions.values()) {
            if (state.abandonRunning()) {
                count++;
            }
        }
        command(() -> {
            for (PartitionState state : partitions.values()) {
                giveBackQueued(state);
            }
            applyPauses();
        });
        abandoned.add(count);
        if (count > 0) {
            LOG.warn("consumer {}: {} record(s) abandoned at the drain deadline: handlers interrupted, offsets not"
                    + " committed (the next owner processes them again)", id(), count);
        }
        return CompletableFuture.completedFuture(count);
    }

    /** {@link #close()} on a thread of its own. */
    @Override
    protected CompletionStage<Void> onDestroy() {
        return CompletableFuture.runAsync(this::close, task -> {
            Thread thread = new Thread(task, "handoff-kafka-" + id() + "-close");
            thread.setDaemon(true);
            thread.start();
        });
    }

    /**
     * Stops the consumer: commits the offsets of the records finished, leaves the group, closes the client and
     * stops the workers (a handler still running is interrupted, its record not committed). Call {@link #drain()}
     * first for a graceful stop. Blocking, bounded (about 30 s at most); idempotent.
     */
    @Override
    public void close() {
        Thread thread;
        synchronized (lock) {
            if (closed) {
                return;
            }
            closed = true;
            accepting = false;
            thread = poller;
        }
        if (thread != null) {
            try {
                thread.join(TimeUnit.SECONDS.toMillis(30));
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            if (thread.isAlive()) {
                LOG.warn("consumer {}: the poll thread did not end within 30 s", id());
            }
        }
        ExecutorService pool = workers;
        if (pool != null) {
            pool.shutdownNow();
        }
        KafkaProducer<byte[], byte[]> producer = deadLetters;
        if (producer != null) {
            producer.close(CLIENT_TIMEOUT);
        }
        if (state() != LifecycleState.FAILED) {
            stop();
        }
        LOG.info("consumer {}: closed ({})", id(), stats());
    }

    // ---------------------------------------------------------------------------------------------- poll thread

    private void pollLoop() {
        try {
            while (!closed) {
                runCommands();
                if (!subscribed) {
                    Runnable next = commands.poll(POLL.toMillis(), TimeUnit.MILLISECONDS);
                    if (next != null) {
                        next.run();
                    }
                    continue;
                }
                applyPauses();
                ConsumerRecords<byte[], byte[]> records = consumer.poll(POLL);
                dispatch(records);
                commitIfDue();
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } catch (WakeupException e) {
            LOG.debug("consumer {}: poll woken up to close", id());
        } catch (RuntimeException e) {
            LOG.error("consumer {}: the Kafka client failed; the consumer is FAILED", id(), e);
            if (!state().isTerminal()) {
                fail(new InstanceFailedException(id(), "the Kafka client failed: " + e, e));
            }
        } finally {
            shutDownClient();
        }
    }

    private void runCommands() {
        Runnable command;
        while ((command = commands.poll()) != null) {
            command.run();
        }
    }

    /** @return whether the command was queued for the poll thread (false once the consumer is closed) */
    private boolean command(Runnable command) {
        synchronized (lock) {
            if (closed || poller == null) {
                return false;
            }
            commands.add(command);
            return true;
        }
    }

    private void dispatch(ConsumerRecords<byte[], byte[]> records) {
        if (records.isEmpty()) {
            return;
        }
        for (TopicPartition partition : records.partitions()) {
            PartitionState state = partitions.get(partition);
            if (state == null) {
                continue; // revoked within this poll: the next owner fetches them
            }
            for (ConsumerRecord<byte[], byte[]> record : records.records(partition)) {
                int permit = accepting && !state.blocked ? tracker.tryAdmit() : InFlightTracker.REFUSED;
                if (permit == InFlightTracker.REFUSED) {
                    // stopped accepting meanwhile: fetch this record again if the consumer is taken back
                    consumer.seek(partition, record.offset());
                    break;
                }
                if (state.firstFetched < 0) {
                    state.firstFetched = record.offset();
                }
                state.queue.add(new Entry(record, permit));
                state.queued.incrementAndGet();
            }
            schedule(state);
        }
    }

    /** Pauses what must be paused, resumes what may run; our state decides, not the client's. */
    private void applyPauses() {
        if (!subscribed) {
            return;
        }
        Set<TopicPartition> wanted = new HashSet<>();
        for (PartitionState state : partitions.values()) {
            int queued = state.queued.get();
            boolean wasPaused = paused.contains(state.partition);
            if (!accepting || state.blocked || queued >= maxQueued || (wasPaused && queued > maxQueued / 2)) {
                wanted.add(state.partition);
            }
        }
        Set<TopicPartition> current = consumer.paused();
        Set<TopicPartition> resume = new HashSet<>(current);
        resume.removeAll(wanted);
        resume.retainAll(partitions.keySet());
        if (!resume.isEmpty()) {
            consumer.resume(resume);
        }
        if (!current.containsAll(wanted)) {
            consumer.pause(wanted);
        }
        paused = Set.copyOf(wanted);
    }

    private void commitIfDue() {
        long now = System.nanoTime();
        if (now - lastCommit < commitInterval.toNanos()) {
            return;
        }
        lastCommit = now;
        Map<TopicPartition, OffsetAndMetadata> offsets = offsetsToCommit(partitions.values());
        if (offsets.isEmpty()) {
            return;
        }
        consumer.commitAsync(offsets, (committed, error) -> {
            if (error == null) {
                periodicCommits.increment();
                committed.forEach((partition, offset) -> {
                    PartitionState state = partitions.get(partition);
                    if (state != null) {
                        state.committedAt(offset);
                    }
                });
            } else {
                commitFailures.increment();
                LOG.debug("consumer {}: asynchronous commit failed (a later commit covers it): {}", id(),
                        error.toString());
            }
        });
    }

    private static Map<TopicPartition, OffsetAndMetadata> offsetsToCommit(Collection<PartitionState> states) {
        Map<TopicPartition, OffsetAndMetadata> offsets = new HashMap<>();
        for (PartitionState state : states) {
            // nothing finished yet: the position to commit is the first record fetched
            long next = state.completedNext >= 0 ? state.completedNext : state.firstFetched;
            long startedBelow = state.startedBelow;
            // the broker has it already: the same position, and the records started beyond it in its metadata
            if (next < 0 || (next <= state.committed
                    && (startedBelow <= next || startedBelow <= state.committedStartedBelow))) {
                continue;
            }
            String metadata = startedBelow > next ? STARTED_BELOW + startedBelow : "";
            offsets.put(state.partition, new OffsetAndMetadata(next, metadata));
        }
        return offsets;
    }

    /**
     * Commits the given partitions' finished records synchronously. A commit refused because a rebalance is under
     * way is retried after a poll that lets the rebalance finish (every partition is paused then, or the revocation
     * commits the partitions that move); any other failure is logged and counted: those records may run again.
     * A commit that succeeds is counted in {@code commits}; none is made when nothing finished since the last one.
     */
    private void commitSync(Collection<PartitionState> states, LongAdder commits, String why) {
        long deadline = System.nanoTime() + CLIENT_TIMEOUT.toNanos();
        while (true) {
            Map<TopicPartition, OffsetAndMetadata> offsets = offsetsToCommit(states);
            offsets.keySet().retainAll(partitions.keySet());
            if (offsets.isEmpty()) {
                return;
            }
            try {
                consumer.commitSync(offsets, CLIENT_TIMEOUT);
                commits.increment();
                offsets.forEach((partition, offset) -> {
                    PartitionState state = partitions.get(partition);
                    if (state != null) {
                        state.committedAt(offset);
                    }
                });
                LOG.debug("consumer {}: committed {} ({})", id(), offsets, why);
                return;
            } catch (RebalanceInProgressException e) {
                if (inRebalanceCallback || System.nanoTime() - deadline > 0) {
                    commitFailures.increment();
                    LOG.warn("consumer {}: could not commit {} ({}): a rebalance is under way; those records may be"
                            + " processed again", id(), offsets, why);
                    return;
                }
                // the member rejoins within poll(); every partition is paused or handed over, so nothing new runs
                LOG.debug("consumer {}: commit ({}) waits for the rebalance under way", id(), why);
                dispatch(consumer.poll(POLL));
            } catch (KafkaException e) {
                commitFailures.increment();
                LOG.warn("consumer {}: could not commit {} ({}): {}; those records may be processed again", id(),
                        offsets, why, e.toString());
                return;
            }
        }
    }

    /**
     * Poll thread, at a re-admission: every partition's position goes back to its first record not started (those
     * fetched before the stop-accepting were dropped).
     */
    private void rewindUnstarted() {
        for (PartitionState state : partitions.values()) {
            long from = state.startedBelow >= 0 ? state.startedBelow : state.firstFetched;
            if (from >= 0) {
                consumer.seek(state.partition, from);
            }
        }
    }

    /** Poll thread: the drain is over; commit what finished and leave the group. */
    private void leaveGroup() {
        if (!subscribed) {
            return;
        }
        for (PartitionState state : partitions.values()) {
            giveBackQueued(state);
        }
        commitSync(new ArrayList<>(partitions.values()), finalCommits, "leaving the group");
        consumer.unsubscribe();
        subscribed = false;
        partitions.clear();
        paused = Set.of();
        LOG.info("consumer {}: left group {} ({})", id(), consumerConfig.get(ConsumerConfig.GROUP_ID_CONFIG), stats());
    }

    private void shutDownClient() {
        KafkaConsumer<byte[], byte[]> client;
        synchronized (lock) {
            client = consumer;
            closed = true;
        }
        if (client == null) {
            return;
        }
        try {
            if (subscribed) {
                for (PartitionState state : partitions.values()) {
                    if (state.abandonRunning()) {
                        abandoned.increment();
                        LOG.warn("consumer {}: closed while the record of {} ran: abandoned, not committed", id(),
                                state.partition);
                    }
                    giveBackQueued(state);
                }
                commitSync(new ArrayList<>(partitions.values()), finalCommits, "closing");
            }
            client.close(CloseOptions.timeout(CLIENT_TIMEOUT)
                    .withGroupMembershipOperation(CloseOptions.GroupMembershipOperation.LEAVE_GROUP));
        } catch (RuntimeException e) {
            LOG.warn("consumer {}: closing the Kafka client failed: {}", id(), e.toString());
        } finally {
            subscribed = false;
            partitions.clear();
            CompletableFuture<Void> join = joined;
            if (join != null) {
                join.completeExceptionally(notRunning("join its group"));
            }
        }
    }

    /**
     * Poll thread: drops the records not started, releasing their permits. Their partition is either handed over
     * (the next owner fetches from the committed offset) or rewound at a re-admission ({@link #rewindUnstarted()}).
     */
    private void giveBackQueued(PartitionState state) {
        Entry entry;
        while ((entry = state.queue.poll()) != null) {
            state.queued.decrementAndGet();
            givenBack.increment();
            tracker.release(entry.permit);
        }
    }

    private final class Rebalance implements ConsumerRebalanceListener {
        @Override
        public void onPartitionsRevoked(Collection<TopicPartition> revoked) {
            if (revoked.isEmpty()) {
                return;
            }
            inRebalanceCallback = true;
            try {
                handOver(revoked);
            } finally {
                inRebalanceCallback = false;
            }
        }

        private void handOver(Collection<TopicPartition> revoked) {
            List<PartitionState> states = new ArrayList<>();
            for (TopicPartition partition : revoked) {
                PartitionState state = partitions.get(partition);
                if (state != null) {
                    state.revoked = true;
                    giveBackQueued(state);
                    states.add(state);
                }
            }
            long deadline = System.nanoTime() + handoverTimeout.toNanos();
            for (PartitionState state : states) {
                if (!state.awaitIdle(deadline)) {
                    if (state.abandonRunning()) {
                        abandoned.increment();
                    }
                    LOG.warn("consumer {}: the record running for {} did not finish within the handover timeout {};"
                            + " abandoned, not committed", id(), state.partition, handoverTimeout);
                }
            }
            commitSync(states, handoverCommits, "handing over " + revoked);
            revoked.forEach(partitions::remove);
            LOG.info("consumer {}: handed over {}", id(), revoked);
        }

        @Override
        public void onPartitionsLost(Collection<TopicPartition> lost) {
            if (lost.isEmpty()) {
                return;
            }
            for (TopicPartition partition : lost) {
                PartitionState state = partitions.remove(partition);
                if (state != null) {
                    state.revoked = true;
                    giveBackQueued(state);
                }
            }
            LOG.warn("consumer {}: lost {} (the group moved them without this member: records not committed run"
                    + " again at their next owner)", id(), lost);
        }

        @Override
        public void onPartitionsAssigned(Collection<TopicPartition> assigned) {
            rebalances.incrementAndGet();
            if (!assigned.isEmpty()) {
                Map<TopicPartition, OffsetAndMetadata> committed = committed(assigned);
                for (TopicPartition partition : assigned) {
                    PartitionState state = new PartitionState(partition);
                    OffsetAndMetadata offset = committed.get(partition);
                    if (offset != null) {
                        state.committedAt(offset);
                        state.redeliveredBelow = startedBelow(offset);
                    }
                    partitions.put(partition, state);
                }
                applyPauses();
                LOG.info("consumer {}: assigned {}", id(), assigned);
            }
            CompletableFuture<Void> join = joined;
            if (join != null) {
                join.complete(null);
            }
        }

        private Map<TopicPartition, OffsetAndMetadata> committed(Collection<TopicPartition> assigned) {
            try {
                Map<TopicPartition, OffsetAndMetadata> committed = consumer.committed(Set.copyOf(assigned),
                        CLIENT_TIMEOUT);
                return committed == null ? Map.of() : committed;
            } catch (KafkaException e) {
                LOG.debug("consumer {}: cannot read the committed offsets of {}: {}", id(), assigned, e.toString());
                return Map.of();
            }
        }

    }

    /** @return the offset below which records were started, from a commit's metadata; -1 when it names none */
    private static long startedBelow(OffsetAndMetadata offset) {
        String metadata = offset.metadata();
        if (metadata != null && metadata.startsWith(STARTED_BELOW)) {
            try {
                return Long.parseLong(metadata.substring(STARTED_BELOW.length()));
            } catch (NumberFormatException e) {
                return -1;
            }
        }
        return -1;
    }

    // ---------------------------------------------------------------------------------------------- workers

    private void schedule(PartitionState state) {
        if (!state.queue.isEmpty() && state.scheduled.compareAndSet(false, true)) {
            workers.execute(() -> work(state));
        }
    }

    private void work(PartitionState state) {
        try {
            for (int done = 0; done < BATCH; done++) {
                Entry entry = state.queue.poll();
                if (entry == null) {
                    break;
                }
                state.queued.decrementAndGet();
                state.runner = Thread.currentThread();
                state.running = entry;
                // read after publishing running: a revocation either sees it (and waits) or is seen here
                if (state.revoked || state.blocked || forced || !accepting) {
                    state.finish();
                    givenBack.increment();
                    tracker.release(entry.permit);
                    continue;
                }
                try {
                    process(state, entry);
                } finally {
                    state.finish();
                    tracker.release(entry.permit);
                }
            }
        } finally {
            state.scheduled.set(false);
            if (!closed) {
                schedule(state);
            }
        }
    }

    private void process(PartitionState state, Entry entry) {
        ConsumerRecord<byte[], byte[]> record = entry.record;
        long offset = record.offset();
        state.startedBelow = Math.max(state.startedBelow, offset + 1);
        String jobId = record.key() != null ? new String(record.key(), StandardCharsets.UTF_8)
                : record.topic() + "-" + record.partition() + "@" + offset;
        byte[] body = record.value() != null ? record.value() : new byte[0];
        boolean startedBefore = offset < state.redeliveredBelow;
        if (startedBefore) {
            redelivered.increment();
        }
        for (int attempt = 1; ; attempt++) {
            Throwable error = null;
            try {
                handler.handle(new Job(jobId, body, startedBefore, attempt));
            } catch (Throwable t) {
                error = t;
            }
            if (state.abandoned) {
                // forced: not committed; the next owner runs it again
                Thread.interrupted();
                state.blocked = true;
                return;
            }
            if (error == null) {
                state.completedNext = offset + 1;
                acked.increment();
                return;
            }
            if (attempt < maxAttempts) {
                retried.increment();
                LOG.warn("consumer {}: job {} ({}) failed (attempt {} of {}), retried: {}", id(), jobId,
                        state.partition + "@" + offset, attempt, maxAttempts, error.toString());
                continue;
            }
            settleFailure(state, record, jobId, attempt, error);
            return;
        }
    }

    private void settleFailure(PartitionState state, ConsumerRecord<byte[], byte[]> record, String jobId, int attempts,
                               Throwable error) {
        long offset = record.offset();
        if (failurePolicy == FailurePolicy.LOG_AND_DISCARD) {
            LOG.error("consumer {}: job {} ({}@{}) failed {} times (maxAttempts {}): DISCARDED by policy"
                    + " LOG_AND_DISCARD", id(), jobId, state.partition, offset, attempts, maxAttempts, error);
            discarded.increment();
            state.completedNext = offset + 1;
            return;
        }
        String topic = record.topic() + deadLetterSuffix;
        RecordHeaders headers = new RecordHeaders(record.headers().toArray());
        headers.add("handoff.original", (state.partition + "@" + offset).getBytes(StandardCharsets.UTF_8));
        headers.add("handoff.error", String.valueOf(error).getBytes(StandardCharsets.UTF_8));
        try {
            deadLetters.send(new ProducerRecord<>(topic, null, record.key(), record.value(), headers))
                    .get(CLIENT_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS);
        } catch (InterruptedException | ExecutionException | TimeoutException | KafkaException e) {
            if (e instanceof InterruptedException) {
                Thread.currentThread().interrupt();
            }
            state.blocked = true;
            LOG.error("consumer {}: job {} ({}@{}) failed {} times and could not be sent to {}: {}; not committed,"
                    + " the consumer is FAILED and the next owner of the partition gets it", id(), jobId,
                    state.partition, offset, attempts, topic, e.toString(), error);
            fail(new InstanceFailedException(id(), "cannot dead-letter job " + jobId + " to " + topic + ": " + e, e));
            return;
        }
        LOG.error("consumer {}: job {} ({}@{}) failed {} times (maxAttempts {}): sent to dead-letter topic {}", id(),
                jobId, state.partition, offset, attempts, maxAttempts, topic, error);
        deadLettered.increment();
        state.completedNext = offset + 1;
    }

    // ---------------------------------------------------------------------------------------------- helpers

    private Map<String, Object> producerConfig() {
        Map<String, Object> producer = new HashMap<>();
        producer.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG,
                consumerConfig.get(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG));
        producer.put(ProducerConfig.CLIENT_ID_CONFIG, consumerConfig.get(ConsumerConfig.CLIENT_ID_CONFIG)
                + "-dead-letters");
        producer.put(ProducerConfig.ACKS_CONFIG, "all");
        for (String shared : List.of("security.protocol", "sasl.mechanism", "sasl.jaas.config",
                "ssl.truststore.location", "ssl.truststore.password", "ssl.keystore.location",
                "ssl.keystore.password", "ssl.key.password")) {
            if (consumerConfig.containsKey(shared)) {
                producer.put(shared, consumerConfig.get(shared));
            }
        }
        return producer;
    }

    private void checkNotClosed(String action) {
        if (closed) {
            throw new IllegalStateException("consumer " + id() + " cannot " + action + ": it is closed");
        }
    }

    private IllegalStateException notRunning(String action) {
        return new IllegalStateException("consumer " + id() + " cannot " + action
                + ": it is not connected, or it is closed");
    }

    private static void complete(CompletableFuture<Void> future, Throwable error) {
        if (error == null) {
            future.complete(null);
        } else {
            future.completeExceptionally(error);
        }
    }

    @Override
    public String toString() {
        return "KafkaHandoffConsumer[" + id() + ", " + state() + ", partitions=" + partitions.keySet() + "]";
    }

    /** A fetched record and its in-flight permit. */
    private record Entry(ConsumerRecord<byte[], byte[]> record, int permit) {
    }

    /** One assigned partition: its records waiting, the one running, and its offsets. */
    private static final class PartitionState {
        final TopicPartition partition;
        final ConcurrentLinkedQueue<Entry> queue = new ConcurrentLinkedQueue<>();
        final AtomicInteger queued = new AtomicInteger();
        final AtomicBoolean scheduled = new AtomicBoolean();
        volatile Entry running;
        volatile Thread runner;
        volatile boolean revoked;
        volatile boolean blocked;
        volatile boolean abandoned;
        /** The record whose handler {@link #abandonRunning} interrupted last; guarded by this state's monitor. */
        private Entry abandonedEntry;
        /** The offset after the last record finished (-1: none yet); written by the worker running the partition. */
        volatile long completedNext = -1;
        /** The offset after the last record started. */
        volatile long startedBelow = -1;
        volatile long committed = -1;
        /** The highest {@link #STARTED_BELOW} the broker has in a commit of this partition (-1: none). */
        volatile long committedStartedBelow = -1;
        /** The offset of the first record fetched (-1: none yet); written by the poll thread. */
        volatile long firstFetched = -1;
        /** Records below it were started by an earlier owner without being committed. */
        volatile long redeliveredBelow = -1;

        PartitionState(TopicPartition partition) {
            this.partition = partition;
        }

        /** A commit the broker has (accepted now, or found at the assignment). */
        void committedAt(OffsetAndMetadata offset) {
            committed = Math.max(committed, offset.offset());
            committedStartedBelow = Math.max(committedStartedBelow, startedBelow(offset));
        }

        /**
         * @return whether a running handler was interrupted now: false when none runs, or when its record was
         *     abandoned already (a forced stop, then a handover timeout or a close, count it once)
         */
        synchronized boolean abandonRunning() {
            Entry entry = running;
            Thread thread = runner;
            if (entry == null || thread == null || entry == abandonedEntry) {
                return false;
            }
            abandonedEntry = entry;
            abandoned = true;
            blocked = true;
            thread.interrupt();
            return true;
        }

        void finish() {
            running = null;
            synchronized (this) {
                notifyAll();
            }
        }

        /** @return whether no record of the partition runs any more, waiting until {@code deadline} at most */
        boolean awaitIdle(long deadline) {
            synchronized (this) {
                while (running != null) {
                    long left = deadline - System.nanoTime();
                    if (left <= 0) {
                        return false;
                    }
                    try {
                        TimeUnit.NANOSECONDS.timedWait(this, left);
                    } catch (InterruptedException e) {
                        Thread.currentThread().interrupt();
                        return false;
                    }
                }
                return true;
            }
        }
    }

    /**
     * Counters of one consumer, since it was built.
     *
     * @param acked          records processed and committed (or to be committed)
     * @param retried        failed attempts run again
     * @param deadLettered   records sent to the dead-letter topic after their last attempt
     * @param discarded      records skipped after their last attempt ({@link FailurePolicy#LOG_AND_DISCARD})
     * @param abandoned      records whose handler was interrupted (forced stop, handover timeout): not committed,
     *                       processed again by the next owner
     * @param givenBack      records fetched but not started when their partition moved or the consumer stopped
     *                       accepting: fetched again by their next owner
     * @param commitFailures commits that failed (a later one may cover them; otherwise records may run again)
     * @param redelivered     records started that an earlier owner had started without committing them (a forced
     *                        stop, a handover timeout): their {@link Job#redelivered()} was true
     * @param periodicCommits asynchronous commits of the finished records, every {@link Builder#commitInterval},
     *                        that succeeded
     * @param handoverCommits synchronous commits of revoked partitions, before the group hands them to another
     *                        member, that succeeded
     * @param finalCommits    synchronous commits when leaving the group (end of a drain, close), that succeeded
     */
    public record Stats(long acked, long retried, long deadLettered, long discarded, long abandoned, long givenBack,
                        long commitFailures, long redelivered, long periodicCommits, long handoverCommits,
                        long finalCommits) {
    }

    /**
     * Builds a {@link KafkaHandoffConsumer}. Each value is validated as it is set. Not thread-safe.
     *
     * <p>Settings the consumer sets itself: {@code enable.auto.commit=false} (it commits), byte-array deserializers,
     * {@code client.id} (the instance id, unless given) and, for the classic protocol when no assignor is named,
     * {@code partition.assignment.strategy=CooperativeStickyAssignor}. Shorter rebalances come from a short
     * {@code heartbeat.interval.ms} (classic protocol; the broker's {@code group.consumer.heartbeat.interval.ms}
     * for the consumer protocol): members learn of a rebalance at their next heartbeat.
     */
    public static final class Builder {
        private final String id;
        private final Map<String, Object> kafka;
        private final List<String> topics;
        private JobHandler handler;
        private int concurrency = 4;
        private int maxQueued = 100;
        private int maxAttempts = 3;
        private FailurePolicy failurePolicy = FailurePolicy.DEAD_LETTER;
        private String deadLetterSuffix = ".dead-letter";
        private Duration handoverTimeout = Duration.ofSeconds(30);
        private Duration commitInterval = Duration.ofMillis(200);

        private Builder(String id, Map<String, ?> kafka, List<String> topics) {
            ConsumerChecks.id(id);
            Objects.requireNonNull(kafka, "kafka settings must not be null");
            if (topics.isEmpty()) {
                throw new IllegalArgumentException("at least one topic must be given");
            }
            for (String topic : topics) {
                if (topic == null || topic.isBlank()) {
                    throw new IllegalArgumentException("topics must not be blank, but got '" + topic + "'");
                }
            }
            for (String required : List.of(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, ConsumerConfig.GROUP_ID_CONFIG)) {
                Object value = kafka.get(required);
                if (value == null || String.valueOf(value).isBlank()) {
                    throw new IllegalArgumentException(required + " must be set, but was " + value);
                }
            }
            Object autoCommit = kafka.get(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG);
            if (autoCommit != null && Boolean.parseBoolean(String.valueOf(autoCommit))) {
                throw new IllegalArgumentException(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG
                        + " must be false (the consumer commits what it finished), but was " + autoCommit);
            }
            this.id = id;
            this.kafka = new HashMap<>(kafka);
            this.topics = List.copyOf(topics);
        }

        /**
         * @param handler the application's work; must be thread-safe (records of different partitions run at once)
         * @return this builder
         * @throws NullPointerException when {@code handler} is null
         */
        public Builder handler(JobHandler handler) {
            this.handler = Objects.requireNonNull(handler, "handler must not be null");
            return this;
        }

        /**
         * @param threads the handler threads, {@code 1..1024}; default 4. One partition uses one at a time.
         * @return this builder
         * @throws IllegalArgumentException when out of range
         */
        public Builder concurrency(int threads) {
            this.concurrency = ConsumerChecks.concurrency(threads);
            return this;
        }

        /**
         * @param records the records fetched and waiting per partition at which it is paused (resumed at half),
         *                {@code >= 1}; default 100
         * @return this builder
         * @throws IllegalArgumentException when {@code records < 1}
         */
        public Builder maxQueuedPerPartition(int records) {
            if (records < 1) {
                throw new IllegalArgumentException("maxQueuedPerPartition must be >= 1, but was " + records);
            }
            this.maxQueued = records;
            return this;
        }

        /**
         * @param attempts how many times a failing record runs before the failure policy applies, {@code >= 1};
         *                 default 3
         * @return this builder
         * @throws IllegalArgumentException when {@code attempts < 1}
         */
        public Builder maxAttempts(int attempts) {
            this.maxAttempts = ConsumerChecks.maxAttempts(attempts);
            return this;
        }

        /**
         * @param policy what to do with a record after its last failed attempt; default
         *               {@link FailurePolicy#DEAD_LETTER}
         * @return this builder
         * @throws NullPointerException when {@code policy} is null
         */
        public Builder failurePolicy(FailurePolicy policy) {
            this.failurePolicy = Objects.requireNonNull(policy, "failurePolicy must not be null");
            return this;
        }

        /**
         * @param suffix appended to a record's topic to name its dead-letter topic, which must exist; default
         *               {@code ".dead-letter"}
         * @return this builder
         * @throws IllegalArgumentException when {@code suffix} is blank
         */
        public Builder deadLetterSuffix(String suffix) {
            Objects.requireNonNull(suffix, "deadLetterSuffix must not be null");
            if (suffix.isBlank()) {
                throw new IllegalArgumentException("deadLetterSuffix must not be blank, but was '" + suffix + "'");
            }
            this.deadLetterSuffix = suffix;
            return this;
        }

        /**
         * @param timeout how long a revocation waits for the record running for a partition before it abandons it
         *                (not committed), {@code > 0}; default 30 s; keep it below {@code max.poll.interval.ms}
         * @return this builder
         * @throws IllegalArgumentException when not positive
         */
        public Builder handoverTimeout(Duration timeout) {
            this.handoverTimeout = Durations.positive("handoverTimeout", timeout);
            return this;
        }

        /**
         * @param interval how often finished records are committed asynchronously while the consumer runs,
         *                 {@code > 0}; default 200 ms (handovers always commit synchronously)
         * @return this builder
         * @throws IllegalArgumentException when not positive
         */
        public Builder commitInterval(Duration interval) {
            this.commitInterval = Durations.positive("commitInterval", interval);
            return this;
        }

        private Map<String, Object> consumerConfig() {
            Map<String, Object> config = new HashMap<>(kafka);
            config.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, "false");
            config.putIfAbsent(ConsumerConfig.CLIENT_ID_CONFIG, id);
            config.remove(ConsumerConfig.KEY_DESERIALIZER_CLASS_CONFIG);
            config.remove(ConsumerConfig.VALUE_DESERIALIZER_CLASS_CONFIG);
            String protocol = String.valueOf(config.getOrDefault(ConsumerConfig.GROUP_PROTOCOL_CONFIG, "classic"));
            if (protocol.equalsIgnoreCase("classic")) {
                config.putIfAbsent(ConsumerConfig.PARTITION_ASSIGNMENT_STRATEGY_CONFIG,
                        "org.apache.kafka.clients.consumer.CooperativeStickyAssignor");
            }
            return config;
        }

        /**
         * @return a new consumer, not yet connected
         * @throws IllegalStateException when the handler was not set
         */
        public KafkaHandoffConsumer build() {
            if (handler == null) {
                throw new IllegalStateException("handler must be set");
            }
            return new KafkaHandoffConsumer(this, InFlightTracker.create("jobs"));
        }
    }
}
