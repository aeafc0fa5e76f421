package dev.handoff.jetty.process;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.handoff.api.Plan;
import dev.handoff.api.SwapOutcome;
import dev.handoff.api.SwapResult;
import dev.handoff.core.Orchestrator;
import dev.handoff.core.process.ChildProcessInstance;

import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.StandardSocketOptions;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * Child JVMs sharing one port with SO_REUSEPORT ({@link ReusePortRouter}), swapped by the {@link Orchestrator}
 * under load from keep-alive clients and from clients that open a connection per request. What the mechanism
 * guarantees, and what this test asserts: the port never stops listening (no connection is ever refused), and every
 * response that starts is complete (the only failures allowed are connections lost before any byte of response:
 * connections Linux resets in a closing listener's accept queue; {@link ChildWebApp} narrows that window to almost
 * nothing, see {@code docs/shared-port.md}, but cannot close it while {@code net.ipv4.tcp_migrate_req} is 0). Set {@code -Dhandoff.reuseport.swaps=N} to measure over more swaps.
 */
class ChildReusePortSwapTest {

    private static final Duration WAIT = Duration.ofSeconds(30);
    private static final int SWAPS = Integer.getInteger("handoff.reuseport.swaps", 3);

    private Socket portReservation;
    private Children children;
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
        if (portReservation != null) {
            portReservation.close();
        }
    }

    /** Holds a free port without listening on it: bound with SO_REUSEPORT, so the children can bind it too. */
    private int reservePort() throws Exception {
        portReservation = new Socket();
        portReservation.setOption(StandardSocketOptions.SO_REUSEPORT, true);
        portReservation.bind(new InetSocketAddress("127.0.0.1", 0));
        return portReservation.getLocalPort();
    }

    @Test
    void childProcessesSharingAPortAreSwappedAndThePortNeverStopsListening() throws Exception {
        // given one child listening on the shared port, under load
        int port = reservePort();
        children = new Children("ChildReusePortSwapTest", "--port=" + port, "--reuse-port");
        ReusePortRouter router = new ReusePortRouter(port, children.ports::address);
        orchestrator = Orchestrator.builder("web", children, router)
                .readyTimeout(WAIT)
                .drainTimeout(Duration.ofSeconds(20))
                .build();
        String first = orchestrator.start(1).toCompletableFuture().get(60, TimeUnit.SECONDS).launched().get(0);
        load = new ProcessLoad(port, 4).keepAlive(4).fresh(4);
        await().atMost(WAIT).until(() -> load.served(first) >= 100);

        // and a long request running on it
        ChildProcessInstance firstChild = children.byId(first);
        CompletableFuture<String> longRequest = CompletableFuture.supplyAsync(
                () -> load.sendOnFreshConnection("/slow?ms=2500"));
        await().atMost(WAIT).until(() -> firstChild.status().toCompletableFuture().get(5, TimeUnit.SECONDS)
                .inFlight() >= 1);

        // when it is swapped
        for (int swap = 1; swap <= SWAPS; swap++) {
            SwapResult result = orchestrator.swap(Plan.oneForOne()).toCompletableFuture().get(60, TimeUnit.SECONDS);
            assertThat(result.outcome()).as("swap %d: %s", swap, result).isEqualTo(SwapOutcome.COMMITTED);
            String current = orchestrator.instances().get(0).id();
            long before = load.served(current);
            await().atMost(WAIT).until(() -> load.served(current) >= before + 100);
            assertThat(router.isAttached(current)).isTrue();
        }

        // then the long request completed on the first child, and keep-alive clients end on the last one
        assertThat(longRequest.get(30, TimeUnit.SECONDS)).isEqualTo(first);
        String last = orchestrator.instances().get(0).id();
        for (int request = 0; request < 20; request++) {
            assertThat(load.send("/fast")).isEqualTo(last);
        }
        load.stopAndJoin();
        System.out.printf("ChildReusePortSwapTest: swaps=%d requests=%d fresh-connections=%d failed=%d %s "
                        + "served=%s%n", SWAPS, load.total.sum(), load.freshConnections.sum(), load.failures.size(),
                load.failuresByKind, load.servedBy);
        load.failures.forEach(failure -> System.out.println("  " + failure));
        // and the port never stopped listening: no connection was refused
        assertThat(load.failed(ProcessLoad.Kind.REFUSED)).isZero();
        // and every response that started was complete and a 200: the only failures the mechanism allows are
        // connections lost before any response (reset in a closing listener's accept queue)
        assertThat(load.failed(ProcessLoad.Kind.RESPONSE_CUT)).isZero();
        assertThat(load.failed(ProcessLoad.Kind.HTTP_ERROR)).isZero();
        assertThat(load.servedBy).hasSize(SWAPS + 1);
    }

    @Test
    void aChildLeavesThePortWhenToldToStopAcceptingAndListensAgainWhenReadmitted() throws Exception {
        // given a single child on the shared port
        int port = reservePort();
        children = new Children("ChildReusePortSwapTest-readmission", "--port=" + port, "--reuse-port");
        ChildProcessInstance child = children.start("only");
        load = new ProcessLoad(port, 1);
        assertThat(load.sendOnFreshConnection("/fast")).isEqualTo("only");

        // when it is told to stop accepting, its listener closes: with no other listener, connections are refused
        child.stopAccepting().toCompletableFuture().get(10, TimeUnit.SECONDS);
        assertThat(load.sendOnFreshConnection("/fast")).isNull();
        assertThat(load.failed(ProcessLoad.Kind.REFUSED)).isEqualTo(1);

        // and when it is re-admitted (a rollback), it binds the port again and serves new connections
        child.resumeAccepting().toCompletableFuture().get(10, TimeUnit.SECONDS);
        assertThat(load.sendOnFreshConnection("/fast")).isEqualTo("only");
        assertThat(load.failures).hasSize(1);
    }
}
