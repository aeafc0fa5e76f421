package dev.handoff.core.process;

import dev.handoff.api.LifecycleState;
import dev.handoff.api.OrphanPolicy;
import dev.handoff.core.Orchestrator;
import dev.handoff.api.Lifecycle;
import dev.handoff.core.InFlightTracker;
import dev.handoff.core.InstanceLifecycle;
import dev.handoff.core.internal.process.LineChannel;
import dev.handoff.core.internal.process.Protocol;
import org.slf4j.MDC;

import java.io.IOException;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.channels.SocketChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;

/**
 * The main class of the child JVMs the tests start; {@code args[0]} picks the behaviour. Each mode ends by itself
 * after {@link #LIFETIME} at the latest, so a test that fails to clean up leaves nothing running for long.
 */
public final class TestChild {

    static final Duration LIFETIME = Duration.ofSeconds(120);
    /** Exit status of the {@code crash-before-ready} mode. */
    static final int CRASH_STATUS = 7;

    private TestChild() {
    }

    public static void main(String[] args) throws Exception {
        switch (args[0]) {
            case "ready":
                ready(false);
                break;
            case "ready-mdc":
                readyReportingTheSwap();
                break;
            case "hang-in-drain":
                ready(true);
                break;
            case "crash-before-ready":
                ChildAgent.attach(InstanceLifecycle.newBuilder("crashing").build());
                System.exit(CRASH_STATUS);
                break;
            case "sigterm-drains":
                sigterm(true);
                break;
            case "sigterm-abandons":
                sigterm(false);
                break;
            case "bad-lines":
                badLines();
                break;
            case "bad-token":
                badToken();
                break;
            case "intermediate":
                intermediate();
                break;
            case "intermediate-slow":
                intermediateSlow(Path.of(args[1]));
                break;
            case "sigterm-slow":
                sigtermSlow(Path.of(args[1]));
                break;
            case "flood":
                flood();
                break;
            case "deaf":
                deaf();
                break;
            case "burst":
                burst();
                break;
            case "exit-at-once":
                System.exit(CRASH_STATUS);
                break;
            case "no-agent":
                liveOut();
                break;
            case "attach-when-orphaned":
                attachWhenOrphaned(Long.parseLong(args[1]));
                break;
            case "intermediate-early":
                intermediateEarly(args[1], Path.of(args[2]));
                break;
            case "bad-hello":
                badHello(args[1], Path.of(args[2]));
                break;
            case "announces-budget":
                announcesBudget();
                break;
            case "orchestrator":
                orchestrator(Path.of(args[1]), Duration.ofMillis(Long.parseLong(args[2])),
                        OrphanPolicy.valueOf(args[3]));
                break;
            default:
                throw new IllegalArgumentException("unknown mode " + args[0]);
        }
    }

    /** READY; with {@code hang}, one unit of work that never finishes and a shutdown hook that never ends. */
    /** READY; prints the swap id its MDC holds when it leaves READY ({@code left READY in swap <id>}). */
    private static void readyReportingTheSwap() throws InterruptedException {
        InstanceLifecycle lifecycle = InstanceLifecycle.newBuilder(ChildAgent.instanceId().orElse("child")).build();
        lifecycle.addListener((from, to) -> {
            if (from == LifecycleState.READY) {
                System.out.println("left READY in swap " + MDC.get("handoff.swap"));
            }
        });
        ChildAgent.attach(lifecycle);
        lifecycle.markReady();
        liveOut();
    }

    private static void ready(boolean hang) throws InterruptedException {
        InstanceLifecycle lifecycle = InstanceLifecycle.newBuilder(ChildAgent.instanceId().orElse("child")).build();
        InFlightTracker work = lifecycle.tracker("work");
        ChildAgent.attach(lifecycle);
        if (hang) {
            work.tryAdmit();
            Runtime.getRuntime().addShutdownHook(new Thread(TestChild::liveOut, "hanging-hook"));
        }
        lifecycle.markReady();
        liveOut();
    }

