package dev.handoff.queue;

import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.LinkedTransferQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReferenceArray;
import java.util.concurrent.atomic.LongAdder;
import java.util.function.Supplier;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import dev.handoff.api.InstanceFailedException;
import dev.handoff.api.LifecycleState;
import dev.handoff.core.InFlightTracker;
import dev.handoff.core.InstanceLifecycle;
import dev.handoff.queue.internal.ConsumerChecks;
import dev.handoff.queue.spi.BrokerConsumer;
import dev.handoff.queue.spi.DeadLetterTarget;
import dev.handoff.queue.spi.Delivery;
import dev.handoff.queue.spi.DeliveryListener;
import dev.handoff.queue.spi.JobSource;
import dev.handoff.queue.spi.JobSourceException;
import dev.handoff.queue.spi.Subscription;


/**
 * A queue consumer that can be swapped without losing or duplicating jobs: it wraps the application's
 * {@link JobHandler} with bounded concurrency, counts every job it holds in an {@link InFlightTracker}, and
 * acknowledges a job only after its handler returned.
 *
 * <pre>{@code
 * HandoffConsumer consumer = HandoffConsumer.builder("billing-v2")
 *         .source(() -> RabbitMqJobSource.connect(factory, "jobs"))
 *         .handler(job -> bill(job.body()))
 *         .concurrency(4).prefetch(20)
 *         .build();
 * consumer.start();                          // connect (READY), then subscribe
 * // ... when replaced (an Orchestrator or GracefulTermination does this for you):
 * consumer.stopAccepting();                  // cancel, and give back every job not yet started
 * consumer.drain().toCompletableFuture().get(30, TimeUnit.SECONDS);   // running jobs finish and are acked
 * consumer.close();
 * }</pre>
 *
 * <p><b>Readiness and attachment.</b> {@link #connect()} opens the source and makes the lifecycle READY: the
 * consumer can take work. {@link #subscribe()} attaches it to the workload (the broker's consume-ok). An
 * orchestrator launches with {@code connect} (step 1-2) and attaches with {@code subscribe} (step 3, see
 * {@link SubscriptionRouter}); a standalone application calls {@link #start()}, and a readiness probe reads
 * {@link #isConsuming()} (connected and subscribed).
 *
 * <p><b>Stop-accepting</b> ({@link #stopAccepting()}): no job starts after it; the subscription is cancelled and,
 * as soon as the broker confirms the cancel (cancel-ok, one round trip), every job delivered but not started is
 * requeued, so that another consumer gets it without waiting for this one to finish. <b>Drain</b> ({@link #drain()}): completes when the running handlers
 * have finished and their jobs were acknowledged. <b>Forced stop</b> ({@link #forceStop()}): handlers still
 * running are interrupted and their jobs requeued; each may then run twice, and is counted in
 * {@link Stats#forced()}.
 *
 * <p><b>Failures.</b> A handler that throws has its job given back ({@link Delivery#retry(int)}) until it has
 * failed {@code maxAttempts} times, then the {@link FailurePolicy} applies, with an ERROR log line. The attempts
 * are the larger of two counts: a bounded local map keyed by job id (this instance), and the count the source
 * records in the job itself ({@link Delivery#failedAttempts()}: RabbitMQ keeps it in a message header, so it
 * survives redeliveries, consumers and swaps, with or without a {@code message-id}). With
 * {@link FailurePolicy#DEAD_LETTER}, {@link #connect()} refuses a source that has no dead-letter destination
 * ({@link JobSource#deadLetterTarget()}). When the source's connection is lost, the instance becomes FAILED with an
 * {@link InstanceFailedException} naming the cause ({@link #failure()}); the broker gives back what was not
 * acknowledged, and nothing is acknowledged that was not processed.
 *
 * <p>The consumer is its own {@link InstanceLifecycle}: whoever drives it (an {@code Orchestrator}, the SIGTERM
 * sequence, a child process's agent, the application) drives the subscription too, so a drain never reports
 * DRAINED while the subscription still takes deliveries. {@link #destroy()} is {@link #close()}, on a thread of
 * its own.
 *
 * <p>Thread-safe. The per-job path (delivery, start, acknowledgement) is lock-free.
 */
