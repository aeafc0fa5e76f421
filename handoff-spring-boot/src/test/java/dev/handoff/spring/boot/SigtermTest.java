package dev.handoff.spring.boot;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * SIGTERM to a real Boot child JVM (Tomcat) under load from clients that never retry, with one budget: grace period
 * 8 s = propagation delay 1 s + drain 4 s + close 2 s + margin 1 s. The clients stop sending once the readiness
 * probe says 503, as a balancer would. A clean drain exits 0 with no request failed; a request that never ends is
 * listed by name at the deadline and the exit status is 1.
 */
class SigtermTest {

    @TempDir
    Path folder;

    private Process child;

    @AfterEach
    void killChild() {
        if (child != null && child.isAlive()) {
            child.destroyForcibly();
        }
    }

    private int startChild(String id) throws IOException {
        ProcessBuilder builder = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-Xmx192m", "-XX:TieredStopAtLevel=1", "-XX:+UseSerialGC",
                "-cp", System.getProperty("java.class.path"), SigtermTestApp.class.getName(),
                "--server.port=0", "--server.address=127.0.0.1", "--spring.main.banner-mode=off",
                "--management.endpoints.web.exposure.include=health",
                "--handoff.termination.grace-period=8s", "--handoff.termination.propagation-delay=1s",
                "--handoff.termination.close-budget=2s", "--handoff.termination.margin=1s");
        builder.environment().put("HANDOFF_PORT_FOLDER", folder.toString());
        builder.environment().put("HANDOFF_INSTANCE_ID", id);
        builder.redirectErrorStream(true).redirectOutput(folder.resolve(id + ".log").toFile());
        child = builder.start();
        Path portFile = folder.resolve(id + ".port");
        await().atMost(Duration.ofSeconds(60)).until(() -> Files.exists(portFile) || !child.isAlive());
        assertThat(child.isAlive()).as("child started; log: %s", log(id)).isTrue();
        String address = Files.readString(portFile).strip();
        int port = Integer.parseInt(address.substring(address.lastIndexOf(':') + 1));
        await().atMost(Duration.ofSeconds(30)).until(() -> probe(port) == 200);
        return port;
    }

    private String log(String id) throws IOException {
        Path file = folder.resolve(id + ".log");
        return Files.exists(file) ? Files.readString(file, StandardCharsets.UTF_8) : "";
    }

    private static int probe(int port) {
        try (RawHttp client = new RawHttp(port)) {
            return client.get("/actuator/health/readiness").status();
        } catch (IOException e) {
            return -1;
        }
    }

    @Test
    void sigtermUnderLoadDrainsWithNoFailedRequestAndExitsZero() throws Exception {
        int port = startChild("boot-sigterm");
        AtomicBoolean routed = new AtomicBoolean(true);
        AtomicInteger succeeded = new AtomicInteger();
        ConcurrentLinkedQueue<String> failures = new ConcurrentLinkedQueue<>();
        List<CompletableFuture<Void>> clients = new ArrayList<>();
        for (int c = 0; c < 4; c++) {
            clients.add(CompletableFuture.runAsync(() -> load(port, routed, succeeded, failures)));
        }
        await().atMost(Duration.ofSeconds(20)).until(() -> succeeded.get() >= 200);

        child.destroy(); // SIGTERM
        // the balancer: takes the instance out when its readiness probe fails
        await().atMost(Duration.ofSeconds(5)).until(() -> probe(port) == 503);
        routed.set(false);
        CompletableFuture.allOf(clients.toArray(CompletableFuture[]::new)).get(20, TimeUnit.SECONDS);

        assertThat(child.waitFor(15, TimeUnit.SECONDS)).isTrue();
        String log = log("boot-sigterm");
        assertThat(child.exitValue()).as(log).isZero();
        assertThat(failures).as(log).isEmpty();
        assertThat(succeeded.get()).isGreaterThanOrEqualTo(200);
        assertThat(log).contains("termination: drained");
    }

    @Test
    void aRequestThatNeverEndsIsListedByNameAtTheDeadlineAndTheExitStatusIsOne() throws Exception {
        int port = startChild("boot-hang");
        RawHttp hanging = new RawHttp(port);
        hanging.send("/hang");
        await().atMost(Duration.ofSeconds(10)).until(() -> log("boot-hang").contains("DispatcherServlet")
                && log("boot-hang").contains("Completed initialization"));

        child.destroy(); // SIGTERM

        assertThat(child.waitFor(20, TimeUnit.SECONDS)).isTrue();
        String log = log("boot-hang");
        assertThat(child.exitValue()).as(log).isEqualTo(1);
        assertThat(log).contains("abandoning web GET /hang x1");
        // The documented outcome of a deadline, not a failure of the starter: no "close hook ... failed" and trace
        assertThat(log).doesNotContain("close hook abandoned work failed", "IllegalStateException");
        hanging.close();
    }

    private static void load(int port, AtomicBoolean routed, AtomicInteger succeeded,
                             ConcurrentLinkedQueue<String> failures) {
        RawHttp client = null;
        try {
            while (routed.get()) {
                if (client == null) {
                    client = new RawHttp(port);
                }
                RawHttp.Response response = client.get("/hello");
                if (response.status() != 200) {
                    failures.add("status " + response.status());
                } else {
                    succeeded.incrementAndGet();
                }
                if (response.closes()) {
                    client.close();
                    client = null;
                }
            }
        } catch (IOException e) {
            failures.add(e.toString());
        } finally {
            if (client != null) {
                try {
                    client.close();
                } catch (IOException e) {
                    failures.add("close: " + e);
                }
            }
        }
    }
}