    /**
     * READY with one unit of work in flight and a {@link GracefulTermination} installed; with {@code finishes},
     * the unit finishes shortly after the lifecycle leaves READY (that is, after SIGTERM).
     */
    private static void sigterm(boolean finishes) throws InterruptedException {
        InstanceLifecycle lifecycle = InstanceLifecycle.newBuilder(ChildAgent.instanceId().orElse("child")).build();
        InFlightTracker work = lifecycle.tracker("work");
        int permit = work.tryAdmit();
        ScheduledExecutorService timer = Executors.newSingleThreadScheduledExecutor(runnable -> {
            Thread thread = new Thread(runnable, "work");
            thread.setDaemon(true);
            return thread;
        });
        if (finishes) {
            lifecycle.addListener((from, to) -> {
                if (from == LifecycleState.READY && to == LifecycleState.DRAINING) {
                    timer.schedule(() -> {
                        System.out.println("work finished while " + lifecycle.state());
                        work.release(permit);
                    }, 300, TimeUnit.MILLISECONDS);
                }
            });
        }
        GracefulTermination.builder(lifecycle)
                .propagationDelay(Duration.ofMillis(200))
                .drainBudget(Duration.ofSeconds(finishes ? 20 : 1))
                .closeBudget(Duration.ofSeconds(2))
                .closeHook("report", () -> System.out.println("close hook ran"))
                .build()
                .install();
        ChildAgent.attach(lifecycle);
        lifecycle.markReady();
        liveOut();
    }

    /**
     * Talks to the parent by hand: sends lines the parent must reject, checks that each is answered with ERROR,
     * and only then says READY, so that the parent sees READY only if it rejected every bad line and lived on.
     */
    private static void badLines() throws IOException, LineChannel.ProtocolViolation {
        LineChannel channel = connect();
        channel.writeLine("HELLO 1 " + System.getenv(Protocol.TOKEN_ENV));
        expect(channel.readLine(), "WELCOME 1");
        List<String> bad = List.of("NONSENSE", "READY now", "DRAINED", "STATUS in-flight=1 state=READY",
                "FAILED", "HELLO 1 again", "x".repeat(5000));
        for (String line : bad) {
            channel.writeLine(line);
            String answer = channel.readLine();
            if (answer == null || !answer.startsWith("ERROR ")) {
                channel.writeLine("FAILED the parent answered '" + line.substring(0, Math.min(20, line.length()))
                        + "' with '" + answer + "'");
                liveOut();
            }
            System.out.println("parent answered: " + answer);
        }
        channel.writeLine("READY");
        // Answer the parent's commands with a status, as an agent would, until the parent goes away.
        String command;
        while ((command = channel.readLine()) != null) {
            channel.writeLine("STATUS in-flight=0 state=READY");
            if (command.equals("EXIT")) {
                System.exit(0);
            }
        }
        System.exit(3);
    }

    /**
     * Writes its token to {@code tokenFile} (for the test to look for it), then sends a HELLO that carries the token
     * but is malformed the way {@code variant} says, and prints the parent's answer.
     */
    private static void badHello(String variant, Path tokenFile) throws IOException, LineChannel.ProtocolViolation {
        String token = System.getenv(Protocol.TOKEN_ENV);
        Files.writeString(tokenFile, token);
        String hello;
        switch (variant) {
            case "extra-word":
                hello = "HELLO 1 " + token + " extra";
                break;
            case "token-as-version":
                hello = "HELLO " + token + " 1";
                break;
            case "misspelt":
                hello = "HELO 1 " + token;
                break;
            case "token-alone":
                hello = token;
                break;
            case "wrong-version":
                hello = "HELLO 2 " + token;
                break;
            default:
                throw new IllegalArgumentException("unknown variant " + variant);
        }
        LineChannel channel = connect();
        channel.writeLine(hello);
        System.out.println("parent answered: " + channel.readLine());
        System.out.println("then: " + channel.readLine());
        liveOut();
    }

    private static void badToken() throws IOException, LineChannel.ProtocolViolation {
        LineChannel channel = connect();
        channel.writeLine("HELLO 1 not-the-token");
        System.out.println("parent answered: " + channel.readLine());
        System.out.println("then: " + channel.readLine());
        liveOut();
    }

