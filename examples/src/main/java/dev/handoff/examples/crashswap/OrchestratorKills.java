package dev.handoff.examples.crashswap;

import com.rabbitmq.client.Channel;
import com.rabbitmq.client.Connection;
import dev.handoff.examples.webswap.FailureKind;
import dev.handoff.examples.webswap.LoadGenerator;
import dev.handoff.rabbitmq.RabbitMqJobSource;
import dev.handoff.test.haproxy.HaproxyProcess;
import dev.handoff.test.process.LineProcess;
import dev.handoff.test.rabbitmq.RabbitNode;

import java.io.IOException;
import java.io.PrintStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.locks.LockSupport;
import java.util.function.Predicate;

/**
 * {@code crash-swap --kills=N}: the orchestrator runs in a JVM of its own ({@link CrashOrchestrator}) with a state
 * directory per group; this JVM owns HAProxy, the RabbitMQ node, the clients that never retry and the publisher, and
 * N times starts a swap of one group (alternating web and queue), kills the orchestrator's JVM with SIGKILL at a
 * random step of it, and starts it again on the same state directories. Not thread-safe; one run per JVM.
 */
final class OrchestratorKills {

    /** The steps of a swap of 2 by rolling(1, 0) are 28 events; the kill comes at one of the first 24. */
    static final int LAST_KILL_EVENT = 24;
    private static final Duration LINE_WAIT = Duration.ofSeconds(120);

    private final CrashSwapOptions options;
    private final PrintStream out;
    private final PrintStream err;
    private final Path folder;
    private final Random random = new Random(42);
    private LineProcess jvm;
    private Process orchestrator;

    OrchestratorKills(CrashSwapOptions options, PrintStream out, PrintStream err, Path folder) {
        this.options = options;
        this.out = out;
        this.err = err;
        this.folder = folder;
    }

    int run(String classpath) throws Exception {
        int kills = options.kills();
        Duration healBound = Duration.ofSeconds(options.healTimeoutSeconds());
        Path ledgers = Files.createDirectories(folder.resolve("ledgers"));
        Path state = Files.createDirectories(folder.resolve("state"));
        int recovered = 0;
        int committed = 0;
        int rolledBack = 0;
        int endedBeforeKill = 0;
        LoadGenerator.LoadRecords records;
        long published;
        long lost;
        LedgerFolder ledger = new LedgerFolder(ledgers);
        HaproxyProcess haproxy = HaproxyProcess.builder().frontendPort(0).serverTimeout(Duration.ofSeconds(15))
                .start();
        RabbitNode node = null;
        JobPublisher publisher = null;
        LoadGenerator load = null;
        try {
            node = RabbitNode.start(folder.resolve("rabbitmq"));
            try (Connection connection = node.connectionFactory().newConnection("crash-swap admin")) {
                RabbitMqJobSource.declareQueue(connection.createChannel(), QueueGroup.QUEUE);
            }
            publisher = new JobPublisher(node.connectionFactory(), QueueGroup.QUEUE, options.jobsPerSecond());
            String[] arguments = {state.toString(), haproxy.adminSocket().toString(), haproxy.backend(),
                Integer.toString(node.port()), QueueGroup.QUEUE, ledgers.toString(), folder.toString(),
                Orphans.marker()};
            startOrchestrator(classpath, arguments, "fresh");
            awaitLine(line -> line.equals("READY"), LINE_WAIT);
            if (!whole("web", healBound) || !whole("queue", healBound)) {
                throw new IllegalStateException("the groups did not start");
            }
            load = new LoadGenerator(haproxy.frontendAddress(), options.clients(), 42);
            load.start();
            publisher.start();
            out.printf("crash-swap: web and queue groups of %d serving; %d kills of the orchestrator%n", Group.SIZE,
                    kills);
            for (int kill = 1; kill <= kills; kill++) {
                String group = kill % 2 == 1 ? "web" : "queue";
                int at = 1 + random.nextInt(LAST_KILL_EVENT);
                send("SWAP " + group);
                String swapId = null;
                String lastEvent = "";
                boolean ended = false;
                for (int seen = 0; seen < at && !ended; ) {
                    String line = awaitLine(candidate -> candidate.startsWith("EVENT " + group + " ")
                            || candidate.startsWith("SWAP_END " + group) || candidate.startsWith("SWAP_FAILED"),
                            LINE_WAIT);
                    if (line.startsWith("SWAP_FAILED")) {
                        throw new IllegalStateException("the swap did not start: " + line);
                    }
                    if (line.startsWith("SWAP_END")) {
                        ended = true;
                    } else {
                        swapId = line.split(" ")[2];
                        lastEvent = line.substring(line.indexOf(' ', line.indexOf(swapId)) + 1);
                        seen++;
                    }
                }
                long pid = orchestrator.pid();
                orchestrator.destroyForcibly();
                orchestrator.onExit().get(10, TimeUnit.SECONDS);
                jvm.clearLines();
                startOrchestrator(classpath, arguments, "restart");
                Map<String, String[]> recoveries = new HashMap<>();
                for (int group2 = 0; group2 < 2; group2++) {
                    String line = awaitLine(candidate -> candidate.startsWith("RECOVERED "), LINE_WAIT);
                    String[] words = line.split(" ");
                    recoveries.put(words[1], words);
                }
                awaitLine(line -> line.equals("READY"), LINE_WAIT);
                String[] mine = recoveries.get(group);
                String outcome = mine[3];
                boolean swapEnded = swapId != null && mine[2].equals(swapId)
                        && (outcome.equals("COMMITTED") || outcome.equals("ROLLED_BACK"));
                if (!swapEnded && (ended || mine[2].equals("none"))) {
                    // The swap ended before the kill reached it (its end is in the journal): nothing was half done.
                    endedBeforeKill++;
                    swapEnded = true;
                    outcome = "ended-before-the-kill";
                } else if (outcome.equals("COMMITTED")) {
                    committed++;
                } else if (outcome.equals("ROLLED_BACK")) {
                    rolledBack++;
                }
                boolean wholeAgain = whole("web", healBound) && whole("queue", healBound);
                if (swapEnded && wholeAgain) {
                    recovered++;
                }
                out.printf("kill %d/%d: SIGKILL to the orchestrator (pid %d) after '%s' of %s: %s, groups %s%n",
                        kill, kills, pid, lastEvent, swapId, outcome, wholeAgain ? "whole" : "NOT whole");
                out.flush();
            }
            records = stopLoad(load);
            load = null;
            publisher.stop(Duration.ofSeconds(15));
            published = publisher.confirmed();
            RabbitNode broker = node;
            if (!Group.await(() -> {
                ledger.poll();
                return ledger.missing(published) == 0 && ready(broker) == 0;
            }, Duration.ofSeconds(60))) {
                err.println("crash-swap: the queue was not drained within 60 s");
            }
            ledger.poll();
            lost = ledger.missing(published);
            send("QUIT");
            if (!orchestrator.onExit().completeOnTimeout(null, 60, TimeUnit.SECONDS).thenApply(p -> p != null)
                    .get()) {
                err.println("crash-swap: the orchestrator did not quit within 60 s; killing it");
                orchestrator.destroyForcibly();
            }
        } finally {
            if (load != null) {
                stopLoad(load);
            }
            if (publisher != null) {
                try {
                    publisher.stop(Duration.ofSeconds(15));
                } catch (IllegalStateException e) {
                    // stopping anyway
                }
            }
            if (orchestrator != null && orchestrator.isAlive()) {
                orchestrator.destroyForcibly();
            }
        }
        // Children that lost their orchestrator end by themselves within their lease: give them that long.
        Group.await(() -> Orphans.count() == 0, CrashOrchestrator.LEASE.plusSeconds(15));
        long orphans = Orphans.count();
        Orphans.killAll();
        boolean haproxyAlive;
        boolean nodeRunning;
        try {
            haproxy.close();
        } finally {
            if (node != null) {
                node.close();
            }
        }
        haproxyAlive = haproxy.isAlive();
        nodeRunning = node != null && node.isRunning();
        orphans += (haproxyAlive ? 1 : 0) + (nodeRunning ? 1 : 0);
        long failed = records.failed();
        StringBuilder failures = new StringBuilder("FAILURES crash-swap");
        for (FailureKind kind : FailureKind.values()) {
            failures.append(' ').append(kind.label()).append('=').append(records.failures(kind));
        }
        out.println(failures);
        out.printf("STATS crash-swap requests=%d failed_requests=%d jobs_published=%d jobs_started=%d duplicates=%d "
                        + "unmarked_duplicates=%d committed=%d rolled_back=%d ended_before_kill=%d%n",
                records.successes() + records.failed(), failed, published, ledger.distinct(), ledger.duplicates(),
                ledger.unmarkedDuplicates(), committed, rolledBack, endedBeforeKill);
        out.printf("RESULT crash-swap kills=%d recovered=%d failed=%d lost=%d orphans=%d%n", kills, recovered, failed,
                lost, orphans);
        out.flush();
        return recovered == kills && failed == 0 && lost == 0 && orphans == 0 ? 0 : 1;
    }

