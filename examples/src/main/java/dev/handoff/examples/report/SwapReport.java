package dev.handoff.examples.report;

import dev.handoff.api.Lifecycle;
import dev.handoff.api.SwapResult;
import dev.handoff.api.SwapStep;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.ConcurrentMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.LongAdder;
import java.util.function.Supplier;

/**
 * Collects what a tool's run did (its swaps, its workload's successes and failures over time, the work in flight per
 * instance) and writes it as one self-contained HTML page: inline SVG and CSS, no script, nothing loaded from
 * anywhere, well-formed XML (so a test can parse it). Every tool of the examples jar can use it:
 *
 * <pre>{@code
 * SwapReport report = SwapReport.start("web-swap --mode=proxy");     // time 0 of the page
 * try (SwapReport.Sampler sampler = report.sampleInFlight(Duration.ofMillis(100), orchestrator::instances)) {
 *     // load: report.success("requests", System.nanoTime()) and report.failure("requests", "reset", ...)
 *     report.swap("web", orchestrator.swapAndWait(plan, timeout));
 * }
 * report.note("RESULT ...");
 * report.write(Path.of("report.html"));
 * }</pre>
 *
 * <p>Times: swaps carry {@link Instant}s from the orchestrator's clock (the system clock), workload events
 * {@link System#nanoTime()} values; both are placed relative to {@link #start}. The recording methods are
 * thread-safe and cheap (a map lookup and an adder per event); {@link #write} renders once, at the end.
 */
public final class SwapReport {

    /** Width of the bins the events are counted in. */
    private static final long BIN_MILLIS = 100;
    /** Failures drawn one by one; beyond, they are still counted. */
    private static final int MAX_FAILURE_MARKS = 20_000;
    /** In-flight samples kept per instance. */
    private static final int MAX_SAMPLES = 50_000;

    private final String title;
    private final Instant startInstant;
    private final long startNanos;
    private final List<SwapEntry> swaps = new ArrayList<>();
    private final List<String> notes = new ArrayList<>();
    private final ConcurrentMap<String, Series> series = new ConcurrentHashMap<>();
    private final ConcurrentMap<String, ConcurrentLinkedQueue<long[]>> inFlight = new ConcurrentHashMap<>();
    private final AtomicInteger samples = new AtomicInteger();

    private SwapReport(String title) {
        this.title = Objects.requireNonNull(title, "title must not be null");
        this.startInstant = Instant.now();
        this.startNanos = System.nanoTime();
    }

    /**
     * @param title the page's title, e.g. the command line
     * @return a report whose time 0 is now
     */
    public static SwapReport start(String title) {
        return new SwapReport(title);
    }

    /**
     * Adds one swap (or a group's start) to the page, in the order added.
     *
     * @param label what was swapped, e.g. {@code "web (to a child JVM)"}
     * @param result its result
     */
    public synchronized void swap(String label, SwapResult result) {
        swaps.add(new SwapEntry(Objects.requireNonNull(label, "label must not be null"),
                Objects.requireNonNull(result, "result must not be null")));
    }

    /**
     * Counts one unit of work that succeeded (a request answered, a job done).
     *
     * @param seriesName the workload, e.g. {@code "requests"} or {@code "jobs"}
     * @param nanoTime   when it ended, a {@link System#nanoTime()} value
     */
    public void success(String seriesName, long nanoTime) {
        series(seriesName).successes.computeIfAbsent(bin(nanoTime), b -> new LongAdder()).increment();
    }

    /**
     * Records one unit of work that failed; every failure is drawn (up to 20,000 a series, all counted).
     *
     * @param seriesName the workload
     * @param kind       how it failed, e.g. {@code "reset"}
     * @param nanoTime   when the client saw it fail
     */
    public void failure(String seriesName, String kind, long nanoTime) {
        Series target = series(seriesName);
        target.failureCount.increment();
        if (target.failureMarks.incrementAndGet() <= MAX_FAILURE_MARKS) {
            target.failures.add(new Failure(Objects.requireNonNull(kind, "kind must not be null"),
                    millis(nanoTime)));
        }
    }

    /**
     * Records units of work set apart from the workload (counted, not failures), e.g. probe requests.
     *
     * @param seriesName the workload they belong to
     * @param kind       what they were
     * @param count      how many
     */
    public void aside(String seriesName, String kind, long count) {
        series(seriesName).aside.computeIfAbsent(kind, k -> new LongAdder()).add(count);
    }

