package dev.handoff.jetty;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.handoff.api.Plan;
import dev.handoff.api.SwapOutcome;
import dev.handoff.api.SwapResult;
import dev.handoff.api.SwapStep;
import dev.handoff.api.event.SwapEvent;
import dev.handoff.api.event.SwapListener;
import dev.handoff.api.VerificationGate;
import dev.handoff.api.Lifecycle;
import dev.handoff.api.spi.Launcher;
import dev.handoff.api.spi.Router;
import dev.handoff.core.Orchestrator;

import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;

import org.eclipse.jetty.server.Server;
import org.eclipse.jetty.server.ServerConnector;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The swap contract under real load through one router, driven by the {@link Orchestrator}: real sockets, real
 * clients that never retry, in-process Jetty servers. Subclasses give the router and its public address.
 */
abstract class AbstractRouterSwapTest {

    /** How the next server the launcher builds behaves. */
    enum Kind { HEALTHY, BIND_FAILS, NEVER_READY }

    private static final int SWAPS = 5;

    final Map<String, TestApp> apps = new ConcurrentHashMap<>();
    final List<Lifecycle> launched = new CopyOnWriteArrayList<>();
    final List<SwapEvent> events = new CopyOnWriteArrayList<>();
    volatile Kind nextKind = Kind.HEALTHY;
    Router router;
    Orchestrator orchestrator;
    LoadClients clients;

    /** @return a started router */
    abstract Router newRouter() throws Exception;

    /** @return the public base URI, e.g. {@code http://127.0.0.1:1234} */
    abstract String publicUri();

    /** @return the public port (the one a bad server tries to bind) */
    abstract int publicPort();

    abstract void closeRouter() throws Exception;

    @BeforeEach
    void setUp() throws Exception {
        router = newRouter();
        clients = new LoadClients(publicUri(), 16);
    }

    /** Builds the orchestrator and starts the group's first instance; returns its id. */
    String startGroup(Duration readyTimeout, Duration drainTimeout) throws Exception {
        JettyLauncher jetty = JettyLauncher.builder(this::newServer).build();
        Launcher recording = id -> jetty.launch(id).thenApply(instance -> {
            launched.add(instance);
            return instance;
        });
        orchestrator = Orchestrator.builder("web", recording, router)
                .readyTimeout(readyTimeout)
                .drainTimeout(drainTimeout)
                .listener(new SwapListener() {
                    @Override
                    public void onStep(SwapEvent event) {
                        events.add(event);
                    }
                })
                .build();
        SwapResult started = orchestrator.start(1).toCompletableFuture().get(30, TimeUnit.SECONDS);
        return started.launched().get(0);
    }

    /** @return the event that completed {@code step} of {@code instanceId}, or null while it has not */
    SwapEvent ended(SwapStep step, String instanceId) {
        return events.stream().filter(event -> event.step() == step && event.instanceId().equals(instanceId)
                && event.phase() == SwapEvent.Phase.COMPLETED).findFirst().orElse(null);
    }

    String startGroup() throws Exception {
        return startGroup(Duration.ofSeconds(10), Duration.ofSeconds(10));
    }

    SwapResult swap() throws Exception {
        return orchestrator.swap(Plan.oneForOne()).toCompletableFuture().get(60, TimeUnit.SECONDS);
    }

    String currentInstance() {
        return orchestrator.instances().get(0).id();
    }

    private Server newServer(String id) {
        TestApp app = apps.computeIfAbsent(id, TestApp::new);
        Server server = TestApp.server(app);
        if (nextKind == Kind.BIND_FAILS) {
            ServerConnector taken = new ServerConnector(server, 0, 1);
            taken.setHost("127.0.0.1");
            taken.setPort(publicPort());
            server.addConnector(taken);
        } else if (nextKind == Kind.NEVER_READY) {
            JettyHandoff.builder(server).id(id).readyOnStart(false).install();
        }
        return server;
    }

    @AfterEach
    void tearDown() throws Exception {
        apps.values().forEach(TestApp::releaseHeld);
        clients.close();
        if (orchestrator != null) {
            orchestrator.close();
        }
        for (Lifecycle instance : launched) {
            instance.destroy().toCompletableFuture().get(30, TimeUnit.SECONDS);
        }
        closeRouter();
    }

    @Test
    void swapsUnderLoadFailNoRequestAndKeepAliveClientsEndOnTheNewInstance() throws Exception {
        String first = startGroup();
        clients.start(6, 100_000);
        await().atMost(Duration.ofSeconds(30)).until(() -> clients.served(first) >= 50);
        for (int swap = 0; swap < SWAPS; swap++) {
            SwapResult result = swap();
            assertThat(result.outcome()).isEqualTo(SwapOutcome.COMMITTED);
            String current = currentInstance();
            await().atMost(Duration.ofSeconds(30)).until(() -> clients.served(current) >= 100);
        }
        clients.stopAndJoin();

        System.out.printf("%s: swaps=" + SWAPS + " requests=%d failed=%d served=%s%n", getClass().getSimpleName(),
                clients.total.get(), clients.failures.size(), clients.servedBy);
        assertThat(clients.failures).isEmpty();
        assertThat(clients.succeeded.sum()).isEqualTo(clients.total.get());
        assertThat(clients.servedBy).hasSize(SWAPS + 1);
        String last = currentInstance();
        for (int request = 0; request < 20; request++) {
            assertThat(clients.send("/fast")).isEqualTo(last);
        }
        assertThat(clients.failures).isEmpty();
    }