public final class HandoffConsumer extends InstanceLifecycle implements BrokerConsumer {
    private static final Logger LOG = LoggerFactory.getLogger(HandoffConsumer.class);

    /** Failing jobs whose attempts are remembered at once; beyond it a count is forgotten (any one). */
    static final int MAX_TRACKED_FAILURES = 10_000;

    private static final int QUEUED = 0;
    private static final int RUNNING = 1;
    private static final int DONE = 2;
    private static final int GIVEN_BACK = 3;
    private static final int FORCED = 4;

    private final Supplier<? extends JobSource> sourceFactory;
    private final JobHandler handler;
    private final int concurrency;
    private final int prefetch;
    private final int maxAttempts;
    private final FailurePolicy failurePolicy;

    private final InFlightTracker tracker;
    /** Delivered, not started; lock-free (CAS) on the per-job path, a blocking take for idle workers. */
    private final LinkedTransferQueue<Task> buffer = new LinkedTransferQueue<>();
    /** Jobs a worker took after stop-accepting, waiting for the cancel-ok to be given back. */
    private final ConcurrentLinkedQueue<Task> parked = new ConcurrentLinkedQueue<>();
    private final AtomicReferenceArray<Task> running;
    private final Thread[] workers;
    private final ConcurrentHashMap<String, Integer> failures = new ConcurrentHashMap<>();
    private final Listener listener = new Listener();
    private final Object stateLock = new Object();

    private final LongAdder acked = new LongAdder();
    private final LongAdder givenBack = new LongAdder();
    private final LongAdder retried = new LongAdder();
    private final LongAdder deadLettered = new LongAdder();
    private final LongAdder discarded = new LongAdder();
    private final LongAdder forced = new LongAdder();
    private final LongAdder unacknowledged = new LongAdder();

    /** Guarded by stateLock; read without it only through the volatile fields below. */
    private final List<Subscription> subscriptions = new ArrayList<>();
    private volatile JobSource source;
    /** The source's dead-letter destination, read once at connect. */
    private volatile DeadLetterTarget deadLetterTarget = DeadLetterTarget.unknown("not connected");
    private volatile Subscription active;
    /** Whether deliveries are queued for the workers; false from stop-accepting until re-admission. */
    private volatile boolean accepting;
    private volatile boolean closed;
    /** Written under stateLock; the stop-accepting stage, null while accepting. */
    private volatile CompletableFuture<Void> stopped;
    /** Set when the cancel-ok of the current stop-accepting arrived (or the cancel failed). */
    private volatile boolean cancelConfirmed;
    /** Guarded by stateLock. */
    private boolean workersStarted;

    private HandoffConsumer(Builder builder, InFlightTracker tracker) {
        super(InstanceLifecycle.newBuilder(builder.id).tracker(tracker));
        this.tracker = tracker;
        this.sourceFactory = builder.source;
        this.handler = builder.handler;
        this.concurrency = builder.concurrency;
        this.prefetch = builder.prefetch;
        this.maxAttempts = builder.maxAttempts;
        this.failurePolicy = builder.failurePolicy;
        this.running = new AtomicReferenceArray<>(concurrency);
        this.workers = new Thread[concurrency];
        for (int i = 0; i < concurrency; i++) {
            int slot = i;
            Thread worker = new Thread(() -> work(slot), "handoff-consumer-" + id() + "-" + i);
            worker.setDaemon(true);
            workers[i] = worker;
        }
    }

    /**
     * @param id the instance's id, used in logs, messages and metric tags; must not be blank
     * @return a builder
     * @throws NullPointerException     when {@code id} is null
     * @throws IllegalArgumentException when {@code id} is blank
     */
    public static Builder builder(String id) {
        return new Builder(id);
    }

