package dev.handoff.examples.queueswap;

import dev.handoff.examples.report.SwapReport;
import java.io.PrintStream;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.BooleanSupplier;
import java.util.function.Consumer;
import java.util.function.Predicate;

import dev.handoff.api.LifecycleState;
import dev.handoff.api.Plan;
import dev.handoff.api.StepTiming;
import dev.handoff.api.SwapOutcome;
import dev.handoff.api.SwapResult;
import dev.handoff.api.SwapStep;
import dev.handoff.api.Lifecycle;
import dev.handoff.core.Orchestrator;
import dev.handoff.examples.common.JobLedger;
import dev.handoff.examples.common.ModeLoop;
import dev.handoff.examples.common.ReportFile;
import dev.handoff.queue.ConsumerLauncher;
import dev.handoff.queue.HandoffConsumer;
import dev.handoff.queue.JobHandler;
import dev.handoff.queue.SubscriptionRouter;

/**
 * {@code queue-swap}: publishes jobs with unique ids while queue consumers are swapped, and checks every id against
 * a ledger, for the handoff consumer and two baselines. See {@link QueueSwapOptions#usage()}.
 */
public final class QueueSwap {

    private QueueSwap() {
    }

    /**
     * @param args the options after {@code queue-swap}
     * @param out  where RESULT and STATS lines go
     * @param err  progress and errors
     * @return 0 when no mode lost a job, 1 when one did or failed, 2 for a bad command line
     */
    public static int run(String[] args, PrintStream out, PrintStream err) {
        QueueSwapOptions options;
        try {
            options = QueueSwapOptions.parse(args);
        } catch (QueueSwapOptions.UsageException e) {
            err.println("queue-swap: " + e.getMessage());
            err.println("try: java -jar handoff-examples.jar queue-swap --help");
            return 2;
        }
        if (options.help()) {
            out.print(QueueSwapOptions.usage());
            return 0;
        }
        if (options.broker().equals("kafka")) {
            return KafkaQueueSwap.run(options, out, err);
        }
        int status;
        SwapReport page = SwapReport.start(("handoff queue-swap " + String.join(" ", args)).trim());
        try (Broker broker = openBroker(options, err)) {
            status = runModes(options, out, err, mode -> runMode(mode, options, broker, err, page),
                    result -> result.lost() != 0 || result.unmarkedDuplicates() != 0,
                    result -> page.note(result.resultLine(true)));
        } catch (Exception e) {
            err.println("ERROR broker=" + options.broker() + ": " + e.getMessage());
            return 1;
        }
        if (options.report() != null && !ReportFile.write(page, options.report(), "queue-swap", out, err)) {
            status = 1;
        }
        return status;
    }

    /**
     * Runs each mode of {@code options} in turn and prints its STATS and RESULT lines; a mode that throws is
     * reported and the next one runs, an interrupt stops the run.
     *
     * @param failed whether a result fails the tool (jobs lost where none may be)
     * @param done   sees each result after its lines were printed
     * @return 0, or 1 when a mode threw, was interrupted or {@code failed}
     */
    static int runModes(QueueSwapOptions options, PrintStream out, PrintStream err,
                        ModeLoop.Run<Mode, RunResult> run, Predicate<RunResult> failed, Consumer<RunResult> done) {
        try {
            return ModeLoop.runEach(options.modes(), Mode::label, mode -> {
                RunResult result = run.run(mode);
                out.println(result.statsLine());
                out.println(result.resultLine(options.modes().size() > 1));
                return result;
            }, failed, done, out, err);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return 1;
        }
    }

    /** @return the daemon threads that publish and connect for one mode */
    static ExecutorService modeThreads(Mode mode) {
        return Executors.newCachedThreadPool(runnable -> {
            Thread thread = new Thread(runnable, "queue-swap-" + mode.label());
            thread.setDaemon(true);
            return thread;
        });
    }

    /**
     * Replaces one consumer of {@code orchestrator} and prints its SWAP line.
     *
     * @param report      sees the result first, rolled back or not
     * @param drainMillis gets the old consumer's retirement time
     * @return the jobs taken from running handlers
     * @throws IllegalStateException when the swap rolled back
     */
    static long swapOne(Orchestrator orchestrator, Duration stepBound, List<Long> drainMillis, PrintStream err,
                        Consumer<SwapResult> report) throws Exception {
        SwapResult result = orchestrator.swap(Plan.oneForOne(), true).toCompletableFuture()
                .get(stepBound.toSeconds(), TimeUnit.SECONDS);
        report.accept(result);
        if (result.outcome() == SwapOutcome.ROLLED_BACK) {
            throw new IllegalStateException("swap " + result.swapId() + " rolled back: "
                    + result.cause().map(Throwable::toString).orElse("no cause"));
        }
        drainMillis.add(retirementMillis(result));
        err.println(stepsLine(result));
        return result.abandoned();
    }

