package dev.handoff.examples.crashswap;

import dev.handoff.api.LifecycleState;
import dev.handoff.api.Member;
import dev.handoff.api.OrphanPolicy;
import dev.handoff.api.Plan;
import dev.handoff.api.SwapResult;
import dev.handoff.api.event.SwapEvent;
import dev.handoff.api.event.SwapListener;
import dev.handoff.core.Orchestrator;
import dev.handoff.core.process.ChildProcessLauncher;
import dev.handoff.examples.Main;
import dev.handoff.jetty.haproxy.HaproxyRouter;
import dev.handoff.jetty.process.ChildPorts;
import dev.handoff.queue.process.ChildSubscriptionRouter;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;

/**
 * The orchestrating JVM of {@code crash-swap --kills}: the web and queue groups' orchestrators, each with a state
 * directory, driven by lines on standard input and reporting on standard output. {@code crash-swap} kills it with
 * SIGKILL in the middle of a swap and starts it again on the same state directories.
 *
 * <p>Arguments: {@code <state folder> <HAProxy admin socket> <backend> <AMQP port> <queue> <ledger folder>
 * <log folder> <marker JVM option> fresh|restart}. With {@code fresh} it starts both groups (2 members each);
 * with {@code restart} it recovers them from their journals.
 *
 * <p>Output lines: {@code RECOVERED <group> <swap id>|none <outcome>|-}, {@code READY}, {@code EVENT <group> <swap
 * id> <step> <phase> <instance>} (swaps only), {@code SWAP_END <group> <swap id> <outcome>}, {@code SWAP_FAILED
 * <group> <reason>}, {@code STATUS <group> members=<n> ready=<r>}, {@code BYE}. Input lines: {@code SWAP <group>},
 * {@code STATUS}, {@code QUIT} (also on the end of input). Not a command of the jar: started by crash-swap only.
 */
public final class CrashOrchestrator {

    /** How long a child that lost this JVM waits for the next one. */
    static final Duration LEASE = Duration.ofSeconds(20);
    private static final Duration WAIT = Duration.ofSeconds(120);
    private static final PrintStream OUT = System.out;

    private CrashOrchestrator() {
    }

    /**
     * @param args see the class comment
     * @throws Exception when the groups cannot be built, recovered or started
     */
    public static void main(String[] args) throws Exception {
        if (args.length != 9) {
            System.err.println("CrashOrchestrator is started by crash-swap --kills, not by hand");
            System.exit(2);
        }
        Path state = Path.of(args[0]);
        Path logs = Path.of(args[6]);
        String marker = args[7];
        boolean fresh = args[8].equals("fresh");
        String classpath = System.getProperty("java.class.path");

        ChildPorts ports = ChildPorts.keptIn(state.resolve("web-ports"));
        ChildProcessLauncher webLauncher = ports.configure(ChildProcessLauncher.builder()
                        .mainClass(Main.class.getName(), classpath)
                        .jvmOptions("-Xmx96m", "-XX:TieredStopAtLevel=1", "-XX:+UseSerialGC", marker)
                        .arguments("haproxy-children", "--child")
                        .output(ProcessBuilder.Redirect.appendTo(logs.resolve("web.log").toFile()))
                        .exitTimeout(Duration.ofSeconds(5)))
                .build();
        HaproxyRouter haproxy = HaproxyRouter.builder(Path.of(args[1]), args[2])
                .addressOf(ports.addressOf())
                .sessionWaitTimeout(Duration.ofSeconds(10))
                .build()
                .start();
        Orchestrator web = Orchestrator.builder("web", webLauncher, haproxy)
                .stateDirectory(state.resolve("web"))
                .orphanLease(LEASE, OrphanPolicy.TERMINATE_GRACEFULLY)
                .readyTimeout(Duration.ofSeconds(30))
                .detachTimeout(Duration.ofSeconds(15))
                .drainTimeout(Duration.ofSeconds(10))
                .replaceBackoff(Group.BACKOFF_MIN, Group.BACKOFF_MAX)
                .onClose(Orchestrator.OnClose.DESTROY_LAUNCHED)
                .listener(printer("web"))
                .build();
        ChildProcessLauncher queueLauncher = ChildProcessLauncher.builder()
                .mainClass(QueueChild.class.getName(), classpath)
                .jvmOptions("-Xmx96m", "-XX:TieredStopAtLevel=1", "-XX:+UseSerialGC", marker)
                .arguments(args[3], args[4], args[5])
                .output(ProcessBuilder.Redirect.appendTo(logs.resolve("queue.log").toFile()))
                .exitTimeout(Duration.ofSeconds(5))
                .build();
        Orchestrator queue = Orchestrator.builder("queue", queueLauncher, new ChildSubscriptionRouter())
                .stateDirectory(state.resolve("queue"))
                .orphanLease(LEASE, OrphanPolicy.TERMINATE_GRACEFULLY)
                .readyTimeout(Duration.ofSeconds(30))
                .drainTimeout(Duration.ofSeconds(10))
                .replaceBackoff(Group.BACKOFF_MIN, Group.BACKOFF_MAX)
                .onClose(Orchestrator.OnClose.DESTROY_LAUNCHED)
                .listener(printer("queue"))
                .build();
        List<Orchestrator> groups = List.of(web, queue);
        for (Orchestrator group : groups) {
            Optional<SwapResult> recovered = group.recovery().toCompletableFuture().get(WAIT.toSeconds(),
                    TimeUnit.SECONDS);
            print("RECOVERED " + group.group() + " " + recovered.map(SwapResult::swapId).orElse("none") + " "
                    + recovered.map(result -> result.outcome().name()).orElse("-"));
        }
        if (fresh) {
            for (Orchestrator group : groups) {
                group.startAndWait(Group.SIZE, WAIT);
            }
        }
        print("READY");
        try (BufferedReader input = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8))) {
            for (String line = input.readLine(); line != null && !line.equals("QUIT"); line = input.readLine()) {
                if (line.equals("STATUS")) {
                    groups.forEach(CrashOrchestrator::status);
                } else if (line.startsWith("SWAP ")) {
                    Orchestrator group = line.endsWith(" web") ? web : queue;
                    swap(group);
                }
            }
        } catch (IOException e) {
            System.err.println("crash-swap's orchestrator: standard input failed: " + e);
        }
        try {
            web.close();
            queue.close();
        } finally {
            haproxy.close();
        }
        print("BYE");
        System.exit(0);
    }

    private static void swap(Orchestrator group) {
        try {
            group.swap(Plan.rolling(1, 0)).whenComplete((result, failure) -> {
                if (failure == null) {
                    print("SWAP_END " + group.group() + " " + result.swapId() + " " + result.outcome());
                } else {
                    print("SWAP_FAILED " + group.group() + " " + failure);
                }
            });
        } catch (RuntimeException e) {
            print("SWAP_FAILED " + group.group() + " " + e);
        }
    }

    private static void status(Orchestrator group) {
        List<Member> members = group.members();
        long ready = members.stream().filter(member -> member.instance().state() == LifecycleState.READY).count();
        print("STATUS " + group.group() + " members=" + members.size() + " ready=" + ready);
    }

    private static SwapListener printer(String group) {
        return new SwapListener() {
            @Override
            public void onStep(SwapEvent event) {
                if (event.swapId().contains("/swap-")) {
                    print("EVENT " + group + " " + event.swapId() + " " + event.step() + " " + event.phase() + " "
                            + event.instanceId());
                }
            }
        };
    }

    private static void print(String line) {
        synchronized (OUT) {
            OUT.println(line);
            OUT.flush();
        }
    }
}