    /**
     * Opens the job source and starts the worker threads; the lifecycle becomes READY. Blocking (a broker
     * connection); idempotent.
     *
     * @throws JobSourceException    when the source cannot be opened; the lifecycle is then FAILED
     * @throws IllegalStateException when the consumer was closed
     */
    @Override
    public void connect() {
        synchronized (stateLock) {
            checkNotClosed("connect");
            if (source != null) {
                return;
            }
            JobSource opened = null;
            try {
                opened = Objects.requireNonNull(sourceFactory.get(), "the source factory returned null");
                deadLetterTarget = checkDeadLetterTarget(opened);
            } catch (RuntimeException e) {
                if (opened != null) {
                    opened.close();
                }
                JobSourceException failed = e instanceof JobSourceException ? (JobSourceException) e
                        : new JobSourceException("consumer " + id() + ": cannot open its job source: " + e, e);
                lostSource(failed);
                throw failed;
            }
            source = opened;
            if (!workersStarted) {
                workersStarted = true;
                for (Thread worker : workers) {
                    worker.start();
                }
            }
        }
        markReady();
        LOG.info("consumer {}: connected to {}", id(), source.description());
    }

    /**
     * With {@link FailurePolicy#DEAD_LETTER}, a source without a dead-letter destination would let the broker drop
     * every job that fails {@code maxAttempts} times: refused before the consumer takes a job.
     */
    private DeadLetterTarget checkDeadLetterTarget(JobSource opened) {
        DeadLetterTarget target = Objects.requireNonNull(opened.deadLetterTarget(),
                "the source's deadLetterTarget() returned null");
        if (failurePolicy == FailurePolicy.DEAD_LETTER) {
            if (target.kind() == DeadLetterTarget.Kind.ABSENT) {
                throw new JobSourceException("consumer " + id() + " refuses to start: its failure policy is"
                        + " DEAD_LETTER but " + target.description() + ", so the broker would drop every job that"
                        + " fails " + maxAttempts + " times; give the queue a dead-letter exchange, or use"
                        + " failurePolicy(FailurePolicy.LOG_AND_DISCARD)");
            }
            if (target.kind() == DeadLetterTarget.Kind.UNKNOWN) {
                LOG.warn("consumer {}: failure policy DEAD_LETTER, but {}: a job that fails {} times is rejected"
                        + " and may be dropped", id(), target.description(), maxAttempts);
            }
        }
        return target;
    }

    /**
     * Attaches the consumer to the workload: subscribes with the prefetch, unless a subscription is active.
     * Blocking (the broker's consume-ok); connects first if needed.
     *
     * @throws JobSourceException    when the broker refused the subscription
     * @throws IllegalStateException when the consumer was closed, has failed, or was told to stop accepting
     *                               (call {@link #resumeAccepting()} to take it back)
     */
    public void subscribe() {
        connect();
        synchronized (stateLock) {
            checkNotClosed("subscribe");
            if (stopped != null) {
                throw new IllegalStateException("consumer " + id()
                        + " cannot subscribe: it was told to stop accepting (resumeAccepting() takes it back)");
            }
            if (state() == LifecycleState.FAILED) {
                throw new IllegalStateException("consumer " + id() + " cannot subscribe: it FAILED",
                        failureCause().orElse(null));
            }
            if (active != null && active.isActive()) {
                return;
            }
            accepting = true;
            Subscription subscription = source.subscribe(prefetch, listener);
            subscriptions.add(subscription);
            active = subscription;
        }
        LOG.info("consumer {}: subscribed to {} (prefetch {}, concurrency {})", id(), source.description(),
                prefetch, concurrency);
    }

    /**
     * {@link #connect()} then {@link #subscribe()}: for an application that runs the consumer on its own.
     *
     * @throws JobSourceException    when the source cannot be opened or refused the subscription
     * @throws IllegalStateException when the consumer was closed or told to stop accepting
     */
    public void start() {
        subscribe();
    }

    /** @return whether the consumer is READY, its source's connection open and its subscription active */
    public boolean isConsuming() {
        JobSource connected = source;
        Subscription current = active;
        return isReady() && connected != null && connected.isOpen() && current != null && current.isActive();
    }

