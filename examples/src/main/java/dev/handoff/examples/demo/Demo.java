package dev.handoff.examples.demo;

import dev.handoff.api.SwapOutcome;
import dev.handoff.api.SwapResult;
import dev.handoff.api.Lifecycle;
import dev.handoff.examples.report.SwapReport;
import dev.handoff.examples.webswap.LoadGenerator;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;
import java.util.stream.Stream;

/**
 * The {@code demo} command: a web app behind the embedded front door and a queue worker on the in-memory queue, both
 * under generated load, swapped several times each (the web app alternately to a new instance in this JVM and to a
 * new child JVM), every step printed as it ends, then a report and a {@code RESULT demo ...} line. See
 * {@link DemoOptions#usage()}.
 */
public final class Demo {

    /** The longest the demo waits for one start, one swap's step or one stop. */
    static final Duration STEP_BOUND = Duration.ofSeconds(60);
    /** How long the last jobs may take to be processed once the load has ended. */
    static final Duration LAST_JOBS_TIMEOUT = Duration.ofSeconds(30);
    private static final String LOG_LEVEL_PROPERTY = "org.slf4j.simpleLogger.log.dev.handoff";
    private static final long SEED = 20_260_501L;

    /** What one swap of the run replaces. */
    enum Target {
        /** The web app, by a new instance in this JVM. */
        WEB_IN_PROCESS,
        /** The web app, by a new child JVM. */
        WEB_CHILD,
        /** The queue worker, by a new one in this JVM. */
        QUEUE
    }

    /** One swap of the run: what it replaced, from what, and how it ended (a result, or why there is none). */
    private record SwapRecord(int number, Target target, String from, Optional<SwapResult> result,
                              Optional<String> error) {
        boolean committed() {
            return result.map(r -> r.outcome() == SwapOutcome.COMMITTED).orElse(false);
        }
    }

    private final DemoOptions options;
    private final PrintStream out;
    private final PrintStream err;
    private final long startNanos = System.nanoTime();
    private final StepPrinter printer;
    private final List<SwapRecord> swaps = new ArrayList<>();
    private final List<String> problems = new ArrayList<>();
    private WebTier web;
    private QueueTier queue;
    private LoadGenerator.LoadRecords requests;
    private String frontDoor = "not started";
    private final SwapReport page;

    private Demo(DemoOptions options, PrintStream out, PrintStream err, String commandLine) {
        this.options = options;
        this.out = out;
        this.err = err;
        this.printer = new StepPrinter(out, startNanos);
        this.page = SwapReport.start(commandLine);
    }

    /**
     * @param args the arguments after {@code demo}
     * @param out  the live lines, the report and the RESULT line; --help
     * @param err  errors, and the library's log lines (WARN and above unless --verbose)
     * @return 0 when every swap COMMITTED and no request failed, no job was lost or duplicated; 1 otherwise; 2 on
     *     a bad command line
     */
    public static int run(String[] args, PrintStream out, PrintStream err) {
        DemoOptions options;
        try {
            options = DemoOptions.parse(args);
        } catch (DemoOptions.UsageException e) {
            err.println("demo: " + e.getMessage());
            err.println("try: java -jar handoff-examples.jar demo --help");
            return 2;
        }
        if (options.help()) {
            out.print(DemoOptions.usage());
            return 0;
        }
        if (!options.verbose() && System.getProperty(LOG_LEVEL_PROPERTY) == null) {
            // the step lines tell the story; the library's INFO lines would repeat it on stderr
            System.setProperty(LOG_LEVEL_PROPERTY, "warn");
        }
        return new Demo(options, out, err, ("handoff demo " + String.join(" ", args)).trim()).execute();
    }

    /**
     * The order of the swaps: the web swaps alternate in-process and child JVM (in-process first), and the queue
     * swaps are spread evenly among them.
     *
     * @param options the options
     * @return one target per swap, in order
     */
    static List<Target> schedule(DemoOptions options) {
        List<Target> webSwaps = new ArrayList<>();
        int inProcess = options.webSwaps();
        int child = options.childSwaps();
        while (inProcess > 0 || child > 0) {
            if (inProcess > 0) {
                webSwaps.add(Target.WEB_IN_PROCESS);
                inProcess--;
            }
            if (child > 0) {
                webSwaps.add(Target.WEB_CHILD);
                child--;
            }
        }
        int queueSwaps = options.queueSwaps();
        List<Target> order = new ArrayList<>();
        int web = 0;
        int queued = 0;
        while (web < webSwaps.size() || queued < queueSwaps) {
            // item k of a list of n sits at (k + 1/2) / n of the run; take the one that sits first
            boolean takeWeb = queued == queueSwaps || (web < webSwaps.size()
                    && (2L * web + 1) * queueSwaps <= (2L * queued + 1) * webSwaps.size());
            if (takeWeb) {
                order.add(webSwaps.get(web++));
            } else {
                order.add(Target.QUEUE);
                queued++;
            }
        }
        return order;
    }