    /**
     * Says HELLO, then writes lines the parent must reject in a loop and never reads again: the parent's answers
     * pile up unread. Lives on once the parent has disconnected it.
     */
    private static void flood() throws IOException, LineChannel.ProtocolViolation {
        LineChannel channel = connect();
        channel.writeLine("HELLO 1 " + System.getenv(Protocol.TOKEN_ENV));
        expect(channel.readLine(), "WELCOME 1");
        try {
            while (true) {
                channel.writeLine("NONSENSE");
            }
        } catch (IOException e) {
            System.out.println("disconnected: " + e);
        }
        liveOut();
    }

    /** Says HELLO and READY, then never reads nor writes again, as if its agent's thread were stuck. */
    private static void deaf() throws IOException, LineChannel.ProtocolViolation {
        LineChannel channel = connect();
        channel.writeLine("HELLO 1 " + System.getenv(Protocol.TOKEN_ENV));
        expect(channel.readLine(), "WELCOME 1");
        channel.writeLine("READY");
        liveOut();
    }

    /**
     * Says HELLO, sends 50 lines the parent must reject at once, then READY; prints how many ERRORs reached it
     * before the parent's first command, and answers commands as an agent would.
     */
    private static void burst() throws IOException, LineChannel.ProtocolViolation {
        LineChannel channel = connect();
        channel.writeLine("HELLO 1 " + System.getenv(Protocol.TOKEN_ENV));
        expect(channel.readLine(), "WELCOME 1");
        for (int i = 0; i < 50; i++) {
            channel.writeLine("NONSENSE");
        }
        channel.writeLine("READY");
        int errors = 0;
        boolean reported = false;
        String line;
        while ((line = channel.readLine()) != null) {
            if (line.startsWith("ERROR ")) {
                errors++;
                continue;
            }
            if (!reported) {
                System.out.println("errors before the first command: " + errors);
                System.out.flush();
                reported = true;
            }
            channel.writeLine("STATUS in-flight=0 state=READY");
            if (line.equals("EXIT")) {
                System.exit(0);
            }
        }
        System.exit(3);
    }

    /** Starts a grandchild through a launcher, prints its pid, and lives on. */
    private static void intermediate() throws Exception {
        ChildProcessLauncher launcher = ChildProcessLauncher.builder()
                .mainClass(TestChild.class.getName(), System.getProperty("java.class.path"))
                .arguments("ready")
                .output(ProcessBuilder.Redirect.DISCARD)
                .build();
        Lifecycle grandchild = launcher.launch("grandchild").toCompletableFuture().get(30, TimeUnit.SECONDS);
        grandchild.whenReady().toCompletableFuture().get(30, TimeUnit.SECONDS);
        System.out.println("GRANDCHILD " + ((ChildProcessInstance) grandchild).processHandle().pid());
        System.out.flush();
        liveOut();
    }

    /**
     * Like {@code intermediate}, with a grandchild whose own termination takes longer than the few seconds a parent
     * used to give it ({@code sigterm-slow}), launched with a termination budget that covers it.
     */
    private static void intermediateSlow(Path marker) throws Exception {
        ChildProcessLauncher launcher = ChildProcessLauncher.builder()
                .mainClass(TestChild.class.getName(), System.getProperty("java.class.path"))
                .arguments("sigterm-slow", marker.toString())
                .output(ProcessBuilder.Redirect.DISCARD)
                .terminationBudget(Duration.ofSeconds(20))
                .build();
        Lifecycle grandchild = launcher.launch("grandchild").toCompletableFuture().get(30, TimeUnit.SECONDS);
        grandchild.whenReady().toCompletableFuture().get(30, TimeUnit.SECONDS);
        System.out.println("GRANDCHILD " + ((ChildProcessInstance) grandchild).processHandle().pid());
        System.out.flush();
        liveOut();
    }

    /** READY; on SIGTERM serves on for 6 s, then closes by writing {@code marker}. */
    private static void sigtermSlow(Path marker) throws InterruptedException {
        InstanceLifecycle lifecycle = InstanceLifecycle.newBuilder(ChildAgent.instanceId().orElse("child")).build();
        GracefulTermination.builder(lifecycle)
                .propagationDelay(Duration.ofSeconds(6))
                .drainBudget(Duration.ofSeconds(2))
                .closeBudget(Duration.ofSeconds(2))
                .closeHook("marker", () -> Files.writeString(marker, "terminated gracefully"))
                .build()
                .install();
        ChildAgent.attach(lifecycle);
        lifecycle.markReady();
        liveOut();
    }