    /**
     * Stop-accepting ({@link #stopAccepting()}, or a {@link #drain()} that comes first): no job starts after it;
     * the subscription is cancelled and, when the broker's cancel-ok arrives (after the last delivery it sent),
     * every job delivered but not started is requeued. Not before: a job requeued while the subscription still had
     * credit could come straight back to it.
     *
     * @return completes after the cancel-ok and the requeue; exceptionally (an {@link InstanceFailedException})
     *     when the cancel failed, e.g. the connection was lost (the broker then gives the jobs back itself)
     */
    @Override
    protected CompletionStage<Void> onStopAccepting() {
        synchronized (stateLock) {
            accepting = false;
            Subscription current = active;
            if (current == null) {
                cancelConfirmed = true;
                giveBackBuffered();
                stopped = CompletableFuture.completedFuture(null);
            } else {
                // Give back only after the cancel-ok: a job requeued while the subscription still has credit
                // could be delivered straight back to it. Until then no job starts (workers park them).
                cancelConfirmed = false;
                stopped = current.cancel().toCompletableFuture().handle((ignored, error) -> {
                    cancelConfirmed = true;
                    giveBackBuffered();
                    if (error != null) {
                        throw new CompletionException(new InstanceFailedException(id(),
                                "cancelling the subscription to " + source.description() + " failed: "
                                        + unwrap(error), unwrap(error)));
                    }
                    return null;
                });
            }
            return stopped;
        }
    }

    /**
     * {@link #resumeAccepting()}: the consumer subscribes, for the first time (a router's attach) or again after a
     * failed replacement (re-admission); a broker round trip, on a thread of its own. A no-op while subscribed.
     * When the broker refuses, the consumer is FAILED.
     */
    @Override
    protected CompletionStage<Void> onResumeAccepting() {
        synchronized (stateLock) {
            checkNotClosed("resume accepting");
            stopped = null;
        }
        return onOwnThread("resubscribe", this::subscribe);
    }

    /**
     * The drain deadline passed: stops accepting if not done yet, interrupts every handler still running and
     * requeues its job. Each such job may be processed twice (its handler may have done part or all of its
     * work); they are counted in {@link Stats#forced()}.
     *
     * @return completes with the number of jobs abandoned (requeued while their handler ran)
     */
    @Override
    protected CompletionStage<Long> onForceStop() {
        stopAccepting();
        long abandoned = 0;
        for (int slot = 0; slot < concurrency; slot++) {
            Task task = running.get(slot);
            if (task == null) {
                continue;
            }
            if (task.compareAndSet(QUEUED, GIVEN_BACK)) {
                giveBack(task);
            } else if (task.compareAndSet(RUNNING, FORCED)) {
                workers[slot].interrupt();
                LOG.warn("consumer {}: job {} abandoned at the drain deadline: handler interrupted, job requeued"
                        + " (it may be processed twice)", id(), task.delivery.jobId());
                // counted whether or not the requeue reaches the source: either way the job runs again
                forced.increment();
                settleQuietly(task, Outcome.REQUEUE, null);
                abandoned++;
            }
        }
        giveBackBuffered();
        return CompletableFuture.completedFuture(abandoned);
    }

    /** {@link #close()}, on a thread of its own (it waits up to 5 s for handlers interrupted by it). */
    @Override
    protected CompletionStage<Void> onDestroy() {
        return onOwnThread("close", this::close);
    }

    private CompletableFuture<Void> onOwnThread(String what, Runnable action) {
        CompletableFuture<Void> done = new CompletableFuture<>();
        Thread thread = new Thread(() -> {
            try {
                action.run();
                done.complete(null);
            } catch (Throwable e) {
                done.completeExceptionally(e);
            }
        }, "handoff-consumer-" + id() + "-" + what);
        thread.setDaemon(true);
        thread.start();
        return done;
    }

    /** @return a snapshot of the counters */
    public Stats stats() {
        return new Stats(acked.sum(), givenBack.sum(), retried.sum(), deadLettered.sum(), discarded.sum(),
                forced.sum(), unacknowledged.sum());
    }

