package dev.handoff.examples.crashswap;

import dev.handoff.api.event.MemberFailure;
import dev.handoff.api.event.SwapListener;
import dev.handoff.core.Orchestrator;
import dev.handoff.core.process.ChildProcessInstance;
import dev.handoff.examples.webswap.FailureKind;
import dev.handoff.examples.webswap.LoadGenerator;

import java.io.File;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.EnumSet;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Stream;

/**
 * {@code crash-swap}: kills the orchestrator's JVM mid-swap ({@link OrchestratorKills}) or members of supervised
 * groups with SIGKILL, or restarts their broker, while clients that never retry run, and counts what was recovered
 * or healed and what the clients lost. See
 * {@link CrashSwapOptions#usage()}. Not thread-safe; one run at a time per JVM.
 */
public final class CrashSwap {

    /** Failures that show a request cut inside a dying backend, through HAProxy. */
    static final Set<FailureKind> CUT_KINDS = EnumSet.of(FailureKind.NON_2XX, FailureKind.RESET,
            FailureKind.EOF_REUSED, FailureKind.EOF_FRESH);
    private static final Duration START_TIMEOUT = Duration.ofSeconds(90);
    private static final Duration EXIT_TIMEOUT = Duration.ofSeconds(10);
    private static final Duration DRAIN_TIMEOUT = Duration.ofSeconds(60);

    private final CrashSwapOptions options;
    private final PrintStream out;
    private final PrintStream err;
    private final AtomicInteger memberFailures = new AtomicInteger();

    private CrashSwap(CrashSwapOptions options, PrintStream out, PrintStream err) {
        this.options = options;
        this.out = out;
        this.err = err;
    }

    /**
     * @param args the options after {@code crash-swap}
     * @param out  where progress and the RESULT line go
     * @param err  errors
     * @return 0 when every kill or restart healed and nothing failed, was lost or left running; 1 otherwise; 2 for a
     *     bad command line
     */
    public static int run(String[] args, PrintStream out, PrintStream err) {
        CrashSwapOptions options;
        try {
            options = CrashSwapOptions.parse(args);
        } catch (CrashSwapOptions.UsageException e) {
            err.println("crash-swap: " + e.getMessage());
            err.println("try: java -jar handoff-examples.jar crash-swap --help");
            return 2;
        }
        if (options.help()) {
            out.print(CrashSwapOptions.usage());
            return 0;
        }
        try {
            return new CrashSwap(options, out, err).run();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            err.println("crash-swap: interrupted");
            return 1;
        } catch (Exception e) {
            err.println("crash-swap failed: " + e);
            return 1;
        }
    }

    private int run() throws Exception {
        Path folder = Files.createTempDirectory("handoff-crash-swap-");
        try {
            if (options.killsOrchestrator()) {
                return new OrchestratorKills(options, out, err, folder).run(classpath());
            }
            return options.killsMembers() ? memberKills(folder) : brokerRestarts(folder);
        } finally {
            deleteQuietly(folder);
        }
    }

    private SwapListener listener() {
        return new SwapListener() {
            @Override
            public void onMemberFailure(MemberFailure failure) {
                memberFailures.incrementAndGet();
                out.printf("  supervisor: %s/%s failed (%s), replacing=%s%n", failure.group(), failure.instanceId(),
                        failure.cause().getClass().getSimpleName(), failure.replacing());
            }
        };
    }

