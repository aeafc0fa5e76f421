package dev.handoff.jetty;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.handoff.api.Lifecycle;
import dev.handoff.test.sim.SimulatedInstance;
import dev.handoff.test.sim.VirtualClock;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * The router forgets an instance once it is detached and its requests have settled. Regression: it kept an entry
 * for every detached instance forever (220 after 220 swaps).
 */
class ProxyRouterPruneTest {

    private static final int SWAPS = 50;

    @Test
    void givenManySwaps_whenEachOldInstanceIsDetached_thenTheRouterHoldsNoneOfThem() throws Exception {
        VirtualClock clock = new VirtualClock();
        try (RawHttpBackend backend = new RawHttpBackend();
             ProxyRouter proxy = ProxyRouter.builder().addressOf(instance -> backend.address()).build().start();
             RawHttpConnection client = new RawHttpConnection(proxy.port())) {
            Lifecycle current = SimulatedInstance.running("web-0", clock);
            proxy.attach(current).toCompletableFuture().get(10, TimeUnit.SECONDS);

            for (int i = 1; i <= SWAPS; i++) {
                assertThat(client.get("/fast").status()).isEqualTo(200);
                Lifecycle next = SimulatedInstance.running("web-" + i, clock);
                proxy.attach(next).toCompletableFuture().get(10, TimeUnit.SECONDS);
                proxy.detach(current).toCompletableFuture().get(10, TimeUnit.SECONDS);
                proxy.settled(current).toCompletableFuture().get(10, TimeUnit.SECONDS);
                current = next;
            }

            assertThat(proxy.attached()).containsExactly("web-" + SWAPS);
            assertThat(proxy.detachedBackendsHeld()).as("detached instances the router still holds").isZero();
        }
    }

    @Test
    void aDetachedInstanceIsHeldUntilItsLastRequestEnds() throws Exception {
        TestApp app = new TestApp("old-1");
        JettyLauncher launcher = JettyLauncher.builder(id -> TestApp.server(app)).build();
        Lifecycle instance = launcher.launch("old-1").toCompletableFuture().get(30, TimeUnit.SECONDS);
        try (ProxyRouter proxy = ProxyRouter.builder().detachSettleTimeout(Duration.ofMillis(200)).build().start();
             RawHttpConnection client = new RawHttpConnection(proxy.port())) {
            instance.whenReady().toCompletableFuture().get(30, TimeUnit.SECONDS);
            proxy.attach(instance).toCompletableFuture().get(10, TimeUnit.SECONDS);
            CompletableFuture<Integer> held = CompletableFuture.supplyAsync(() -> {
                try {
                    return client.get("/hold").status();
                } catch (java.io.IOException e) {
                    throw new java.io.UncheckedIOException(e);
                }
            });
            assertThat(app.held.await(10, TimeUnit.SECONDS)).isTrue();

            proxy.detach(instance).toCompletableFuture().get(10, TimeUnit.SECONDS);
            assertThat(proxy.detachedBackendsHeld()).as("held while its request runs").isEqualTo(1);
            app.releaseHeld();

            assertThat(held.get(10, TimeUnit.SECONDS)).isEqualTo(200);
            await().atMost(Duration.ofSeconds(10)).until(() -> proxy.detachedBackendsHeld() == 0);
        } finally {
            app.releaseHeld();
            instance.destroy().toCompletableFuture().get(30, TimeUnit.SECONDS);
        }
    }
}