    /**
     * Stops the consumer: the subscriptions and the source are closed (the broker gives back every job not
     * acknowledged, marked redelivered), the workers are interrupted and the lifecycle moves to STOPPED. Call
     * {@link #drain()} first for a graceful stop. Idempotent.
     */
    @Override
    public void close() {
        List<Subscription> toClose;
        JobSource toDisconnect;
        synchronized (stateLock) {
            if (closed) {
                return;
            }
            closed = true;
            accepting = false;
            toClose = List.copyOf(subscriptions);
            toDisconnect = source;
        }
        toClose.forEach(Subscription::close);
        if (toDisconnect != null) {
            toDisconnect.close();
        }
        for (Thread worker : workers) {
            worker.interrupt();
        }
        giveBackBuffered();
        if (state() != LifecycleState.FAILED) {
            stop();
        }
        for (Thread worker : workers) {
            if (worker.isAlive()) {
                try {
                    worker.join(TimeUnit.SECONDS.toMillis(5));
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    break;
                }
                if (worker.isAlive()) {
                    LOG.warn("consumer {}: worker {} still running a handler 5 s after close", id(), worker.getName());
                }
            }
        }
        LOG.info("consumer {}: closed ({})", id(), stats());
    }

    private void checkNotClosed(String action) {
        if (closed) {
            throw new IllegalStateException("consumer " + id() + " cannot " + action + ": it is closed");
        }
    }

    private void lostSource(Throwable cause) {
        InstanceFailedException failed = cause instanceof InstanceFailedException ? (InstanceFailedException) cause
                : new InstanceFailedException(id(), cause.getMessage(), cause);
        accepting = false;
        if (!state().isTerminal()) {
            fail(failed);
        }
    }

    private void work(int slot) {
        while (!closed) {
            Task task;
            try {
                task = buffer.take();
            } catch (InterruptedException e) {
                // an interrupt meant for a forced handler that had already returned, or close()
                continue;
            }
            running.set(slot, task);
            // read after publishing the slot: forceStop() either sees the slot or this read sees !accepting
            if (!accepting) {
                running.set(slot, null);
                parked.add(task);
                // read after the add: either this sees the confirmation, or the give-back after it sees the task
                if (closed || cancelConfirmed) {
                    giveBackBuffered();
                }
                continue;
            }
            if (!task.compareAndSet(QUEUED, RUNNING)) {
                running.set(slot, null);
                continue;
            }
            Delivery delivery = task.delivery;
            Throwable error = null;
            // failures is empty unless a job failed and was requeued: skip hashing the job id on every job then
            int attempt = Math.max(failures.isEmpty() ? 0 : failures.getOrDefault(delivery.jobId(), 0),
                    delivery.failedAttempts()) + 1;
            try {
                handler.handle(new Job(delivery.jobId(), delivery.body(), delivery.redelivered(), attempt));
            } catch (Throwable t) {
                error = t;
            }
            running.set(slot, null);
            if (task.compareAndSet(RUNNING, DONE)) {
                if (error == null) {
                    succeeded(task, attempt);
                } else {
                    failed(task, attempt, error);
                }
            } else {
                // forceStop() took the job back; clear its interrupt so that it does not hit the next job
                Thread.interrupted();
            }
        }
    }

    private void succeeded(Task task, int attempt) {
        if (attempt > 1) {
            failures.remove(task.delivery.jobId());
        }
        settleQuietly(task, Outcome.ACK, acked);
    }

    private void failed(Task task, int attempt, Throwable error) {
        String jobId = task.delivery.jobId();
        if (attempt < maxAttempts) {
            rememberFailure(jobId, attempt);
            LOG.warn("consumer {}: job {} failed (attempt {} of {}), requeued: {}", id(), jobId, attempt, maxAttempts,
                    error.toString());
            task.failedAttempts = attempt;
            settleQuietly(task, Outcome.RETRY, retried);
            return;
        }
        failures.remove(jobId);
        if (failurePolicy == FailurePolicy.DEAD_LETTER) {
            DeadLetterTarget target = deadLetterTarget;
            if (target.kind() == DeadLetterTarget.Kind.PRESENT) {
                LOG.error("consumer {}: job {} failed {} times (maxAttempts {}): rejected to the dead-letter"
                        + " destination of {}: {}", id(), jobId, attempt, maxAttempts, source.description(),
                        target.description(), error);
            } else {
                LOG.error("consumer {}: job {} failed {} times (maxAttempts {}): rejected on {}; whether it was"
                        + " dead-lettered is unknown: {}", id(), jobId, attempt, maxAttempts, source.description(),
                        target.description(), error);
            }
            settleQuietly(task, Outcome.REJECT, deadLettered);
        } else {
            LOG.error("consumer {}: job {} failed {} times (maxAttempts {}): DISCARDED by policy LOG_AND_DISCARD"
                    + " ({} bytes of payload)", id(), jobId, attempt, maxAttempts, task.delivery.body().length, error);
            settleQuietly(task, Outcome.ACK, discarded);
        }
    }