    private int memberKills(Path folder) throws Exception {
        int kills = options.memberKills();
        Duration healBound = Duration.ofSeconds(options.healTimeoutSeconds());
        List<long[]> webKillWindows = new ArrayList<>();
        Set<String> killedQueueMembers = new HashSet<>();
        int healed = 0;
        LoadGenerator.LoadRecords records;
        long lost;
        long published;
        LedgerFolder ledger;
        boolean haproxyAlive;
        boolean nodeRunning;
        QueueGroup queue = new QueueGroup(folder, classpath(), options.jobsPerSecond(), listener());
        WebGroup web = null;
        try {
            web = new WebGroup(folder, classpath(), listener());
            queue.start(START_TIMEOUT);
            web.start(options.clients(), START_TIMEOUT);
            out.printf("crash-swap: web %s and queue %s serving; %d kills%n", Group.memberIds(web.orchestrator()),
                    Group.memberIds(queue.orchestrator()), kills);
            for (int kill = 1; kill <= kills; kill++) {
                boolean isWeb = kill % 2 == 1;
                Orchestrator orchestrator = isWeb ? web.orchestrator() : queue.orchestrator();
                ChildProcessInstance victim = Group.oldest(orchestrator);
                long from = System.nanoTime();
                victim.processHandle().destroyForcibly();
                victim.processHandle().onExit().get(EXIT_TIMEOUT.toSeconds(), TimeUnit.SECONDS);
                long to = System.nanoTime();
                if (isWeb) {
                    webKillWindows.add(new long[] {from, to});
                } else {
                    killedQueueMembers.add(victim.id());
                }
                boolean whole = Group.await(() -> Group.whole(orchestrator, Set.of(victim.id())), healBound);
                long healMillis = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - from);
                if (whole) {
                    healed++;
                }
                out.printf("kill %d/%d: SIGKILL to %s/%s (pid %d): %s in %d ms, members now %s%n", kill, kills,
                        orchestrator.group(), victim.id(), victim.processHandle().pid(),
                        whole ? "healed" : "NOT healed", healMillis, Group.memberIds(orchestrator));
                out.flush();
            }
            records = web.stopClients();
            queue.publisher().stop(Duration.ofSeconds(15));
            published = queue.publisher().confirmed();
            awaitDrained(queue, published);
            ledger = queue.ledger();
            lost = ledger.missing(published);
        } finally {
            try {
                if (web != null) {
                    web.close();
                }
            } finally {
                queue.close();
            }
        }
        haproxyAlive = web.haproxyAlive();
        nodeRunning = queue.node().isRunning();
        long cutRequests = 0;
        long failed = 0;
        for (LoadGenerator.FailedAttempt attempt : records.failedAttempts()) {
            if (CUT_KINDS.contains(attempt.kind())
                    && webKillWindows.stream().anyMatch(w -> attempt.inFlightDuring(w[0], w[1]))) {
                cutRequests++;
            } else {
                failed++;
            }
        }
        long cutJobs = ledger.rerunAfterKill(killedQueueMembers);
        long orphans = Orphans.count();
        printFailures(records);
        out.printf("STATS crash-swap requests=%d cut_requests=%d failed_requests=%d jobs_published=%d "
                        + "jobs_started=%d cut_jobs=%d duplicates=%d unmarked_duplicates=%d member_failures=%d "
                        + "haproxy_alive=%b rabbitmq_alive=%b%n",
                records.successes() + records.failed(), cutRequests, failed, published, ledger.distinct(), cutJobs,
                ledger.duplicates(), ledger.unmarkedDuplicates(), memberFailures.get(), haproxyAlive, nodeRunning);
        orphans += (haproxyAlive ? 1 : 0) + (nodeRunning ? 1 : 0);
        out.printf("RESULT crash-swap member_kills=%d healed=%d failed=%d lost=%d cut=%d orphans=%d%n", kills,
                healed, failed, lost, cutRequests + cutJobs, orphans);
        out.flush();
        return healed == kills && failed == 0 && lost == 0 && orphans == 0 ? 0 : 1;
    }

    private int brokerRestarts(Path folder) throws Exception {
        int restarts = options.brokerRestarts();
        Duration healBound = Duration.ofSeconds(options.healTimeoutSeconds());
        int healed = 0;
        long lost;
        long published;
        LedgerFolder ledger;
        boolean nodeRunning;
        QueueGroup queue = new QueueGroup(folder, classpath(), options.jobsPerSecond(), listener());
        try {
            queue.start(START_TIMEOUT);
            Orchestrator orchestrator = queue.orchestrator();
            out.printf("crash-swap: queue %s consuming; %d broker restarts%n", Group.memberIds(orchestrator),
                    restarts);
            for (int restart = 1; restart <= restarts; restart++) {
                long startedBefore = queue.ledger().distinct();
                if (!Group.await(() -> queue.ledger().distinct() > startedBefore, healBound)) {
                    throw new IllegalStateException("no job ran within " + healBound + " before restart " + restart);
                }
                Set<String> before = Group.memberIds(orchestrator);
                queue.publisher().pause(Duration.ofSeconds(15));
                long from = System.nanoTime();
                queue.node().stop();
                long stoppedMillis = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - from);
                queue.node().start();
                long upMillis = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - from);
                queue.publisher().resume();
                boolean consuming = Group.await(() -> Group.whole(orchestrator, before)
                        && Group.memberIds(orchestrator).stream().anyMatch(id -> queue.ledger().startedBy(id) > 0),
                        healBound);
                long healMillis = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - from);
                if (consuming) {
                    healed++;
                }
                out.printf("restart %d/%d: node stopped in %d ms, up again at %d ms; group %s at %d ms, members "
                                + "now %s%n", restart, restarts, stoppedMillis, upMillis,
                        consuming ? "consuming again" : "NOT consuming", healMillis, Group.memberIds(orchestrator));
                out.flush();
            }
            queue.publisher().stop(Duration.ofSeconds(15));
            published = queue.publisher().confirmed();
            awaitDrained(queue, published);
            ledger = queue.ledger();
            lost = ledger.missing(published);
        } finally {
            queue.close();
        }
        nodeRunning = queue.node().isRunning();
        long orphans = Orphans.count() + (nodeRunning ? 1 : 0);
        out.printf("STATS crash-swap jobs_published=%d jobs_started=%d duplicates=%d unmarked_duplicates=%d "
                        + "member_failures=%d rabbitmq_alive=%b%n", published, ledger.distinct(), ledger.duplicates(),
                ledger.unmarkedDuplicates(), memberFailures.get(), nodeRunning);
        out.printf("RESULT crash-swap broker_restarts=%d healed=%d lost=%d orphans=%d%n", restarts, healed, lost,
                orphans);
        out.flush();
        return healed == restarts && lost == 0 && orphans == 0 ? 0 : 1;
    }

    /** Waits (bounded) until every confirmed job ran and nothing is left in the queue. */
    private void awaitDrained(QueueGroup queue, long published) {
        if (!Group.await(() -> queue.ledger().missing(published) == 0 && queue.ready() == 0, DRAIN_TIMEOUT)) {
            err.println("crash-swap: the queue was not drained within " + DRAIN_TIMEOUT);
        }
        Exception failure = queue.publisher().failure();
        if (failure != null) {
            err.println("crash-swap: the publisher stopped early: " + failure);
        }
    }

    private void printFailures(LoadGenerator.LoadRecords records) {
        StringBuilder line = new StringBuilder("FAILURES crash-swap");
        for (FailureKind kind : FailureKind.values()) {
            line.append(' ').append(kind.label()).append('=').append(records.failures(kind));
        }
        out.println(line);
    }

    /** The children run from the same jar or classes; absolute, so that their working folder does not matter. */
    private static String classpath() {
        List<String> entries = new ArrayList<>();
        for (String entry : System.getProperty("java.class.path").split(File.pathSeparator)) {
            if (!entry.isEmpty()) {
                entries.add(Path.of(entry).toAbsolutePath().toString());
            }
        }
        return String.join(File.pathSeparator, entries);
    }

    private static void deleteQuietly(Path folder) {
        try (Stream<Path> files = Files.walk(folder)) {
            files.sorted(Comparator.reverseOrder()).forEach(path -> path.toFile().delete());
        } catch (IOException e) {
            // a temporary folder: the system cleans it eventually
        }
    }
}
