package dev.handoff.jetty.process;

import dev.handoff.api.Member;
import dev.handoff.api.OrphanPolicy;
import dev.handoff.api.Plan;
import dev.handoff.api.SwapStep;
import dev.handoff.api.event.SwapEvent;
import dev.handoff.api.event.SwapListener;
import dev.handoff.core.Orchestrator;
import dev.handoff.core.process.ChildProcessInstance;
import dev.handoff.core.process.ChildProcessLauncher;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

/**
 * A group of {@link WebChild} JVMs on one shared port ({@link ReusePortRouter}) with a state directory, as
 * {@link ReusePortCrashTest} builds it twice: in an orchestrator JVM of its own ({@link #main}), which the test kills
 * with SIGKILL, and in the test's JVM, which restarts the orchestrator on the same state directory. Both build it
 * the same way, so that the second re-adopts the first's children.
 *
 * <p>{@link #main} arguments: {@code <state directory> <port> <children's log> <marker JVM option>
 * [freeze=<step>]}. It starts a group of 2 and prints {@code MEMBER <id> <pid>} for each, then {@code READY}; then
 * reads {@code SWAP} (a rolling(1, 0) swap) from standard input and prints {@code EVENT <swap id> <step> <phase>
 * <instance id>} for each of its steps. With {@code freeze=<step>}, once a swap has completed that step the first
 * time, it prints {@code FROZEN <swap id> <instance id>} and its orchestrator goes no further (the listener holds the
 * orchestrator's executor), so that the test kills it exactly there. The end of standard input closes the
 * orchestrator (destroying its children) and ends the JVM.
 */
final class ReusePortGroup {

    static final int SIZE = 2;
    static final Duration LEASE = Duration.ofSeconds(60);
    private static final Duration WAIT = Duration.ofSeconds(120);

    final ReusePortRouter router;
    final Orchestrator.Builder builder;

    /**
     * @param state  the orchestrator's state directory; the children's ports are kept in {@code <state>/ports}
     * @param port   the shared port
     * @param log    where the children write their output
     * @param marker a JVM option given to every child, by which the test finds them
     */
    ReusePortGroup(Path state, int port, Path log, String marker) {
        ChildPorts ports = ChildPorts.keptIn(state.resolve("ports"));
        ChildProcessLauncher launcher = ports.configure(ChildProcessLauncher.builder()
                        .mainClass(WebChild.class.getName(), System.getProperty("java.class.path"))
                        .jvmOptions("-Xmx96m", "-XX:TieredStopAtLevel=1", "-XX:+UseSerialGC", marker,
                                "-Dorg.slf4j.simpleLogger.showDateTime=true",
                                "-Dorg.slf4j.simpleLogger.dateTimeFormat=HH:mm:ss.SSS")
                        .arguments("--port=" + port, "--reuse-port")
                        .output(ProcessBuilder.Redirect.appendTo(log.toFile())))
                .build();
        router = new ReusePortRouter(port, ports.addressOf()).start();
        builder = Orchestrator.builder("web", launcher, router)
                .stateDirectory(state.resolve("journal"))
                .orphanLease(LEASE, OrphanPolicy.TERMINATE_GRACEFULLY)
                .readyTimeout(Duration.ofSeconds(30))
                .drainTimeout(Duration.ofSeconds(20))
                .onClose(Orchestrator.OnClose.DESTROY_LAUNCHED);
    }

    public static void main(String[] args) throws Exception {
        PrintStream out = System.out;
        ReusePortGroup group = new ReusePortGroup(Path.of(args[0]), Integer.parseInt(args[1]), Path.of(args[2]),
                args[3]);
        SwapStep freezeAfter = args.length > 4 ? SwapStep.valueOf(args[4].substring("freeze=".length())) : null;
        group.builder.listener(printer(out, freezeAfter));
        Orchestrator orchestrator = group.builder.build();
        orchestrator.recovery().toCompletableFuture().get(WAIT.toSeconds(), TimeUnit.SECONDS);
        orchestrator.startAndWait(SIZE, WAIT);
        for (Member member : orchestrator.members()) {
            ChildProcessInstance child = (ChildProcessInstance) member.instance();
            print(out, "MEMBER " + child.id() + " " + child.processHandle().pid());
        }
        print(out, "READY");
        try (BufferedReader input = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8))) {
            for (String line = input.readLine(); line != null; line = input.readLine()) {
                if (line.equals("SWAP")) {
                    orchestrator.swap(Plan.rolling(1, 0)).whenComplete((result, failure) -> print(out,
                            failure == null ? "SWAP_END " + result.outcome() : "SWAP_FAILED " + failure));
                }
            }
        } catch (IOException e) {
            System.err.println("ReusePortGroup: standard input failed: " + e);
        }
        orchestrator.close();
        System.exit(0);
    }

    /**
     * Prints a swap's events; holds the orchestrator's executor (for 2 minutes at most) once a swap completed
     * {@code freezeAfter}, when not null.
     */
    private static SwapListener printer(PrintStream out, SwapStep freezeAfter) {
        CountDownLatch never = new CountDownLatch(1);
        return new SwapListener() {
            @Override
            public void onStep(SwapEvent event) {
                if (!event.swapId().contains("/swap-")) {
                    return;
                }
                print(out, "EVENT " + event.swapId() + " " + event.step() + " " + event.phase() + " "
                        + event.instanceId());
                if (event.step() == freezeAfter && event.phase() == SwapEvent.Phase.COMPLETED) {
                    print(out, "FROZEN " + event.swapId() + " " + event.instanceId());
                    try {
                        never.await(WAIT.toSeconds(), TimeUnit.SECONDS);
                    } catch (InterruptedException e) {
                        Thread.currentThread().interrupt();
                    }
                }
            }
        };
    }

    private static void print(PrintStream out, String line) {
        synchronized (out) {
            out.println(line);
            out.flush();
        }
    }
}