    /**
     * Also what the step timings mean, the same on every router: step 4 ({@code DETACH}) ends once the old instance
     * is out of the rotation, while a request it had still runs; steps 5 and 6 (the drain) end only after it.
     */
    @Test
    void aLongRequestInFlightAtSwapTimeCompletesOnTheOldInstanceWithinTheDrainSteps() throws Exception {
        String old = startGroup();
        CompletableFuture<String> longRequest = CompletableFuture.supplyAsync(() -> clients.send("/hold"));
        assertThat(apps.get(old).held.await(10, TimeUnit.SECONDS)).isTrue();
        clients.start(4, 100_000);

        CompletableFuture<SwapResult> swap = orchestrator.swap(Plan.oneForOne()).toCompletableFuture();
        await().atMost(Duration.ofSeconds(20)).until(() -> !currentInstance().equals(old));
        String fresh = currentInstance();
        await().atMost(Duration.ofSeconds(20)).until(() -> clients.served(fresh) >= 50);
        await().atMost(Duration.ofSeconds(20)).until(() -> ended(SwapStep.DETACH, old) != null);
        assertThat(swap).isNotDone();
        assertThat(ended(SwapStep.AWAIT_DRAINED, old)).as("the drain holds the running request").isNull();
        assertThat(launched.get(0).inFlight()).isEqualTo(1);
        apps.get(old).releaseHeld();

        assertThat(longRequest.get(10, TimeUnit.SECONDS)).isEqualTo(old);
        assertThat(swap.get(30, TimeUnit.SECONDS).outcome()).isEqualTo(SwapOutcome.COMMITTED);
        clients.stopAndJoin();
        assertThat(clients.failures).isEmpty();
    }

    @Test
    void aNewServerThatCannotBindIsRolledBackAndTheOldOneServesOn() throws Exception {
        String old = startGroup();
        clients.start(4, 100_000);
        await().atMost(Duration.ofSeconds(10)).until(() -> clients.served(old) >= 50);
        nextKind = Kind.BIND_FAILS;

        SwapResult result = swap();

        assertThat(result.outcome()).isEqualTo(SwapOutcome.ROLLED_BACK);
        long before = clients.served(old);
        await().atMost(Duration.ofSeconds(10)).until(() -> clients.served(old) >= before + 50);
        clients.stopAndJoin();
        assertThat(clients.failures).isEmpty();
        assertThat(clients.servedBy.keySet()).containsExactly(old);
    }

    @Test
    void aNewServerThatNeverBecomesReadyIsRolledBackAndTheOldOneServesOn() throws Exception {
        String old = startGroup(Duration.ofMillis(500), Duration.ofSeconds(10));
        clients.start(4, 100_000);
        await().atMost(Duration.ofSeconds(10)).until(() -> clients.served(old) >= 50);
        nextKind = Kind.NEVER_READY;

        SwapResult result = swap();

        assertThat(result.outcome()).isEqualTo(SwapOutcome.ROLLED_BACK);
        long before = clients.served(old);
        await().atMost(Duration.ofSeconds(10)).until(() -> clients.served(old) >= before + 50);
        clients.stopAndJoin();
        assertThat(clients.failures).isEmpty();
        assertThat(clients.servedBy.keySet()).containsExactly(old);
    }

    @Test
    void aCanaryThatServedAndFailsVerificationIsRolledBackAndTheOldOneServesOn() throws Exception {
        String old = startGroup();
        clients.start(4, 100_000);
        AtomicBoolean canaryServed = new AtomicBoolean();
        VerificationGate servedThenRejected = canary -> CompletableFuture.supplyAsync(() -> {
            // A fresh connection each time: on a shared port only new connections reach the canary.
            for (int attempt = 0; attempt < 50 && !canaryServed.get(); attempt++) {
                try (RawHttpConnection probe = new RawHttpConnection(publicPort())) {
                    canaryServed.set(canary.equals(probe.get("/fast").header("X-Instance")));
                } catch (java.io.IOException e) {
                    throw new java.io.UncheckedIOException(e);
                }
            }
            return false;
        });

        SwapResult result = orchestrator.swap(Plan.canary(servedThenRejected)).toCompletableFuture()
                .get(60, TimeUnit.SECONDS);

        assertThat(result.outcome()).isEqualTo(SwapOutcome.ROLLED_BACK);
        assertThat(currentInstance()).isEqualTo(old);
        long before = clients.served(old);
        await().atMost(Duration.ofSeconds(10)).until(() -> clients.served(old) >= before + 50);
        clients.stopAndJoin();
        assertThat(clients.failures).isEmpty();
        assertThat(canaryServed).isTrue();
        for (int request = 0; request < 20; request++) {
            assertThat(clients.send("/fast")).isEqualTo(old);
        }
    }

    @Test
    void aRequestThatNeverEndsIsAbandonedAtTheDrainDeadlineAndTheSwapIsForced() throws Exception {
        String old = startGroup(Duration.ofSeconds(10), Duration.ofMillis(500));
        CompletableFuture<String> endless = CompletableFuture.supplyAsync(() -> clients.send("/never"));
        assertThat(apps.get(old).neverArrived.await(10, TimeUnit.SECONDS)).isTrue();

        SwapResult result = swap();

        assertThat(result.outcome()).isEqualTo(SwapOutcome.FORCED);
        assertThat(result.abandoned()).isEqualTo(1);
        assertThat(endless.get(30, TimeUnit.SECONDS)).as("the abandoned request fails").isNull();
        assertThat(clients.send("/fast")).isEqualTo(currentInstance());
    }
}
