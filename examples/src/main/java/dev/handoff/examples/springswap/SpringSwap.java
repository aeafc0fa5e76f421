package dev.handoff.examples.springswap;

import dev.handoff.api.Plan;
import dev.handoff.api.SwapOutcome;
import dev.handoff.api.SwapResult;
import dev.handoff.api.SwapStep;
import dev.handoff.core.Orchestrator;
import dev.handoff.core.process.ChildProcessLauncher;
import dev.handoff.examples.Main;
import dev.handoff.examples.common.BoundedInt;
import dev.handoff.examples.common.ChildrenBehindHaproxy;
import dev.handoff.examples.common.StepMedians;
import dev.handoff.examples.springswap.sample.SampleBootApp;
import dev.handoff.examples.webswap.LoadGenerator;
import dev.handoff.test.haproxy.HaproxyProcess;
import dev.handoff.test.rabbitmq.RabbitNode;

import java.io.IOException;
import java.io.PrintStream;
import java.net.URISyntaxException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * The {@code spring-swap} command: for each server (Tomcat, Jetty), swaps the sample Boot application
 * ({@link SampleBootApp}) {@code --swaps} times as child JVMs behind a throwaway HAProxy, with the orchestrator (the
 * old instance leaves rotation when HAProxy confirms it, no fixed sleep), while raw-socket clients that never retry
 * load the web side and a publisher sends persistent jobs to its {@code @RabbitListener} on a throwaway RabbitMQ
 * node. Prints per server {@code RESULT spring server=S swaps=N requests=R failed=F jobs=J lost=L duplicated=D}.
 * Not thread-safe; one run per JVM.
 */
public final class SpringSwap {

    private static final String USAGE = String.join("\n",
            "usage: java -jar handoff-examples.jar spring-swap [--server=tomcat|jetty|all] [--swaps=N] [--clients=C]",
            "                                                  [--jobs-per-second=J] [--baseline]",
            "  swaps the sample Spring Boot application (web + @RabbitListener) as child JVMs behind a throwaway",
            "  HAProxy (/usr/sbin/haproxy) under load from clients that never retry, with jobs published to a",
            "  throwaway RabbitMQ node (rabbitmq-server); prints per server",
            "  RESULT spring server=S swaps=N requests=R failed=F jobs=J lost=L duplicated=D",
            "  --server           tomcat, jetty or all (default all)",
            "  --swaps            swaps per server (default 10, 1..100)",
            "  --clients          HTTP clients (default 8, 1..64)",
            "  --jobs-per-second  jobs published per second (default 100, 1..2000)",
            "  --baseline         after each server's handoff run, the same with Boot's own graceful shutdown and",
            "                     no handoff (start the new one, HAProxy checks it up, SIGTERM the old one); its",
            "                     line ends with mode=boot-graceful; its HAProxy checks GET",
            "                     /actuator/health/readiness every 1 s (expect 200), retries 0 (no redispatch)",
            "  handoff runs: the orchestrator's router moves the instance in and out of HAProxy (no health check),",
            "  retries 0 (no redispatch) as in the baseline",
            "  exits 0 when every swap committed and nothing failed, was lost or duplicated; 1 otherwise; 2 for",
            "  bad options");

    /** What the handoff runs' HAProxy does, printed with their results. */
    static final String SETUP = "the orchestrator's router puts the instance in and out of HAProxy over its admin "
            + "socket (the old one leaves when HAProxy confirms; no health check), retries 0 (no redispatch)";

    private SpringSwap() {
    }

    /**
     * @param args the options after the command
     * @param out  standard output
     * @param err  standard error
     * @return the exit status
     */
    public static int run(String[] args, PrintStream out, PrintStream err) {
        List<String> servers = List.of("tomcat", "jetty");
        int swaps = 10;
        int clients = 8;
        int jobsPerSecond = 100;
        boolean baseline = false;
        for (String arg : args) {
            try {
                if (arg.equals("--help") || arg.equals("-h")) {
                    out.println(USAGE);
                    return 0;
                } else if (arg.startsWith("--server=")) {
                    String server = arg.substring("--server=".length()).toLowerCase(Locale.ROOT);
                    servers = switch (server) {
                        case "tomcat", "jetty" -> List.of(server);
                        case "all" -> List.of("tomcat", "jetty");
                        default -> throw new IllegalArgumentException(
                                "--server must be tomcat, jetty or all, but was '" + server + "'");
                    };
                } else if (arg.startsWith("--swaps=")) {
                    swaps = BoundedInt.parse("swaps", arg, 1, 100);
                } else if (arg.startsWith("--clients=")) {
                    clients = BoundedInt.parse("clients", arg, 1, 64);
                } else if (arg.startsWith("--jobs-per-second=")) {
                    jobsPerSecond = BoundedInt.parse("jobs-per-second", arg, 1, 2000);
                } else if (arg.equals("--baseline")) {
                    baseline = true;
                } else {
                    throw new IllegalArgumentException("unknown option " + arg + " (see --help)");
                }
            } catch (IllegalArgumentException e) {
                err.println(e.getMessage());
                return 2;
            }
        }
        try {
            return runAll(servers, swaps, clients, jobsPerSecond, baseline, out);
        } catch (Exception e) {
            err.println("spring-swap failed: " + e);
            e.printStackTrace(err);
            return 1;
        }
    }

