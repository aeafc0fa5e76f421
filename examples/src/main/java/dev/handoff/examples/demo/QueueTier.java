package dev.handoff.examples.demo;

import dev.handoff.api.Plan;
import dev.handoff.api.SwapResult;
import dev.handoff.api.Lifecycle;
import dev.handoff.core.Orchestrator;
import dev.handoff.examples.common.JobLedger;
import dev.handoff.queue.ConsumerLauncher;
import dev.handoff.queue.HandoffConsumer;
import dev.handoff.queue.InMemoryJobQueue;
import dev.handoff.queue.SubscriptionRouter;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.LockSupport;

/**
 * The demo's queue side: the in-memory job queue, a producer publishing jobs with unique ids at an even pace, and a
 * queue worker ({@link HandoffConsumer}, {@value #CONCURRENCY} handler threads, prefetch {@value #PREFETCH})
 * swapped one for one in this JVM by an {@link Orchestrator} through the {@link SubscriptionRouter}. Each job
 * takes {@value #MIN_WORK_MILLIS}..{@value #MAX_WORK_MILLIS} ms of work, then the {@link JobLedger} records it.
 */
final class QueueTier implements AutoCloseable {

    static final int CONCURRENCY = 4;
    static final int PREFETCH = 20;
    static final int MIN_WORK_MILLIS = 2;
    static final int MAX_WORK_MILLIS = 8;
    private static final int CAPACITY = 10_000;
    private static final Duration PUBLISH_TIMEOUT = Duration.ofSeconds(10);

    private final InMemoryJobQueue queue;
    private final JobLedger ledger = new JobLedger();
    private final Duration stepBound;
    private final ExecutorService executor;
    private final AtomicLong published = new AtomicLong();
    private final List<String> problems = new CopyOnWriteArrayList<>();
    private Orchestrator orchestrator;
    private Thread producer;

    private final Runnable onJobDone;

    private QueueTier(Duration stepBound, Runnable onJobDone) {
        this.stepBound = stepBound;
        this.onJobDone = onJobDone;
        this.queue = InMemoryJobQueue.create("demo-jobs", CAPACITY);
        AtomicInteger threads = new AtomicInteger();
        this.executor = Executors.newCachedThreadPool(runnable -> {
            Thread thread = new Thread(runnable, "demo-queue-" + threads.incrementAndGet());
            thread.setDaemon(true);
            return thread;
        });
    }

    /**
     * Creates the queue and starts the first worker.
     *
     * @param printer   told of every step
     * @param stepBound the longest the demo waits for a start, a swap or a stop
     * @param onJobDone told once per job processed, on the handler's thread
     * @return the started tier; close it
     * @throws Exception when the first worker cannot start
     */
    static QueueTier start(StepPrinter printer, Duration stepBound, Runnable onJobDone) throws Exception {
        QueueTier tier = new QueueTier(stepBound, onJobDone);
        try {
            tier.startGroup(printer);
        } catch (Exception | Error e) {
            tier.close();
            throw e;
        }
        return tier;
    }

    private void startGroup(StepPrinter printer) throws Exception {
        ConsumerLauncher launcher = new ConsumerLauncher(id -> HandoffConsumer.builder(id)
                .source(queue::connect)
                .handler(job -> {
                    Thread.sleep(ThreadLocalRandom.current().nextInt(MIN_WORK_MILLIS, MAX_WORK_MILLIS + 1));
                    ledger.record(job.id(), job.redelivered());
                    onJobDone.run();
                })
                .concurrency(CONCURRENCY)
                .prefetch(PREFETCH)
                .build(), executor);
        orchestrator = Orchestrator.builder("queue", launcher, new SubscriptionRouter())
                .listener(printer)
                .launchTimeout(stepBound)
                .readyTimeout(stepBound)
                .drainTimeout(Duration.ofSeconds(15))
                .build();
        orchestrator.start(1).toCompletableFuture().get(stepBound.toMillis(), TimeUnit.MILLISECONDS);
    }