    /** Waits until its parent has exited, then tries to attach (the parent's socket is gone) and exits. */
    private static void attachWhenOrphaned(long parentPid) throws Exception {
        // By pid: the parent may be gone before this JVM has started, and then parent() names another process.
        Optional<ProcessHandle> parent = ProcessHandle.of(parentPid);
        if (parent.isPresent()) {
            parent.get().onExit().get(LIFETIME.toSeconds(), TimeUnit.SECONDS);
        }
        try {
            ChildAgent.attach(InstanceLifecycle.newBuilder("orphan").build());
            System.out.println("attached to a dead parent");
        } catch (RuntimeException e) {
            System.out.println("could not attach: " + e.getMessage());
        }
        System.exit(CRASH_STATUS);
    }

    /**
     * Starts a grandchild in {@code mode} (its pid as the grandchild's second argument) through a launcher whose
     * socket folders go into {@code socketParent}, prints the grandchild's pid at once (ready or not), and lives on.
     */
    private static void intermediateEarly(String mode, Path socketParent) throws Exception {
        ChildProcessLauncher launcher = ChildProcessLauncher.builder()
                .mainClass(TestChild.class.getName(), System.getProperty("java.class.path"))
                .arguments(mode, Long.toString(ProcessHandle.current().pid()))
                .socketParent(socketParent)
                .output(ProcessBuilder.Redirect.INHERIT)
                .build();
        Lifecycle grandchild = launcher.launch("grandchild").toCompletableFuture().get(30, TimeUnit.SECONDS);
        System.out.println("GRANDCHILD " + ((ChildProcessInstance) grandchild).processHandle().pid());
        System.out.flush();
        liveOut();
    }

    private static LineChannel connect() throws IOException {
        SocketChannel socket = SocketChannel.open(StandardProtocolFamily.UNIX);
        socket.connect(UnixDomainSocketAddress.of(System.getenv(Protocol.SOCKET_ENV)));
        return new LineChannel(socket);
    }

    private static void expect(String actual, String expected) {
        if (!expected.equals(actual)) {
            throw new IllegalStateException("expected '" + expected + "', but got '" + actual + "'");
        }
    }

    /** READY, announcing a termination budget of 20 s, with a shutdown hook that takes 3 s. */
    private static void announcesBudget() {
        InstanceLifecycle lifecycle = InstanceLifecycle.newBuilder(ChildAgent.instanceId().orElse("child")).build();
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            try {
                new CountDownLatch(1).await(3, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            System.out.println("slow shutdown hook done");
            System.out.flush();
        }, "slow-hook"));
        ChildAgent.builder(lifecycle).terminationBudget(Duration.ofSeconds(20)).attach();
        lifecycle.markReady();
        liveOut();
    }

    /**
     * An orchestrator JVM with a state directory, its lease and orphan policy: starts a group of one {@code ready}
     * child (its output in {@code <state directory>/../child.log}), prints
     * {@code MEMBER <id> <pid>}, then lives on until it is killed (the tests kill it with SIGKILL).
     */
    private static void orchestrator(Path stateDirectory, Duration lease, OrphanPolicy policy) {
        ChildProcessLauncher launcher = ChildProcessLauncher.builder()
                .mainClass(TestChild.class.getName(), System.getProperty("java.class.path"))
                .arguments("ready")
                .output(ProcessBuilder.Redirect.appendTo(stateDirectory.resolveSibling("child.log").toFile()))
                .exitTimeout(Duration.ofSeconds(1))
                .build();
        Orchestrator orchestrator = Orchestrator.builder("restart", launcher, new AttachedSet())
                .stateDirectory(stateDirectory)
                .orphanLease(lease, policy)
                .readyTimeout(Duration.ofSeconds(30))
                .build();
        orchestrator.startAndWait(1, Duration.ofSeconds(60));
        ChildProcessInstance member = (ChildProcessInstance) orchestrator.instances().get(0);
        System.out.println("MEMBER " + member.id() + " " + member.processHandle().pid());
        System.out.flush();
        liveOut();
    }

    /** Blocks until the JVM is ended from outside, or {@link #LIFETIME} passed. */
    private static void liveOut() {
        try {
            new CountDownLatch(1).await(LIFETIME.toSeconds(), TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        System.exit(99);
    }
}
