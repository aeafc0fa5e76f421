package dev.handoff.examples.process;

import dev.handoff.api.Plan;
import dev.handoff.api.SwapOutcome;
import dev.handoff.api.SwapResult;
import dev.handoff.core.Orchestrator;
import dev.handoff.core.process.ChildAgent;
import dev.handoff.core.process.ChildProcessLauncher;
import dev.handoff.examples.common.BoundedInt;
import dev.handoff.examples.common.ChildrenBehindHaproxy;
import dev.handoff.test.haproxy.HaproxyProcess;
import dev.handoff.jetty.process.ChildWebApp;

import java.io.PrintStream;
import java.net.URISyntaxException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

import org.eclipse.jetty.http.HttpHeader;
import org.eclipse.jetty.server.Handler;
import org.eclipse.jetty.server.Request;
import org.eclipse.jetty.server.Response;
import org.eclipse.jetty.server.Server;
import org.eclipse.jetty.util.Callback;
import org.eclipse.jetty.util.thread.QueuedThreadPool;

/**
 * The hidden {@code haproxy-children} command behind {@code examples/scripts/external-check.sh}: runs the web app as
 * child JVMs (this jar, {@code --child}) behind a real HAProxy on a loopback port, and swaps it {@code --swaps}
 * times with the {@link Orchestrator} while an external load generator drives the port. Prints {@code READY
 * port=P} when the first child serves, one line per swap, {@code SWAPS DONE} after the last one, then serves on
 * until SIGTERM or SIGINT, when it stops everything and prints
 * {@code RESULT haproxy-children swaps=N committed=C}. Not thread-safe; one run per JVM.
 */
public final class HaproxyChildren {

    private static final String USAGE = String.join("\n",
            "usage: java -jar handoff-examples.jar haproxy-children [--port=P] [--swaps=N] [--warmup-ms=W] "
                    + "[--pause-ms=M]",
            "  runs the web app as child JVMs behind a real HAProxy (/usr/sbin/haproxy) on 127.0.0.1:P and swaps",
            "  it N times, the first after W ms and then every M ms; serves until SIGTERM/SIGINT.",
            "  --port       HAProxy's frontend port (default 8080)",
            "  --swaps      swaps (default 5)",
            "  --warmup-ms  wait before the first swap (default 3000)",
            "  --pause-ms   wait between swaps (default 1000)",
            "  used by examples/scripts/external-check.sh");

    private HaproxyChildren() {
    }

    /**
     * @param args the options after the command
     * @param out  standard output
     * @param err  standard error
     * @return the exit status: 0 when every swap committed, 1 when one did not, 2 for bad options
     */
    public static int run(String[] args, PrintStream out, PrintStream err) {
        int port = 8080;
        int swaps = 5;
        long warmupMillis = 3000;
        long pauseMillis = 1000;
        for (String arg : args) {
            try {
                if (arg.equals("--child")) {
                    return child(err);
                } else if (arg.equals("--help") || arg.equals("-h")) {
                    out.println(USAGE);
                    return 0;
                } else if (arg.startsWith("--port=")) {
                    port = BoundedInt.parse("port", arg, 1, 65535);
                } else if (arg.startsWith("--swaps=")) {
                    swaps = BoundedInt.parse("swaps", arg, 0, 1000);
                } else if (arg.startsWith("--warmup-ms=")) {
                    warmupMillis = BoundedInt.parse("warmup-ms", arg, 0, 600_000);
                } else if (arg.startsWith("--pause-ms=")) {
                    pauseMillis = BoundedInt.parse("pause-ms", arg, 0, 600_000);
                } else {
                    throw new IllegalArgumentException("unknown option " + arg + " (see --help)");
                }
            } catch (IllegalArgumentException e) {
                err.println(e.getMessage());
                return 2;
            }
        }
        try {
            return parent(port, swaps, warmupMillis, pauseMillis, out);
        } catch (Exception e) {
            err.println("haproxy-children failed: " + e);
            return 1;
        }
    }