    /**
     * Records the work in flight of one instance at one moment.
     *
     * @param instanceId the instance
     * @param nanoTime   when, a {@link System#nanoTime()} value
     * @param units      its work in flight
     */
    public void inFlight(String instanceId, long nanoTime, long units) {
        ConcurrentLinkedQueue<long[]> points = inFlight.computeIfAbsent(instanceId, id -> new ConcurrentLinkedQueue<>());
        if (samples.incrementAndGet() <= MAX_SAMPLES * 8) {
            points.add(new long[] {millis(nanoTime), units});
        }
    }

    /**
     * Samples the work in flight of instances on a daemon thread until the sampler is closed. An instance the
     * supplier returned once is sampled until its state is terminal, so an old instance's drain is seen after it
     * left the group.
     *
     * @param period    between samples
     * @param instances the instances now (e.g. {@code orchestrator::instances}); called on the sampler's thread
     * @return the running sampler; close it when the run ends
     */
    public Sampler sampleInFlight(Duration period, Supplier<? extends Collection<? extends Lifecycle>> instances) {
        return new Sampler(period, instances);
    }

    /** @param line a line for the page's summary, e.g. the tool's RESULT line */
    public synchronized void note(String line) {
        notes.add(Objects.requireNonNull(line, "line must not be null"));
    }

    /** @return the swaps added so far */
    public synchronized int swapCount() {
        return swaps.size();
    }

    /**
     * Writes the page.
     *
     * @param file where; its folder must exist
     * @throws IOException when it cannot be written
     */
    public void write(Path file) throws IOException {
        Files.writeString(file, render(), StandardCharsets.UTF_8);
    }

    /** @return the page */
    public synchronized String render() {
        long endMillis = Math.max(millis(System.nanoTime()), 1);
        for (SwapEntry entry : swaps) {
            endMillis = Math.max(endMillis, offset(entry.result.start()) + entry.result.duration().toMillis());
        }
        return new Page(title, startInstant, endMillis, List.copyOf(swaps), List.copyOf(notes), series,
                inFlight, this::offset).render();
    }

    private Series series(String name) {
        return series.computeIfAbsent(Objects.requireNonNull(name, "series must not be null"), n -> new Series());
    }

    private long bin(long nanoTime) {
        return Math.max(0, millis(nanoTime)) / BIN_MILLIS;
    }

    private long millis(long nanoTime) {
        return TimeUnit.NANOSECONDS.toMillis(nanoTime - startNanos);
    }

    private long offset(Instant instant) {
        return Duration.between(startInstant, instant).toMillis();
    }

    /** Samples in-flight work until closed. */
    public final class Sampler implements AutoCloseable {
        private final ScheduledExecutorService executor;
        private final Supplier<? extends Collection<? extends Lifecycle>> source;
        private final Map<String, Lifecycle> seen = new ConcurrentHashMap<>();

        private Sampler(Duration period, Supplier<? extends Collection<? extends Lifecycle>> source) {
            this.source = Objects.requireNonNull(source, "instances must not be null");
            long millis = Math.max(10, period.toMillis());
            this.executor = Executors.newSingleThreadScheduledExecutor(runnable -> {
                Thread thread = new Thread(runnable, "swap-report-sampler");
                thread.setDaemon(true);
                return thread;
            });
            executor.scheduleAtFixedRate(this::sample, 0, millis, TimeUnit.MILLISECONDS);
        }

        private void sample() {
            try {
                for (Lifecycle instance : source.get()) {
                    seen.putIfAbsent(instance.id(), instance);
                }
                long now = System.nanoTime();
                for (Lifecycle instance : seen.values()) {
                    inFlight(instance.id(), now, instance.inFlight());
                    if (instance.state().isTerminal()) {
                        seen.remove(instance.id());
                    }
                }
            } catch (RuntimeException e) {
                // a sample missed: the next one comes at its time
            }
        }

        @Override
        public void close() {
            executor.shutdownNow();
            try {
                executor.awaitTermination(5, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
    }

    /** One swap and its label. */
    record SwapEntry(String label, SwapResult result) {
    }

    /** One failed unit of work. */
    record Failure(String kind, long millis) {
    }

    /** One workload's events. */
    static final class Series {
        final ConcurrentMap<Long, LongAdder> successes = new ConcurrentHashMap<>();
        final ConcurrentLinkedQueue<Failure> failures = new ConcurrentLinkedQueue<>();
        final LongAdder failureCount = new LongAdder();
        final AtomicInteger failureMarks = new AtomicInteger();
        final ConcurrentMap<String, LongAdder> aside = new ConcurrentHashMap<>();
    }

    /** @return the name a step has in the page, e.g. {@code await_ready} */
    static String stepName(SwapStep step) {
        return step.name().toLowerCase(Locale.ROOT);
    }
}