    private int execute() {
        Path logs = null;
        List<Target> plan = schedule(options);
        printer.note("demo: " + plan.size() + " swaps over " + options.seconds() + " s of load; every step is "
                + "printed when it ends (time since start, swap, step, instance, outcome, duration)");
        try {
            logs = Files.createTempDirectory("handoff-demo-");
            runAll(plan, logs);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            problems.add("the demo was interrupted");
        } catch (Exception e) {
            problems.add("the demo stopped: " + e);
        } finally {
            tearDown();
        }
        int status = report(plan);
        cleanUp(logs, status == 0);
        return status;
    }

    private void runAll(List<Target> plan, Path logs) throws Exception {
        web = WebTier.start(printer, logs, STEP_BOUND);
        frontDoor = "http://" + web.address().getAddress().getHostAddress() + ":" + web.address().getPort();
        printer.note("web: front door (ProxyRouter) on " + frontDoor + " -> " + web.describeCurrent());
        queue = QueueTier.start(printer, STEP_BOUND, () -> page.success("jobs", System.nanoTime()));
        printer.note("queue: in-memory queue -> " + queue.describeCurrent() + " (" + QueueTier.CONCURRENCY
                + " threads, prefetch " + QueueTier.PREFETCH + ")");
        LoadGenerator load = new LoadGenerator(web.address(), options.clients(), SEED);
        long loadStart = System.nanoTime();
        long loadNanos = TimeUnit.SECONDS.toNanos(options.seconds());
        load.start();
        SwapReport.Sampler sampler = page.sampleInFlight(Duration.ofMillis(100), this::instances);
        try {
            queue.startProducing(options.jobs(), Duration.ofNanos(loadNanos));
            printer.note("load: " + options.clients() + " HTTP clients through the front door, " + options.jobs()
                    + " jobs published over " + options.seconds() + " s");
            for (int i = 0; i < plan.size(); i++) {
                sleepUntil(loadStart + loadNanos * (i + 1) / (plan.size() + 1));
                swap(i + 1, plan.size(), plan.get(i));
            }
            sleepUntil(loadStart + loadNanos);
            printer.note("load: stopping the clients");
        } finally {
            sampler.close();
            load.stop();
            requests = load.records();
            requests.forEachSuccess(end -> page.success("requests", end));
            for (LoadGenerator.FailedAttempt failure : requests.failedAttempts()) {
                page.failure("requests", failure.kind().label(), failure.endNanos());
            }
        }
        printer.note("queue: waiting for the last jobs, then retiring " + queue.describeCurrent());
        queue.finish(LAST_JOBS_TIMEOUT);
    }

    private void swap(int number, int total, Target target) {
        boolean isWeb = target != Target.QUEUE;
        String from = isWeb ? web.describeCurrent() : queue.describeCurrent();
        String to = switch (target) {
            case WEB_IN_PROCESS -> "a new in-process instance";
            case WEB_CHILD -> "a new child JVM";
            case QUEUE -> "a new worker";
        };
        printer.note("swap " + number + "/" + total + ": " + (isWeb ? "web" : "queue") + ", " + from + " -> " + to);
        try {
            SwapResult result = switch (target) {
                case WEB_IN_PROCESS -> web.swap(WebTier.Kind.IN_PROCESS);
                case WEB_CHILD -> web.swap(WebTier.Kind.CHILD);
                case QUEUE -> queue.swap();
            };
            swaps.add(new SwapRecord(number, target, from, Optional.of(result), Optional.empty()));
            page.swap((isWeb ? "web" : "queue") + ", " + from + " to " + to, result);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            swaps.add(new SwapRecord(number, target, from, Optional.empty(), Optional.of("interrupted")));
        } catch (Exception e) {
            String reason = StepPrinter.describe(e);
            printer.note("swap " + number + "/" + total + " did not run to its end: " + reason);
            swaps.add(new SwapRecord(number, target, from, Optional.empty(), Optional.of(reason)));
        }
    }

    private void tearDown() {
        if (queue != null) {
            queue.close();
            problems.addAll(queue.problems());
        }
        if (web != null) {
            List<Long> pids = web.childPids();
            web.close();
            problems.addAll(web.closeProblems());
            for (long pid : pids) {
                if (ProcessHandle.of(pid).map(ProcessHandle::isAlive).orElse(false)) {
                    problems.add("child JVM pid " + pid + " is still alive after the demo");
                }
            }
        }
    }