    private static int parent(int port, int swaps, long warmupMillis, long pauseMillis, PrintStream out)
            throws Exception {
        List<SwapResult> results = new ArrayList<>();
        CountDownLatch stop = new CountDownLatch(1);
        CountDownLatch stopped = new CountDownLatch(1);
        ChildrenBehindHaproxy web = ChildrenBehindHaproxy.start(HaproxyProcess.builder().frontendPort(port),
                ChildProcessLauncher.builder()
                        .jar(ownJar())
                        .jvmOptions("-Xmx128m", "-XX:TieredStopAtLevel=1", "-XX:+UseSerialGC")
                        .arguments("haproxy-children", "--child"),
                (launcher, router) -> Orchestrator.builder("web", launcher, router)
                        .readyTimeout(Duration.ofSeconds(60))
                        .detachTimeout(Duration.ofSeconds(20))
                        .drainTimeout(Duration.ofSeconds(20))
                        .build());
        Orchestrator orchestrator = web.orchestrator();
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            stop.countDown();
            orchestrator.close();
            orchestrator.instances().forEach(instance -> {
                try {
                    instance.destroy().toCompletableFuture().get(15, TimeUnit.SECONDS);
                } catch (Exception e) {
                    out.println("could not stop instance " + instance.id() + ": " + e);
                }
            });
            web.close();
            long committed;
            synchronized (results) {
                committed = results.stream().filter(r -> r.outcome() == SwapOutcome.COMMITTED).count();
                out.printf("RESULT haproxy-children swaps=%d committed=%d%n", results.size(), committed);
            }
            out.flush();
            stopped.countDown();
        }, "haproxy-children-stop"));
        orchestrator.start(1).toCompletableFuture().get(90, TimeUnit.SECONDS);
        out.printf("READY port=%d haproxy-pid=%d instance=%s%n", web.haproxy().frontendPort(), web.haproxy().pid(),
                orchestrator.instances().get(0).id());
        out.flush();
        boolean allCommitted = true;
        if (!stop.await(warmupMillis, TimeUnit.MILLISECONDS)) {
            for (int swap = 1; swap <= swaps; swap++) {
                SwapResult result = orchestrator.swap(Plan.oneForOne()).toCompletableFuture()
                        .get(120, TimeUnit.SECONDS);
                synchronized (results) {
                    results.add(result);
                }
                allCommitted &= result.outcome() == SwapOutcome.COMMITTED;
                out.println(web.swapLine(swap, swaps, result));
                out.flush();
                if (swap < swaps && stop.await(pauseMillis, TimeUnit.MILLISECONDS)) {
                    break;
                }
            }
        }
        out.println("SWAPS DONE");
        out.flush();
        // Serve until SIGTERM/SIGINT: the shutdown hook stops everything and prints the RESULT line.
        stop.await();
        stopped.await(60, TimeUnit.SECONDS);
        return allCommitted ? 0 : 1;
    }

    private static Path ownJar() throws URISyntaxException {
        Path location = Path.of(HaproxyChildren.class.getProtectionDomain().getCodeSource().getLocation().toURI());
        if (!location.toString().endsWith(".jar")) {
            throw new IllegalStateException("haproxy-children runs its children from the examples jar, but runs "
                    + "from " + location + ": build it with mvn -pl examples -am package");
        }
        return location;
    }

    /** The child: the web app, answering every path with the instance that served it. */
    private static int child(PrintStream err) {
        String id = ChildAgent.instanceId().orElse("standalone");
        QueuedThreadPool threads = new QueuedThreadPool(64, 4);
        threads.setName("web-" + id);
        Server server = new Server(threads);
        server.setHandler(new Handler.Abstract() {
            @Override
            public boolean handle(Request request, Response response, Callback callback) {
                response.setStatus(200);
                response.getHeaders().put("X-Instance", id);
                response.getHeaders().put(HttpHeader.CONTENT_TYPE, "text/plain");
                response.write(true, ByteBuffer.wrap((id + "\n").getBytes(StandardCharsets.UTF_8)), callback);
                return true;
            }
        });
        try {
            ChildWebApp.builder(server).start();
            // The agent ends this JVM when the parent says EXIT or goes away; SIGTERM plays the termination.
            server.join();
            return 0;
        } catch (RuntimeException e) {
            err.println("child " + id + " could not start: " + e);
            return 1;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return 1;
        }
    }
}