    private static int runAll(List<String> servers, int swaps, int clients, int jobsPerSecond, boolean baseline,
                              PrintStream out) throws Exception {
        Path folder = Files.createTempDirectory("spring-swap-");
        boolean clean = true;
        try (RabbitNode node = RabbitNode.start(folder.resolve("rabbitmq"))) {
            out.printf("rabbitmq node up on port %d%n", node.port());
            for (String server : servers) {
                clean &= runServer(server, swaps, clients, jobsPerSecond, node, folder, out);
                if (baseline) {
                    clean &= BootGracefulBaseline.run(server, swaps, clients, jobsPerSecond, node, folder, out);
                }
            }
        }
        if (clean) {
            deleteQuietly(folder);
        } else {
            out.println("children's logs kept in " + folder);
        }
        return clean ? 0 : 1;
    }

    private static boolean runServer(String server, int swaps, int clients, int jobsPerSecond, RabbitNode node,
                                     Path folder, PrintStream out) throws Exception {
        long started = System.nanoTime();
        Path log = folder.resolve("children-" + server + ".log");
        List<SwapResult> results = new ArrayList<>();
        Tally tally;
        out.printf("%s: setup: %s%n", server, SETUP);
        try (JobFlow jobFlow = new JobFlow(node.connectionFactory(), server, jobsPerSecond);
             ChildrenBehindHaproxy web = ChildrenBehindHaproxy.start(HaproxyProcess.builder().retries(0),
                     ownCode(ChildProcessLauncher.builder())
                             .jvmOptions("-Xmx192m", "-XX:TieredStopAtLevel=1", "-XX:+UseSerialGC",
                                     "-XX:ActiveProcessorCount=2")
                             .arguments("spring-sample", "--sample.server=" + server, "--server.port=0",
                                     "--server.address=127.0.0.1", "--spring.main.banner-mode=off",
                                     "--spring.rabbitmq.host=127.0.0.1", "--spring.rabbitmq.port=" + node.port(),
                                     "--spring.rabbitmq.listener.simple.prefetch=20",
                                     "--management.endpoints.web.exposure.include=health")
                             .output(ProcessBuilder.Redirect.appendTo(log.toFile())),
                     (launcher, router) -> Orchestrator.builder("spring-" + server, launcher, router)
                             .launchTimeout(Duration.ofSeconds(120))
                             .readyTimeout(Duration.ofSeconds(120))
                             .detachTimeout(Duration.ofSeconds(20))
                             .drainTimeout(Duration.ofSeconds(20))
                             .build())) {
            Orchestrator orchestrator = web.orchestrator();
            orchestrator.startAndWait(1, Duration.ofSeconds(180));
            out.printf("%s: first instance %s serving on HAProxy port %d%n", server,
                    orchestrator.instances().get(0).id(), web.haproxy().frontendPort());
            jobFlow.start();
            LoadGenerator load = new LoadGenerator(web.haproxy().frontendAddress(), clients, 42);
            load.start();
            try {
                for (int swap = 1; swap <= swaps; swap++) {
                    SwapResult result = orchestrator.swapAndWait(Plan.oneForOne(), Duration.ofSeconds(240));
                    results.add(result);
                    out.println(server + ": " + web.swapLine(swap, swaps, result));
                    out.flush();
                }
            } finally {
                load.stop();
                jobFlow.stopPublishing();
            }
            tally = Tally.count(load.records(), jobFlow, server, out);
        }
        long committed = results.stream().filter(r -> r.outcome() == SwapOutcome.COMMITTED).count();
        tally.printFailures(server, out);
        out.printf("%s: median per swap: new instance ready %d ms (launch to READY, Boot's start-up), old one out of "
                + "rotation %d ms (detach: until HAProxy shows it in drain), drained %d ms%n", server,
                StepMedians.millis(results, SwapStep.LAUNCH, SwapStep.AWAIT_READY),
                StepMedians.millis(results, SwapStep.DETACH),
                StepMedians.millis(results, SwapStep.DRAIN, SwapStep.AWAIT_DRAINED));
        out.printf("%s: %d of %d swaps committed in %.1f s%n", server, committed, swaps,
                (System.nanoTime() - started) / 1e9);
        out.println(tally.resultLine(server, committed));
        out.flush();
        return committed == swaps && tally.clean();
    }

    /** The children run this code: the examples jar, or this JVM's class path when run from classes (tests). */
    private static ChildProcessLauncher.Builder ownCode(ChildProcessLauncher.Builder launcher)
            throws URISyntaxException {
        Path location = Path.of(SpringSwap.class.getProtectionDomain().getCodeSource().getLocation().toURI());
        if (location.toString().endsWith(".jar")) {
            return launcher.jar(location);
        }
        return launcher.mainClass(Main.class.getName(), System.getProperty("java.class.path"));
    }

    private static void deleteQuietly(Path folder) {
        try (var paths = Files.walk(folder)) {
            for (Path path : paths.sorted(java.util.Comparator.reverseOrder()).toList()) {
                Files.deleteIfExists(path);
            }
        } catch (IOException e) {
            // a leftover temporary folder is harmless
        }
    }
}