    private int report(List<Target> plan) {
        long sent = requests == null ? 0 : requests.successes() + requests.failed();
        long failed = requests == null ? 0 : requests.failed();
        long jobs = queue == null ? 0 : queue.published();
        long processed = queue == null ? 0 : queue.ledger().distinct();
        long duplicated = queue == null ? 0 : queue.ledger().duplicates();
        long lost = jobs - processed;
        long committed = swaps.stream().filter(SwapRecord::committed).count();
        if (requests != null && requests.successes() == 0) {
            problems.add("no request succeeded");
        }
        List<Long> pids = web == null ? List.of() : web.childPids();
        DemoReport report = new DemoReport(out);
        report.section("REPORT");
        report.line("web     front door " + frontDoor + " (ProxyRouter), " + options.clients() + " clients, "
                + options.seconds() + " s of load");
        report.line("        requests sent " + sent + ", failed " + failed + DemoReport.failuresByKind(requests));
        long running = pids.stream().filter(pid -> ProcessHandle.of(pid).map(ProcessHandle::isAlive).orElse(false))
                .count();
        report.line("        child JVMs launched " + pids.size() + (pids.isEmpty() ? "" : " (pids "
                + String.join(", ", pids.stream().map(String::valueOf).toList()) + "), "
                + (running == 0 ? "none left running" : running + " STILL RUNNING")));
        report.line("queue   jobs produced " + jobs + ", processed " + processed + ", lost " + lost + ", duplicated "
                + duplicated + (queue == null ? "" : ", left in the queue " + queue.leftInQueue()));
        report.line("swaps   " + committed + " of " + plan.size() + " COMMITTED");
        report.section("TIMELINES (each step: offset from the swap's start, duration)");
        for (SwapRecord swap : swaps) {
            String title = "swap " + swap.number() + " " + label(swap.target()) + " from " + swap.from();
            if (swap.result().isPresent()) {
                report.timeline(title, swap.result().get());
            } else {
                report.line(title + ": no result: " + swap.error().orElse("unknown"));
            }
        }
        for (String problem : problems) {
            err.println("ERROR " + problem);
            report.line("ERROR " + problem);
        }
        boolean clean = problems.isEmpty() && committed == plan.size() && failed == 0 && lost == 0
                && duplicated == 0;
        String result = "RESULT demo swaps=" + committed + " requests=" + sent + " failed=" + failed + " jobs="
                + jobs + " lost=" + lost + " duplicated=" + duplicated;
        clean &= writePage(result);
        out.println(result);
        out.flush();
        return clean ? 0 : 1;
    }

    /** @return the instances of both groups now, for the in-flight samples */
    private List<Lifecycle> instances() {
        List<Lifecycle> all = new ArrayList<>();
        if (web != null) {
            all.addAll(web.instances());
        }
        if (queue != null) {
            all.addAll(queue.instances());
        }
        return all;
    }

    /** Writes the HTML report and prints where; @return false when it could not be written */
    private boolean writePage(String result) {
        page.note(result);
        for (String problem : problems) {
            page.note("ERROR " + problem);
        }
        try {
            Path file = options.report() != null ? options.report()
                    : Files.createTempFile("handoff-demo-", ".html");
            page.write(file);
            out.println("report: " + file + " (open it in a browser: " + page.swapCount() + " swap(s), each step per"
                    + " instance; requests and jobs over time; work in flight per instance)");
            return true;
        } catch (IOException e) {
            err.println("ERROR demo: the report could not be written: " + e.getMessage());
            return false;
        }
    }

    private static String label(Target target) {
        return switch (target) {
            case WEB_IN_PROCESS -> "(web, to in-process)";
            case WEB_CHILD -> "(web, to child JVM)";
            case QUEUE -> "(queue)";
        };
    }

    /** Deletes the child JVMs' logs after a clean run; keeps them, and says where, after a failed one. */
    private void cleanUp(Path logs, boolean clean) {
        if (logs == null) {
            return;
        }
        if (!clean) {
            err.println("demo: the child JVMs' output is kept in " + logs);
            return;
        }
        try (Stream<Path> files = Files.walk(logs)) {
            for (Path file : files.sorted(Comparator.reverseOrder()).toList()) {
                Files.deleteIfExists(file);
            }
        } catch (IOException e) {
            err.println("demo: could not delete " + logs + ": " + e.getMessage());
        }
    }

    /** Paces the run: the swaps happen at fixed moments, or at once when the one before ended late. */
    private static void sleepUntil(long deadlineNanos) throws InterruptedException {
        for (long remaining = deadlineNanos - System.nanoTime(); remaining > 0;
             remaining = deadlineNanos - System.nanoTime()) {
            LockSupport.parkNanos(remaining);
            if (Thread.interrupted()) {
                throw new InterruptedException("demo interrupted");
            }
        }
    }
}