    /**
     * Starts the producer: {@code jobs} jobs, ids {@code job-00000001} and up, published at an even pace over
     * {@code over}.
     *
     * @param jobs how many
     * @param over how long the publishing lasts
     */
    void startProducing(int jobs, Duration over) {
        long start = System.nanoTime();
        producer = new Thread(() -> {
            try {
                for (int i = 1; i <= jobs; i++) {
                    long due = start + over.toNanos() * (i - 1) / jobs;
                    for (long wait = due - System.nanoTime(); wait > 0; wait = due - System.nanoTime()) {
                        LockSupport.parkNanos(wait);
                    }
                    String id = String.format(Locale.ROOT, "job-%08d", i);
                    if (!queue.publish(id, id.getBytes(StandardCharsets.US_ASCII), PUBLISH_TIMEOUT)) {
                        problems.add("the queue stayed full for " + PUBLISH_TIMEOUT + "; " + (jobs - i + 1)
                                + " jobs not published");
                        return;
                    }
                    published.incrementAndGet();
                }
            } catch (InterruptedException e) {
                problems.add("the producer was interrupted after " + published.get() + " jobs");
            } catch (RuntimeException e) {
                problems.add("the producer failed after " + published.get() + " jobs: " + e);
            }
        }, "demo-producer");
        producer.setDaemon(true);
        producer.start();
    }

    /**
     * Swaps the worker one for one.
     *
     * @return the swap's result, whatever its outcome
     * @throws Exception when the swap could not start or did not end within the bound
     */
    SwapResult swap() throws Exception {
        return orchestrator.swap(Plan.oneForOne()).toCompletableFuture()
                .get(stepBound.toMillis() * 3, TimeUnit.MILLISECONDS);
    }

    /** @return e.g. {@code queue-3} */
    String describeCurrent() {
        List<Lifecycle> instances = orchestrator.instances();
        return instances.isEmpty() ? "no worker" : "worker " + instances.get(0).id();
    }

    /**
     * Waits for the producer to finish and for every job published to be processed, then retires the last
     * worker gracefully (stop accepting, drain, destroy). Bounded by {@code timeout} for the jobs and the step
     * bound for each retirement step.
     *
     * @param timeout how long to wait for the last jobs
     * @throws InterruptedException when interrupted while waiting
     */
    void finish(Duration timeout) throws InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        if (producer != null) {
            producer.join(Math.max(1, TimeUnit.NANOSECONDS.toMillis(deadline - System.nanoTime())));
            if (producer.isAlive()) {
                problems.add("the producer had not finished within " + timeout);
                producer.interrupt();
            }
        }
        long left = Math.max(0, deadline - System.nanoTime());
        if (!ledger.awaitDistinct(published.get(), Duration.ofNanos(left))) {
            problems.add((published.get() - ledger.distinct()) + " jobs still not processed " + timeout
                    + " after the load ended");
        }
        // Retired gracefully first: the orchestrator's close would destroy them at once.
        for (Lifecycle instance : orchestrator.instances()) {
            Closing.awaitQuietly(problems, stepBound, "stop accepting on " + instance.id(), instance.stopAccepting());
            Closing.awaitQuietly(problems, stepBound, "drain " + instance.id(), instance.drain());
            Closing.awaitQuietly(problems, stepBound, "destroy " + instance.id(), instance.destroy());
        }
        orchestrator.close();
    }

    /** @return jobs published */
    long published() {
        return published.get();
    }

    /** @return the group's instances now */
    List<Lifecycle> instances() {
        return orchestrator == null ? List.of() : orchestrator.instances();
    }

    /** @return the ledger of jobs processed */
    JobLedger ledger() {
        return ledger;
    }

    /** @return jobs still held by the queue (ready or delivered and not settled) */
    int leftInQueue() {
        return queue.size();
    }

    /** @return what went wrong outside the swaps: the producer, the last jobs, the retirement, the close */
    List<String> problems() {
        return List.copyOf(problems);
    }

    /** Stops the producer, destroys the workers still running and closes the queue. Bounded; idempotent. */
    @Override
    public void close() {
        if (producer != null && producer.isAlive()) {
            producer.interrupt();
        }
        if (orchestrator != null) {
            orchestrator.close();
            for (Lifecycle instance : orchestrator.instances()) {
                Closing.awaitQuietly(problems, stepBound, "destroy " + instance.id(), instance.destroy());
            }
        }
        queue.close();
        executor.shutdownNow();
    }
}