    /** Retires each consumer of {@code orchestrator} gracefully: it stops accepting, drains and is destroyed. */
    static void retireAll(Orchestrator orchestrator, QueueSwapOptions options) throws Exception {
        for (Lifecycle instance : orchestrator.instances()) {
            instance.stopAccepting().toCompletableFuture().get(30, TimeUnit.SECONDS);
            instance.drain().toCompletableFuture().get(options.drainMillis(), TimeUnit.MILLISECONDS);
            instance.destroy().toCompletableFuture().get(30, TimeUnit.SECONDS);
        }
    }

    private static Broker openBroker(QueueSwapOptions options, PrintStream err) throws Exception {
        if (options.broker().equals("memory")) {
            return Broker.memory(Math.max(1_000, options.messages()));
        }
        if (options.rabbitUri().isPresent()) {
            return Broker.rabbitmq(options.rabbitUri().get());
        }
        err.println("queue-swap: starting a throwaway RabbitMQ node on 127.0.0.1 ...");
        return Broker.throwawayRabbitmq();
    }

    /** A consumer of one mode, swapped in place. */
    private interface Swappable {
        /** Replaces the consumer; returns the jobs taken from running handlers. */
        long swap(List<Long> drainMillis) throws Exception;

        /** Retires the last consumer gracefully. */
        void retire() throws Exception;

        /** @return the consumers now, for the report's in-flight samples; none for the plain modes */
        default List<Lifecycle> instances() {
            return List.of();
        }
    }

