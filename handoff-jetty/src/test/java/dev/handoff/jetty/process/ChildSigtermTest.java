package dev.handoff.jetty.process;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.handoff.api.LifecycleState;
import dev.handoff.core.process.ChildProcessInstance;
import dev.handoff.test.haproxy.HaproxyProcess;
import dev.handoff.jetty.haproxy.HaproxyRouter;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * The platform orchestrates (as Kubernetes does in a rolling update): a new child is attached to haproxy first;
 * then the old child gets a real SIGTERM while, at the same moment, haproxy is told to drain it (Kubernetes removes
 * a terminating pod's endpoint concurrently with the SIGTERM). The child plays steps 4 to 7 by itself
 * ({@link dev.handoff.core.process.GracefulTermination} through {@link ChildWebApp}) and no request fails.
 */
class ChildSigtermTest {

    private static final Duration WAIT = Duration.ofSeconds(30);

    private HaproxyProcess haproxy;
    private Children children;
    private HaproxyRouter router;
    private ProcessLoad load;

    @AfterEach
    void stopEverything() throws Exception {
        if (load != null) {
            load.close();
        }
        if (children != null) {
            children.close();
        }
        if (router != null) {
            router.close();
        }
        if (haproxy != null) {
            haproxy.close();
        }
    }

    @Test
    void aChildTerminatedBySigtermUnderLoadFailsNoRequestAndExitsZero() throws Exception {
        // given an old child behind haproxy under load, and a new child attached beside it
        haproxy = HaproxyProcess.builder().start();
        children = new Children("ChildSigtermTest", "--propagation-ms=3000", "--drain-budget-ms=10000");
        router = HaproxyRouter.builder(haproxy.adminSocket(), haproxy.backend())
                .addressOf(children.ports.addressOf())
                .sessionWaitTimeout(Duration.ofSeconds(10))
                .build();
        ChildProcessInstance old = children.start("old");
        router.attach(old).toCompletableFuture().get(30, TimeUnit.SECONDS);
        load = new ProcessLoad(haproxy.frontendPort(), 6).keepAlive(6);
        await().atMost(WAIT).until(() -> load.served("old") >= 100);
        ChildProcessInstance fresh = children.start("new");
        router.attach(fresh).toCompletableFuture().get(30, TimeUnit.SECONDS);
        await().atMost(WAIT).until(() -> load.served("new") >= 50);

        // when the old child gets SIGTERM and haproxy is told to drain it, at the same time
        assertThat(old.processHandle().destroy()).as("SIGTERM sent").isTrue();
        CompletableFuture<Void> detached = router.detach(old).toCompletableFuture();

        // then its readiness fails at once, while it still serves requests that reach it (propagation delay)
        await().atMost(WAIT).until(() -> old.status().toCompletableFuture().get(5, TimeUnit.SECONDS).state()
                == LifecycleState.DRAINING);
        String direct = "http://" + children.ports.address(old).getHostString() + ":"
                + children.ports.address(old).getPort();
        HttpClient plain = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
                .connectTimeout(Duration.ofSeconds(5)).build();
        HttpResponse<String> readiness = plain.send(HttpRequest.newBuilder(URI.create(direct + "/ready"))
                .timeout(Duration.ofSeconds(5)).build(), HttpResponse.BodyHandlers.ofString());
        assertThat(readiness.statusCode()).isEqualTo(503);
        HttpResponse<String> served = plain.send(HttpRequest.newBuilder(URI.create(direct + "/fast"))
                .timeout(Duration.ofSeconds(5)).build(), HttpResponse.BodyHandlers.ofString());
        assertThat(served.statusCode()).isEqualTo(200);
        assertThat(served.body()).isEqualTo("old");

        // and it drains and exits 0, haproxy has let it go, and the clients moved to the new child
        assertThat(old.onExit().toCompletableFuture().get(30, TimeUnit.SECONDS)).isZero();
        detached.get(30, TimeUnit.SECONDS);
        router.settled(old).toCompletableFuture().get(30, TimeUnit.SECONDS);
        long before = load.served("new");
        await().atMost(WAIT).until(() -> load.served("new") >= before + 100);
        load.stopAndJoin();
        System.out.printf("ChildSigtermTest: requests=%d failed=%d served=%s%n", load.total.sum(),
                load.failures.size(), load.servedBy);
        assertThat(load.failures).isEmpty();
        assertThat(fresh.processHandle().isAlive()).isTrue();
    }
}
