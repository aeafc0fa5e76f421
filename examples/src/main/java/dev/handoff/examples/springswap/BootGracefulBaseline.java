package dev.handoff.examples.springswap;

import dev.handoff.examples.Main;
import dev.handoff.examples.webswap.LoadGenerator;
import dev.handoff.jetty.haproxy.HaproxyRuntimeApi;
import dev.handoff.jetty.haproxy.ServerAdminState;
import dev.handoff.jetty.haproxy.ServerStat;
import dev.handoff.test.haproxy.HaproxyProcess;
import dev.handoff.test.rabbitmq.RabbitNode;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.PrintStream;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.URISyntaxException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;

/**
 * {@code spring-swap --baseline}: the same sample application, load and jobs, swapped the way Boot's own graceful
 * shutdown is used behind a balancer, without handoff ({@code handoff.enabled=false}): start the new instance, add it
 * to HAProxy with health checks (the setup: {@code option httpchk GET /actuator/health/readiness},
 * {@code http-check expect status 200}, every second: {@code check inter 1s}; {@code retries 0}, so no redispatch)
 * and wait until HAProxy sends it traffic, then SIGTERM the old one
 * (Boot's graceful shutdown: {@code server.shutdown=graceful}, 30 s per phase) and remove it from HAProxy once it
 * has exited. Prints {@code RESULT spring server=S swaps=N ... mode=boot-graceful}. Not thread-safe.
 */
final class BootGracefulBaseline {

    private static final Duration READY_TIMEOUT = Duration.ofSeconds(120);
    private static final Duration EXIT_TIMEOUT = Duration.ofSeconds(60);
    private static final String READINESS = "/actuator/health/readiness";
    /** What the baseline's HAProxy does, printed with its results. */
    static final String SETUP = "HAProxy checks GET " + READINESS + " every 1 s (expect status 200), retries 0 "
            + "(no redispatch); new instance UP in HAProxy before the old one gets SIGTERM";

    private BootGracefulBaseline() {
    }