    private static LoadGenerator.LoadRecords stopLoad(LoadGenerator load) throws InterruptedException {
        load.stop();
        return load.records();
    }

    private void startOrchestrator(String classpath, String[] arguments, String mode) throws IOException {
        String java = ProcessHandle.current().info().command().orElse("java");
        String[] command = new String[arguments.length + 8];
        command[0] = java;
        command[1] = "-Xmx128m";
        command[2] = "-XX:TieredStopAtLevel=1";
        command[3] = Orphans.marker();
        command[4] = "-cp";
        command[5] = classpath;
        command[6] = CrashOrchestrator.class.getName();
        System.arraycopy(arguments, 0, command, 7, arguments.length);
        command[command.length - 1] = mode;
        jvm = LineProcess.start(List.of(command), folder.resolve("orchestrator.log"));
        orchestrator = jvm.process();
    }

    private void send(String command) throws IOException {
        jvm.send(command);
    }

    /** @return the next line that matches, dropping the others; fails after {@code timeout} */
    private String awaitLine(Predicate<String> wanted, Duration timeout) throws Exception {
        return jvm.awaitLine(wanted, timeout);
    }

    /** @return whether the group had its size, every member READY, within {@code bound} (asked every 100 ms) */
    private boolean whole(String group, Duration bound) throws Exception {
        long deadline = System.nanoTime() + bound.toNanos();
        String expected = "STATUS " + group + " members=" + Group.SIZE + " ready=" + Group.SIZE;
        while (System.nanoTime() - deadline < 0) {
            send("STATUS");
            String line = awaitLine(candidate -> candidate.startsWith("STATUS " + group + " "), LINE_WAIT);
            if (line.equals(expected)) {
                return true;
            }
            LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(100));
        }
        return false;
    }

    /** @return jobs ready in the queue; opens a connection of its own */
    private static long ready(RabbitNode node) {
        try (Connection connection = node.connectionFactory().newConnection("crash-swap admin")) {
            Channel channel = connection.createChannel();
            return channel.queueDeclarePassive(QueueGroup.QUEUE).getMessageCount();
        } catch (IOException e) {
            throw new UncheckedIOException("cannot count the jobs ready on " + node, e);
        } catch (TimeoutException e) {
            throw new IllegalStateException("cannot count the jobs ready on " + node, e);
        }
    }
}
