package dev.handoff.jetty.process;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.handoff.api.Plan;
import dev.handoff.api.SwapOutcome;
import dev.handoff.api.SwapResult;
import dev.handoff.core.Orchestrator;
import dev.handoff.core.process.ChildProcessInstance;
import dev.handoff.test.haproxy.HaproxyProcess;
import dev.handoff.jetty.haproxy.HaproxyRouter;

import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * Web servers in child JVMs ({@link WebChild} through {@link ChildWebApp}) swapped by the {@link Orchestrator}
 * behind a real haproxy through {@link HaproxyRouter}, which finds each child's port with {@link ChildPorts}.
 * Clients never retry.
 */
class ChildHaproxySwapTest {

    private static final Duration WAIT = Duration.ofSeconds(30);
    private static final int SWAPS = 3;

    private HaproxyProcess haproxy;
    private Children children;
    private HaproxyRouter router;
    private Orchestrator orchestrator;
    private ProcessLoad load;

    @AfterEach
    void stopEverything() throws Exception {
        if (load != null) {
            load.close();
        }
        if (orchestrator != null) {
            orchestrator.close();
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
    void childProcessesAreSwappedUnderLoadWithoutAFailedRequest() throws Exception {
        // given one child behind haproxy, under load from keep-alive clients
        haproxy = HaproxyProcess.builder().start();
        children = new Children("ChildHaproxySwapTest");
        router = HaproxyRouter.builder(haproxy.adminSocket(), haproxy.backend())
                .addressOf(children.ports.addressOf())
                .sessionWaitTimeout(Duration.ofSeconds(10))
                .build();
        orchestrator = Orchestrator.builder("web", children, router)
                .readyTimeout(WAIT)
                .detachTimeout(Duration.ofSeconds(20))
                .drainTimeout(Duration.ofSeconds(20))
                .build();
        String first = orchestrator.start(1).toCompletableFuture().get(60, TimeUnit.SECONDS).launched().get(0);
        load = new ProcessLoad(haproxy.frontendPort(), 6).keepAlive(6);
        await().atMost(WAIT).until(() -> load.served(first) >= 100);

        // and a long request running on it
        ChildProcessInstance firstChild = children.byId(first);
        CompletableFuture<String> longRequest = CompletableFuture.supplyAsync(() -> load.send("/slow?ms=2500"));
        await().atMost(WAIT).until(() -> firstChild.status().toCompletableFuture().get(5, TimeUnit.SECONDS)
                .inFlight() >= 1);

        // when it is swapped three times
        for (int swap = 1; swap <= SWAPS; swap++) {
            SwapResult result = orchestrator.swap(Plan.oneForOne()).toCompletableFuture().get(60, TimeUnit.SECONDS);
            assertThat(result.outcome()).as("swap %d: %s", swap, result).isEqualTo(SwapOutcome.COMMITTED);
            String current = orchestrator.instances().get(0).id();
            long before = load.served(current);
            await().atMost(WAIT).until(() -> load.served(current) >= before + 100);
        }

        // then the long request completed on the first child
        assertThat(longRequest.get(30, TimeUnit.SECONDS)).isEqualTo(first);
        // and keep-alive clients end on the last child
        String last = orchestrator.instances().get(0).id();
        for (int request = 0; request < 20; request++) {
            assertThat(load.send("/fast")).isEqualTo(last);
        }
        load.stopAndJoin();
        System.out.printf("ChildHaproxySwapTest: swaps=%d requests=%d failed=%d served=%s%n", SWAPS,
                load.total.sum(), load.failures.size(), load.servedBy);
        // and no request failed, every child served, and each old child exited
        assertThat(load.failures).isEmpty();
        assertThat(load.servedBy).hasSize(SWAPS + 1);
        List<ChildProcessInstance> retired = children.launched.stream().filter(child -> !child.id().equals(last))
                .toList();
        assertThat(retired).hasSize(SWAPS);
        for (ChildProcessInstance child : retired) {
            assertThat(child.onExit().toCompletableFuture().get(30, TimeUnit.SECONDS)).isZero();
        }
    }
}