    /** @return whether every swap was made (failures and losses are the baseline's to show, not an error) */
    static boolean run(String server, int swaps, int clients, int jobsPerSecond, RabbitNode node, Path folder,
                       PrintStream out) throws Exception {
        long started = System.nanoTime();
        Path log = folder.resolve("baseline-" + server + ".log");
        int made = 0;
        Tally tally;
        out.printf("%s (boot-graceful): setup: %s%n", server, SETUP);
        try (HaproxyProcess haproxy = HaproxyProcess.builder().httpCheck(READINESS).retries(0).start();
             JobFlow jobFlow = new JobFlow(node.connectionFactory(), "baseline-" + server, jobsPerSecond)) {
            HaproxyRuntimeApi api = HaproxyRuntimeApi.create(haproxy.adminSocket(), Duration.ofSeconds(2));
            String backend = haproxy.backend();
            Child current = Child.start(server, "boot-1", node, log);
            try {
                current.awaitReady();
                admit(api, backend, current);
                jobFlow.start();
                LoadGenerator load = new LoadGenerator(haproxy.frontendAddress(), clients, 42);
                load.start();
                try {
                    for (int swap = 1; swap <= swaps; swap++) {
                        long swapStart = System.nanoTime();
                        Child next = Child.start(server, "boot-" + (swap + 1), node, log);
                        next.awaitReady();
                        admit(api, backend, next);
                        Child old = current;
                        current = next;
                        old.process.destroy(); // SIGTERM: Boot's graceful shutdown
                        if (!old.process.waitFor(EXIT_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS)) {
                            old.process.destroyForcibly();
                        }
                        remove(api, backend, old);
                        made++;
                        out.printf("%s (boot-graceful): swap %d/%d in %d ms, old one exited with %d%n", server, swap,
                                swaps, TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - swapStart),
                                old.process.exitValue());
                        out.flush();
                    }
                } finally {
                    load.stop();
                    jobFlow.stopPublishing();
                }
                tally = Tally.count(load.records(), jobFlow, server + " (boot-graceful)", out);
            } finally {
                current.process.destroyForcibly();
            }
        }
        tally.printFailures(server + " (boot-graceful)", out);
        out.printf("%s (boot-graceful): %d of %d swaps in %.1f s%n", server, made, swaps,
                (System.nanoTime() - started) / 1e9);
        out.println(tally.resultLine(server, made) + " mode=boot-graceful");
        out.flush();
        return made == swaps;
    }

    /** Adds the instance to HAProxy with health checks and waits until HAProxy sends it traffic. */
    private static void admit(HaproxyRuntimeApi api, String backend, Child child) {
        // HaproxyRuntimeApi.addServer has no check interval: the command is sent as is
        String answer = api.execute("add server " + backend + "/" + child.name + " "
                + child.address.getAddress().getHostAddress() + ":" + child.address.getPort() + " check inter 1s");
        if (!answer.contains("New server registered")) {
            throw new IllegalStateException("HAProxy refused to add " + child.name + ": " + answer.strip());
        }
        api.enableServer(backend, child.name);
        api.enableHealth(backend, child.name);
        long deadline = System.nanoTime() + READY_TIMEOUT.toNanos();
        while (true) {
            Optional<ServerStat> stat = api.serverStat(backend, child.name);
            if (stat.isPresent() && stat.get().isTakingTraffic()) {
                return;
            }
            if (System.nanoTime() - deadline > 0) {
                throw new IllegalStateException("HAProxy did not send traffic to " + child.name + ": " + stat);
            }
            LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(50));
        }
    }

    private static void remove(HaproxyRuntimeApi api, String backend, Child child) {
        api.setServerState(backend, child.name, ServerAdminState.MAINT);
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (!api.deleteServer(backend, child.name) && System.nanoTime() - deadline < 0) {
            LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(50));
        }
    }

    /** A sample application started without handoff. */
    private static final class Child {
        final String name;
        final Process process;
        final InetSocketAddress address;

        private Child(String name, Process process, InetSocketAddress address) {
            this.name = name;
            this.process = process;
            this.address = address;
        }

        static Child start(String server, String name, RabbitNode node, Path log)
                throws IOException, URISyntaxException {
            int port = freePort();
            List<String> command = new ArrayList<>(List.of(
                    Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                    "-Xmx192m", "-XX:TieredStopAtLevel=1", "-XX:+UseSerialGC", "-XX:ActiveProcessorCount=2"));
            Path location = Path.of(Main.class.getProtectionDomain().getCodeSource().getLocation().toURI());
            if (location.toString().endsWith(".jar")) {
                command.addAll(List.of("-jar", location.toString()));
            } else {
                command.addAll(List.of("-cp", System.getProperty("java.class.path"), Main.class.getName()));
            }
            command.addAll(List.of("spring-sample", "--sample.server=" + server, "--server.port=" + port,
                    "--server.address=127.0.0.1", "--spring.main.banner-mode=off", "--handoff.enabled=false",
                    "--spring.rabbitmq.host=127.0.0.1", "--spring.rabbitmq.port=" + node.port(),
                    "--spring.rabbitmq.listener.simple.prefetch=20",
                    "--management.endpoints.web.exposure.include=health",
                    "--management.endpoint.health.probes.enabled=true"));
            ProcessBuilder builder = new ProcessBuilder(command).redirectErrorStream(true)
                    .redirectOutput(ProcessBuilder.Redirect.appendTo(log.toFile()));
            builder.environment().put("HANDOFF_INSTANCE_ID", name);
            return new Child(name, builder.start(), new InetSocketAddress(InetAddress.getLoopbackAddress(), port));
        }

        void awaitReady() {
            long deadline = System.nanoTime() + READY_TIMEOUT.toNanos();
            while (probe() != 200) {
                if (!process.isAlive()) {
                    throw new IllegalStateException(name + " exited with " + process.exitValue() + " at start-up");
                }
                if (System.nanoTime() - deadline > 0) {
                    throw new IllegalStateException(name + " not ready within " + READY_TIMEOUT);
                }
                LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(100));
            }
        }

        private int probe() {
            try (Socket socket = new Socket(address.getAddress(), address.getPort())) {
                socket.setSoTimeout(2_000);
                OutputStream out = socket.getOutputStream();
                out.write(("GET /actuator/health/readiness HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n")
                        .getBytes(StandardCharsets.US_ASCII));
                out.flush();
                InputStream in = socket.getInputStream();
                byte[] head = in.readNBytes(12);
                String status = new String(head, StandardCharsets.US_ASCII);
                return status.startsWith("HTTP/1.1 ") ? Integer.parseInt(status.substring(9, 12)) : -1;
            } catch (IOException | NumberFormatException e) {
                return -1;
            }
        }

        private static int freePort() {
            try (ServerSocket socket = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
                return socket.getLocalPort();
            } catch (IOException e) {
                throw new UncheckedIOException("no free loopback port", e);
            }
        }
    }
}