    private void rememberFailure(String jobId, int attempt) {
        if (failures.size() >= MAX_TRACKED_FAILURES) {
            Iterator<String> oldest = failures.keySet().iterator();
            if (oldest.hasNext()) {
                LOG.warn("consumer {}: more than {} failing jobs; forgetting the attempts of job {}", id(),
                        MAX_TRACKED_FAILURES, oldest.next());
                oldest.remove();
            }
        }
        failures.put(jobId, attempt);
    }

    private void giveBackBuffered() {
        Task task;
        while ((task = buffer.poll()) != null || (task = parked.poll()) != null) {
            if (task.compareAndSet(QUEUED, GIVEN_BACK)) {
                giveBack(task);
            }
        }
    }

    private void giveBack(Task task) {
        settleQuietly(task, Outcome.REQUEUE, givenBack);
    }

    /**
     * Settles the job, counts it when the settle reached the source, and then (whatever happens) releases its
     * permit: counted before the drain signal can fire.
     *
     * @param counter counts a settle that reached the source; may be null
     */
    private void settleQuietly(Task task, Outcome outcome, LongAdder counter) {
        try {
            switch (outcome) {
                case ACK:
                    task.delivery.ack();
                    break;
                case REJECT:
                    task.delivery.reject();
                    break;
                case RETRY:
                    task.delivery.retry(task.failedAttempts);
                    break;
                default:
                    task.delivery.requeue();
                    break;
            }
            if (counter != null) {
                counter.increment();
            }
        } catch (JobSourceException e) {
            if (outcome == Outcome.REQUEUE || outcome == Outcome.RETRY) {
                LOG.debug("consumer {}: job {} already given back by the source: {}", id(), task.delivery.jobId(),
                        e.getMessage());
            } else {
                unacknowledged.increment();
                LOG.warn("consumer {}: job {} could not be {}: {}; the broker redelivers it (a possible duplicate)",
                        id(), task.delivery.jobId(), outcome == Outcome.ACK ? "acknowledged" : "dead-lettered",
                        e.getMessage());
            }
        } finally {
            if (task.permit != InFlightTracker.REFUSED) {
                tracker.release(task.permit);
            }
        }
    }

    private static Throwable unwrap(Throwable error) {
        return error instanceof CompletionException && error.getCause() != null ? error.getCause() : error;
    }

    @Override
    public String toString() {
        return "HandoffConsumer[" + id() + ", " + state() + ", inFlight=" + inFlight() + "]";
    }

    private enum Outcome { ACK, REQUEUE, RETRY, REJECT }

    /** One held delivery; its int value is its state (QUEUED, RUNNING, DONE, GIVEN_BACK, FORCED). */
    private static final class Task extends AtomicInteger {
        private static final long serialVersionUID = 1L;

        final transient Delivery delivery;
        final int permit;
        /** Written and read by the worker that ran the job, before a retry. */
        int failedAttempts;

        Task(Delivery delivery, int permit) {
            super(QUEUED);
            this.delivery = delivery;
            this.permit = permit;
        }
    }

    /** Called by the source, one delivery at a time per subscription. */
    private final class Listener implements DeliveryListener {
        @Override
        public void onDelivery(Delivery delivery) {
            int permit = tracker.tryAdmit();
            Task task = new Task(delivery, permit);
            if (permit == InFlightTracker.REFUSED) {
                giveBack(task);
                return;
            }
            // after stop-accepting too: no worker starts it, and the cancel-ok gives it back
            buffer.add(task);
        }

        @Override
        public void onTerminated(Throwable cause) {
            if (closed) {
                return;
            }
            LOG.error("consumer {}: subscription to {} ended: {}; the broker gives back every job not acknowledged",
                    id(), source.description(), cause.toString());
            lostSource(new InstanceFailedException(id(), "lost its job source " + source.description() + ": " + cause,
                    cause));
        }
    }