    static RunResult runMode(Mode mode, QueueSwapOptions options, Broker broker, PrintStream err, SwapReport page)
            throws Exception {
        String series = "jobs (" + mode.label() + ")";
        JobLedger ledger = new JobLedger();
        Runnable onJob = () -> page.success(series, System.nanoTime());
        Duration timeout = Duration.ofSeconds(options.timeoutSeconds());
        long deadline = System.nanoTime() + timeout.toNanos();
        ExecutorService executor = modeThreads(mode);
        try (Broker.Queue queue = broker.newQueue(mode.label())) {
            Swappable consumer = mode == Mode.HANDOFF
                    ? handoff(options, queue, ledger, onJob, executor, err, page)
                    : plain(mode, options, queue, ledger, onJob);
            SwapReport.Sampler sampler = page.sampleInFlight(Duration.ofMillis(100), consumer::instances);
            long started = System.nanoTime();
            CompletableFuture<Void> publishing = CompletableFuture.runAsync(() -> {
                try {
                    for (int i = 0; i < options.messages(); i++) {
                        queue.publish(String.format("job-%08d", i));
                    }
                    queue.flush();
                } catch (Exception e) {
                    throw new IllegalStateException("publishing failed: " + e, e);
                }
            }, executor);
            List<Long> drains = new ArrayList<>();
            long forced = 0;
            int swapsDone = 0;
            for (int swap = 1; swap <= options.swaps(); swap++) {
                long threshold = (long) options.messages() * swap / (options.swaps() + 1);
                if (!ledger.awaitDistinct(threshold, left(deadline))) {
                    err.println("WARN mode=" + mode.label() + ": " + threshold + " jobs not processed within "
                            + timeout + "; no more swaps");
                    break;
                }
                forced += consumer.swap(drains);
                swapsDone++;
            }
            publishing.get(left(deadline).toMillis(), TimeUnit.MILLISECONDS);
            if (!ledger.awaitDistinct(options.messages(), left(deadline))) {
                err.println("WARN mode=" + mode.label() + ": not every job processed within " + timeout);
            }
            long elapsed = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - started);
            // let the redeliveries of the last swaps run, so that every duplicate is counted
            while (queue.ready() > 0 && System.nanoTime() < deadline) {
                ledger.awaitDistinct(Long.MAX_VALUE, Duration.ofMillis(10));
            }
            sampler.close();
            consumer.retire();
            long maxDrain = drains.stream().mapToLong(Long::longValue).max().orElse(0);
            double meanDrain = drains.stream().mapToLong(Long::longValue).average().orElse(0);
            return new RunResult(mode, broker.name(), swapsDone, options.messages(), ledger.distinct(),
                    ledger.duplicates(), ledger.unmarkedDuplicates(), forced, maxDrain, meanDrain, elapsed, -1);
        } finally {
            executor.shutdownNow();
        }
    }

    static Duration left(long deadline) {
        return Duration.ofNanos(Math.max(0, deadline - System.nanoTime()));
    }

    /** Runs a job: recorded in the ledger first, then {@code MIN..MAX} ms of work in 1 ms slices. */
    static void work(QueueSwapOptions options, BooleanSupplier overrun) throws InterruptedException {
        int millis = options.jobMinMillis() == options.jobMaxMillis() ? options.jobMinMillis()
                : ThreadLocalRandom.current().nextInt(options.jobMinMillis(), options.jobMaxMillis() + 1);
        for (int slice = 0; slice < millis; slice++) {
            Thread.sleep(1);
            if (overrun.getAsBoolean()) {
                // --force-drain: this job outlives the drain deadline; only the forced stop's interrupt ends it
                if (!new CountDownLatch(1).await(10, TimeUnit.MINUTES)) {
                    throw new IllegalStateException("job not interrupted by the forced stop within 10 min");
                }
            }
        }
    }

    private static Swappable handoff(QueueSwapOptions options, Broker.Queue queue, JobLedger ledger, Runnable onJob,
                                     ExecutorService executor, PrintStream err, SwapReport page) throws Exception {
        Map<String, HandoffConsumer> consumers = new ConcurrentHashMap<>();
        AtomicBoolean retiring = new AtomicBoolean();
        ConsumerLauncher launcher = new ConsumerLauncher(id -> {
            BooleanSupplier overrun = options.forceDrain()
                    ? () -> !retiring.get() && consumers.get(id).state() == LifecycleState.DRAINING
                    : () -> false;
            HandoffConsumer consumer = HandoffConsumer.builder(id)
                    .source(queue::connect)
                    .handler(job -> {
                        ledger.record(job.id(), job.redelivered());
                        onJob.run();
                        work(options, overrun);
                    })
                    .concurrency(options.concurrency())
                    .prefetch(options.prefetch())
                    .build();
            consumers.put(id, consumer);
            return consumer;
        }, executor);
        Orchestrator orchestrator = Orchestrator.builder("queue-swap", launcher, new SubscriptionRouter())
                .drainTimeout(options.forceDrain() ? Duration.ofMillis(1) : Duration.ofMillis(options.drainMillis()))
                .forceTimeout(Duration.ofSeconds(10))
                .build();
        Duration stepBound = Duration.ofSeconds(options.timeoutSeconds());
        orchestrator.start(1).toCompletableFuture().get(stepBound.toSeconds(), TimeUnit.SECONDS);
        return new Swappable() {
            @Override
            public long swap(List<Long> drainMillis) throws Exception {
                return swapOne(orchestrator, stepBound, drainMillis, err,
                        result -> page.swap("queue consumer", result));
            }

            @Override
            public List<Lifecycle> instances() {
                return orchestrator.instances();
            }

            @Override
            public void retire() throws Exception {
                retiring.set(true);
                try {
                    retireAll(orchestrator, options);
                } finally {
                    orchestrator.close();
                    consumers.values().forEach(HandoffConsumer::close);
                }
            }
        };
    }

    /** @return e.g. {@code SWAP queue-swap/swap-1 COMMITTED launch=2ms await_ready=9ms ... abandoned=0} */
    static String stepsLine(SwapResult result) {
        StringBuilder line = new StringBuilder("SWAP ").append(result.swapId()).append(' ').append(result.outcome());
        for (StepTiming timing : result.steps()) {
            line.append(' ').append(timing.step().name().toLowerCase(java.util.Locale.ROOT)).append('=')
                    .append(timing.duration().toMillis()).append("ms");
        }
        return line.append(" abandoned=").append(result.abandoned()).toString();
    }

    /** From the old consumer's DETACH (told to stop) to the end of its DESTROY (gone). */
    static long retirementMillis(SwapResult result) {
        Instant from = null;
        Instant to = null;
        for (StepTiming timing : result.steps()) {
            if (timing.step() == SwapStep.DETACH && from == null) {
                from = timing.start();
            }
            if (timing.step() == SwapStep.DESTROY) {
                to = timing.start().plus(timing.duration());
            }
        }
        return from == null || to == null ? 0 : Duration.between(from, to).toMillis();
    }

    private static Swappable plain(Mode mode, QueueSwapOptions options, Broker.Queue queue, JobLedger ledger,
                                   Runnable onJob) {
        JobHandler handler = job -> {
            ledger.record(job.id(), job.redelivered());
            onJob.run();
            work(options, () -> false);
        };
        Duration bound = Duration.ofMillis(options.drainMillis());
        return new Swappable() {
            private PlainConsumer current = newConsumer();

            private PlainConsumer newConsumer() {
                return new PlainConsumer(queue::connect, handler, options.concurrency(), options.prefetch()).start();
            }

            @Override
            public long swap(List<Long> drainMillis) throws Exception {
                PlainConsumer next = newConsumer();
                long from = System.nanoTime();
                long abandoned = 0;
                if (mode == Mode.NAIVE) {
                    abandoned = current.closeNow();
                } else {
                    current.cancelAndFinish(bound);
                }
                drainMillis.add(TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - from));
                current = next;
                return abandoned;
            }

            @Override
            public void retire() throws Exception {
                try {
                    current.cancelAndFinish(bound);
                } catch (TimeoutException e) {
                    throw new IllegalStateException("the last consumer did not finish in " + bound, e);
                }
            }
        };
    }
}