    /**
     * Counters of one consumer, since it was built.
     *
     * @param acked          jobs processed and acknowledged
     * @param givenBack      jobs requeued without being started (stop-accepting, intake closed)
     * @param retried        jobs requeued after their handler failed, before {@code maxAttempts}
     * @param deadLettered   jobs rejected to the dead-letter destination ({@link FailurePolicy#DEAD_LETTER})
     * @param discarded      jobs acknowledged after their last failure ({@link FailurePolicy#LOG_AND_DISCARD})
     * @param forced         jobs requeued while their handler ran, at the drain deadline: possible duplicates
     * @param ackFailed      jobs processed whose acknowledgement failed (connection lost): the broker redelivers
     *                       them, possible duplicates
     */
    public record Stats(long acked, long givenBack, long retried, long deadLettered, long discarded, long forced,
                        long ackFailed) {
    }

    /**
     * Builds a {@link HandoffConsumer}. Each value is validated as it is set. Not thread-safe.
     */
    public static final class Builder {
        private final String id;
        private Supplier<? extends JobSource> source;
        private JobHandler handler;
        private int concurrency = 4;
        private int prefetch = 20;
        private int maxAttempts = 3;
        private FailurePolicy failurePolicy = FailurePolicy.DEAD_LETTER;

        private Builder(String id) {
            this.id = ConsumerChecks.id(id);
        }

        /**
         * @param factory opens this consumer's own connection to the queue, e.g. {@code queue::connect}; called
         *                once, by {@link HandoffConsumer#connect()}
         * @return this builder
         * @throws NullPointerException when {@code factory} is null
         */
        public Builder source(Supplier<? extends JobSource> factory) {
            this.source = Objects.requireNonNull(factory, "source must not be null");
            return this;
        }

        /**
         * @param handler the application's work; must be thread-safe
         * @return this builder
         * @throws NullPointerException when {@code handler} is null
         */
        public Builder handler(JobHandler handler) {
            this.handler = Objects.requireNonNull(handler, "handler must not be null");
            return this;
        }

        /**
         * @param threads the handler threads, {@code 1..1024}; default 4
         * @return this builder
         * @throws IllegalArgumentException when out of range
         */
        public Builder concurrency(int threads) {
            this.concurrency = ConsumerChecks.concurrency(threads);
            return this;
        }

        /**
         * @param deliveries the most unsettled deliveries held (AMQP {@code basic.qos}), {@code 1..65535};
         *                   default 20
         * @return this builder
         * @throws IllegalArgumentException when out of range
         */
        public Builder prefetch(int deliveries) {
            if (deliveries < 1 || deliveries > 65_535) {
                throw new IllegalArgumentException("prefetch must be between 1 and 65535, but was " + deliveries);
            }
            this.prefetch = deliveries;
            return this;
        }

        /**
         * @param attempts how many times a failing job runs before the failure policy applies, counted on this
         *                 instance and, where the source records it ({@link Delivery#failedAttempts()}), across
         *                 redeliveries and instances; {@code >= 1}; default 3
         * @return this builder
         * @throws IllegalArgumentException when {@code attempts < 1}
         */
        public Builder maxAttempts(int attempts) {
            this.maxAttempts = ConsumerChecks.maxAttempts(attempts);
            return this;
        }

        /**
         * @param policy what to do with a job after its last failed attempt; default
         *               {@link FailurePolicy#DEAD_LETTER}
         * @return this builder
         * @throws NullPointerException when {@code policy} is null
         */
        public Builder failurePolicy(FailurePolicy policy) {
            this.failurePolicy = Objects.requireNonNull(policy, "failurePolicy must not be null");
            return this;
        }

        /**
         * @return a new consumer, not yet connected
         * @throws IllegalStateException when the source or the handler was not set
         */
        public HandoffConsumer build() {
            if (source == null) {
                throw new IllegalStateException("source must be set (e.g. queue::connect)");
            }
            if (handler == null) {
                throw new IllegalStateException("handler must be set");
            }
            return new HandoffConsumer(this, InFlightTracker.create("jobs"));
        }
    }
}
