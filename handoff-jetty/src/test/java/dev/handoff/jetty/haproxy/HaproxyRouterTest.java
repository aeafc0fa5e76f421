package dev.handoff.jetty.haproxy;

import dev.handoff.test.haproxy.HaproxyProcess;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import dev.handoff.api.Plan;
import dev.handoff.api.SwapOutcome;
import dev.handoff.api.SwapResult;
import dev.handoff.api.SwapStep;
import dev.handoff.api.event.SwapEvent;
import dev.handoff.api.event.SwapListener;
import dev.handoff.api.Lifecycle;
import dev.handoff.core.Orchestrator;
import dev.handoff.jetty.JettyHandoff;
import dev.handoff.jetty.JettyLauncher;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import org.eclipse.jetty.client.CompletableResponseListener;
import org.eclipse.jetty.client.ContentResponse;
import org.eclipse.jetty.client.HttpClient;
import org.eclipse.jetty.http.HttpHeader;
import org.eclipse.jetty.server.Handler;
import org.eclipse.jetty.server.Request;
import org.eclipse.jetty.server.Response;
import org.eclipse.jetty.server.Server;
import org.eclipse.jetty.server.ServerConnector;
import org.eclipse.jetty.util.Callback;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The HAProxy router against a real haproxy, real Jetty instances launched by {@link JettyLauncher} on loopback
 * port 0 and swapped by the {@link Orchestrator}, and a real HTTP client (Jetty's, which never retries a failed
 * request).
 */
class HaproxyRouterTest {

    private static final Duration WAIT = Duration.ofSeconds(30);

    private final CountDownLatch held = new CountDownLatch(1);
    private final CountDownLatch release = new CountDownLatch(1);
    private final ConcurrentHashMap<String, AtomicLong> servedBy = new ConcurrentHashMap<>();
    private final List<Lifecycle> launched = new ArrayList<>();
    private final List<SwapEvent> events = new CopyOnWriteArrayList<>();
    private HaproxyProcess haproxy;
    private final AtomicBoolean nextLaunchFailsToBind = new AtomicBoolean();
    private final AtomicBoolean nextLaunchNeverReady = new AtomicBoolean();
    private final JettyLauncher launcher = JettyLauncher.builder(id -> {
        Server server = new Server();
        server.setHandler(new Application(id));
        if (nextLaunchFailsToBind.getAndSet(false)) {
            ServerConnector taken = new ServerConnector(server);
            taken.setHost("127.0.0.1");
            taken.setPort(haproxy.frontendPort());
            server.addConnector(taken);
        } else if (nextLaunchNeverReady.getAndSet(false)) {
            JettyHandoff.builder(server).id(id).readyOnStart(false).install();
        }
        return server;
    }).build();

    private HaproxyRouter router;
    private Orchestrator orchestrator;
    private HttpClient client;

    @BeforeEach
    void startHaproxy() throws Exception {
        haproxy = HaproxyProcess.builder().start();
        client = new HttpClient();
        client.setMaxConnectionsPerDestination(8);
        client.start();
    }

    @AfterEach
    void stopAll() throws Exception {
        release.countDown();
        client.stop();
        if (orchestrator != null) {
            orchestrator.close();
            launched.addAll(orchestrator.instances());
        }
        for (Lifecycle instance : launched) {
            instance.destroy().toCompletableFuture().get(30, TimeUnit.SECONDS);
        }
        if (router != null) {
            router.close();
        }
        haproxy.close();
    }

    private void startGroup(Duration sessionWaitTimeout) throws Exception {
        startGroup(sessionWaitTimeout, Duration.ofSeconds(30));
    }

    private void startGroup(Duration sessionWaitTimeout, Duration drainTimeout) throws Exception {
        router = HaproxyRouter.builder(haproxy.adminSocket(), haproxy.backend())
                .sessionWaitTimeout(sessionWaitTimeout)
                .build();
        orchestrator = Orchestrator.builder("web", launcher, router)
                .detachTimeout(sessionWaitTimeout.plusSeconds(10))
                .drainTimeout(drainTimeout)
                .readyTimeout(Duration.ofSeconds(2))
                .listener(new SwapListener() {
                    @Override
                    public void onStep(SwapEvent event) {
                        events.add(event);
                    }
                })
                .build();
        orchestrator.start(1).toCompletableFuture().get(30, TimeUnit.SECONDS);
    }

    /** @return the event that completed {@code step} of {@code instanceId}, or null while it has not */
    private SwapEvent ended(SwapStep step, String instanceId) {
        return events.stream().filter(event -> event.step() == step && event.instanceId().equals(instanceId)
                && event.phase() == SwapEvent.Phase.COMPLETED).findFirst().orElse(null);
    }

    private String currentId() {
        return orchestrator.instances().get(0).id();
    }

    private String url(String path) {
        return "http://127.0.0.1:" + haproxy.frontendPort() + path;
    }

    private Optional<ServerStat> stat(String server) {
        return HaproxyRuntimeApi.create(haproxy.adminSocket(), Duration.ofSeconds(2)).serverStat(haproxy.backend(), server);
    }

    private List<String> serversInHaproxy() {
        return HaproxyRuntimeApi.create(haproxy.adminSocket(), Duration.ofSeconds(2)).showStat(haproxy.backend()).stream()
                .map(ServerStat::server).toList();
    }

    /**
     * @return the backend's connection retries and redispatches so far ({@code wretr + wredis} of its BACKEND row):
     *     the generated configuration lets HAProxy retry a failed connection to another server, which would hide
     *     a connection refused by a retired instance from the clients; the tests require that it never had to
     */
    private long retriesAndRedispatches() {
        String csv = HaproxyRuntimeApi.create(haproxy.adminSocket(), Duration.ofSeconds(2)).execute("show stat " + haproxy.backend() + " 2 -1");
        String[] lines = csv.split("\n");
        List<String> header = List.of(lines[0].substring(2).split(",", -1));
        for (int i = 1; i < lines.length; i++) {
            List<String> row = List.of(lines[i].split(",", -1));
            if (row.size() > 1 && row.get(header.indexOf("svname")).equals("BACKEND")) {
                return Long.parseLong(row.get(header.indexOf("wretr")))
                        + Long.parseLong(row.get(header.indexOf("wredis")));
            }
        }
        throw new AssertionError("no BACKEND row in: " + csv);
    }

    private long served(String id) {
        return servedBy.computeIfAbsent(id, key -> new AtomicLong()).get();
    }

    @Test
    void aRouterOfARestartedOrchestratorAdoptsTheServersOfKeptInstancesAndRemovesTheOthers() throws Exception {
        // given two instances attached by one router (an orchestrator that then died)
        HaproxyRouter dead = HaproxyRouter.builder(haproxy.adminSocket(), haproxy.backend()).build();
        Lifecycle kept = launcher.launch("web-1").toCompletableFuture().get(30, TimeUnit.SECONDS);
        Lifecycle gone = launcher.launch("web-2").toCompletableFuture().get(30, TimeUnit.SECONDS);
        launched.add(kept);
        launched.add(gone);
        kept.whenReady().toCompletableFuture().get(30, TimeUnit.SECONDS);
        gone.whenReady().toCompletableFuture().get(30, TimeUnit.SECONDS);
        dead.attach(kept).toCompletableFuture().get(30, TimeUnit.SECONDS);
        dead.attach(gone).toCompletableFuture().get(30, TimeUnit.SECONDS);
        String keptServer = dead.serverName("web-1").orElseThrow();
        String goneServer = dead.serverName("web-2").orElseThrow();
        dead.close();

        // when a new router adopts the one kept and removes the others
        router = HaproxyRouter.builder(haproxy.adminSocket(), haproxy.backend()).build();
        Set<String> adopted = router.adoptAttached(List.of(kept)).toCompletableFuture().get(30, TimeUnit.SECONDS);
        router.detachOthers(Set.of("web-1")).toCompletableFuture().get(30, TimeUnit.SECONDS);

        // then the kept one's server is its own again, the other's is removed, and a later detach works
        assertThat(adopted).containsExactly("web-1");
        assertThat(router.serverName("web-1")).contains(keptServer);
        await().atMost(WAIT).until(() -> !serversInHaproxy().contains(goneServer));
        assertThat(serversInHaproxy()).containsExactly(keptServer);
        ContentResponse response = client.GET(url("/"));
        assertThat(response.getStatus()).isEqualTo(200);
        assertThat(response.getContentAsString()).contains("web-1");
        router.detach(kept).toCompletableFuture().get(30, TimeUnit.SECONDS);
        await().atMost(WAIT).until(() -> serversInHaproxy().isEmpty());
    }

    /**
     * A restarted orchestrator retires an instance whose server its dead predecessor had put in drain (so not adopted):
     * the removal of that route waits for the request still running on it, since the instance's intake closes next.
     */
    @Test
    void removingTheRoutesLeftBehindWaitsForTheRequestsStillRunningOnThem() throws Exception {
        // given an instance whose server a dead router put in drain with a request running on it
        HaproxyRouter dead = routerWaiting20s();
        Lifecycle retiring = launch("retiring");
        dead.attach(retiring).toCompletableFuture().get(20, TimeUnit.SECONDS);
        String server = dead.serverName("retiring").orElseThrow();
        CompletableFuture<ContentResponse> longRequest = holdARequest();
        dead.detach(retiring).toCompletableFuture().get(20, TimeUnit.SECONDS);
        dead.close();

        // when a new router removes every route but those it keeps (none)
        router = routerWaiting20s();
        assertThat(router.adoptAttached(List.of(retiring)).toCompletableFuture().get(20, TimeUnit.SECONDS))
                .as("in drain: not adopted").isEmpty();
        CompletableFuture<Void> removed = router.detachOthers(Set.of()).toCompletableFuture();

        // then that completes only once the request on the server ended
        await().atMost(WAIT).until(() -> stat(server).map(ServerStat::isDraining).orElse(false));
        assertThat(stat(server).orElseThrow().sessions()).isEqualTo(1);
        assertThat(removed).as("a request still runs on %s", server).isNotDone();
        release.countDown();
        assertThat(longRequest.get(30, TimeUnit.SECONDS).getContentAsString()).isEqualTo("retiring");
        removed.get(30, TimeUnit.SECONDS);
        await().atMost(WAIT).until(() -> serversInHaproxy().isEmpty());
    }

    @Test
    void swapsThroughTheOrchestratorUnderLoadWithoutFailedRequest() throws Exception {
        // given one instance behind haproxy and four clients sending requests without retry
        startGroup(Duration.ofSeconds(5));
        Load load = new Load(4);

        // when it is swapped three times
        for (int swap = 1; swap <= 3; swap++) {
            String old = currentId();
            long servedBefore = served(old);
            await().atMost(WAIT).until(() -> served(old) > servedBefore + 20);
            SwapResult result = orchestrator.swap(Plan.oneForOne()).toCompletableFuture().get(60, TimeUnit.SECONDS);
            assertThat(result.outcome()).as("swap %d: %s", swap, result).isEqualTo(SwapOutcome.COMMITTED);

            // then keep-alive clients now reach the new instance only
            String fresh = currentId();
            for (int i = 0; i < 10; i++) {
                assertThat(client.GET(url("/")).getContentAsString()).isEqualTo(fresh);
            }
            await().atMost(WAIT).until(() -> router.serverName(old).isEmpty());
        }
        String last = currentId();
        long servedBeforeEnd = served(last);
        await().atMost(WAIT).until(() -> served(last) > servedBeforeEnd + 20);
        load.stop();

        // and no request failed (nor did haproxy retry one for us), and only the last instance is left in haproxy
        assertThat(load.failures).isEmpty();
        assertThat(load.succeeded.get()).isGreaterThan(80);
        assertThat(load.slowSucceeded.get()).isPositive();
        assertThat(retriesAndRedispatches()).isZero();
        String lastServer = router.serverName(last).orElseThrow();
        await().atMost(WAIT).until(() -> serversInHaproxy().equals(List.of(lastServer)));
    }

    /**
     * Also what the step timings mean, the same as on the other routers: step 4 ({@code DETACH}) ends once
     * {@code show stat} shows the old server in drain, while its request still runs; the hand-over (step 5) waits
     * for that request before the old instance's intake closes.
     */
    @Test
    void aLongRequestInFlightCompletesOnTheOldInstanceAndTheHandOverWaitsForIt() throws Exception {
        // given a request held in flight on the only instance
        startGroup(Duration.ofSeconds(20));
        String old = currentId();
        String oldServer = router.serverName(old).orElseThrow();
        CompletableFuture<ContentResponse> longRequest = holdARequest();

        // when a swap starts
        CompletableFuture<SwapResult> swap = orchestrator.swap(Plan.oneForOne()).toCompletableFuture();

        // then the old server is drained in haproxy and step 4 ends, but step 5 does not while the request runs
        await().atMost(WAIT).until(() -> ended(SwapStep.DETACH, old) != null);
        assertThat(stat(oldServer).orElseThrow().isDraining()).isTrue();
        assertThat(stat(oldServer).orElseThrow().sessions()).isEqualTo(1);
        assertThat(ended(SwapStep.DRAIN, old)).isNull();
        String fresh = orchestrator.instances().stream().map(Lifecycle::id).filter(id -> !id.equals(old))
                .findFirst().orElseThrow();
        assertThat(client.GET(url("/")).getContentAsString()).isEqualTo(fresh);
        assertThat(swap).isNotDone();
        assertThat(router.serverName(old)).contains(oldServer);

        // and once the request ends, it completed on the old instance and the swap commits
        release.countDown();
        assertThat(longRequest.get(30, TimeUnit.SECONDS).getContentAsString()).isEqualTo(old);
        assertThat(swap.get(60, TimeUnit.SECONDS).outcome()).isEqualTo(SwapOutcome.COMMITTED);
        String freshServer = router.serverName(fresh).orElseThrow();
        await().atMost(WAIT).until(() -> serversInHaproxy().equals(List.of(freshServer)));
    }

    @Test
    void aNewInstanceThatCannotBindRollsBackWhileTheOldOneServesWithoutFailedRequest() throws Exception {
        // the new instance fails to start: its port is taken
        assertRollbackUnderLoad(nextLaunchFailsToBind);
    }

    @Test
    void aNewInstanceThatNeverBecomesReadyRollsBackWhileTheOldOneServesWithoutFailedRequest() throws Exception {
        // the new instance starts but never reports ready (the orchestrator's ready timeout is 2 s)
        assertRollbackUnderLoad(nextLaunchNeverReady);
    }

    /**
     * Given one instance under load, when the next launch goes wrong as {@code fault} makes it, then the swap rolls
     * back before the new instance was ever attached, the old instance serves on and no request failed.
     */
    private void assertRollbackUnderLoad(AtomicBoolean fault) throws Exception {
        startGroup(Duration.ofSeconds(5));
        String old = currentId();
        Load load = new Load(4);
        long servedBefore = served(old);
        await().atMost(WAIT).until(() -> served(old) > servedBefore + 20);

        fault.set(true);
        SwapResult result = orchestrator.swap(Plan.oneForOne()).toCompletableFuture().get(60, TimeUnit.SECONDS);

        assertThat(result.outcome()).isEqualTo(SwapOutcome.ROLLED_BACK);
        assertThat(currentId()).isEqualTo(old);
        assertThat(servedBy.keySet()).containsExactly(old);
        long servedAfter = served(old);
        await().atMost(WAIT).until(() -> served(old) > servedAfter + 20);
        load.stop();
        assertThat(load.failures).isEmpty();
        assertThat(retriesAndRedispatches()).isZero();
        assertThat(serversInHaproxy()).containsExactly(router.serverName(old).orElseThrow());
    }

    @Test
    void aRequestThatNeverEndsIsAbandonedAtTheDrainDeadlineAndTheSwapIsForced() throws Exception {
        // given a request that outlives the drain deadline on the old instance
        startGroup(Duration.ofMillis(500), Duration.ofSeconds(1));
        String old = currentId();
        String oldServer = router.serverName(old).orElseThrow();
        CompletableFuture<ContentResponse> endless = holdARequest();

        // when the instance is swapped
        SwapResult result = orchestrator.swap(Plan.oneForOne()).toCompletableFuture().get(60, TimeUnit.SECONDS);

        // then the request is abandoned and counted, the swap is FORCED, and haproxy is left with the new instance
        assertThat(result.outcome()).isEqualTo(SwapOutcome.FORCED);
        assertThat(result.abandoned()).isEqualTo(1);
        // the instance cut the abandoned request's connection: haproxy answers the client 502 Bad Gateway
        assertThat(endless.get(30, TimeUnit.SECONDS).getStatus()).isEqualTo(502);
        String fresh = currentId();
        assertThat(client.GET(url("/")).getContentAsString()).isEqualTo(fresh);
        await().atMost(WAIT).until(() -> router.serverName(old).isEmpty());
        assertThat(serversInHaproxy()).doesNotContain(oldServer);
    }

    @Test
    void aDetachCompletesOnceInDrainAndSettledOnceTheRequestsOnTheServerEnded() throws Exception {
        // given an instance with a request in flight
        Lifecycle instance = attachedBehindARouterWaiting20s("leaving");
        String server = router.serverName("leaving").orElseThrow();
        CompletableFuture<ContentResponse> longRequest = holdARequest();

        // when it is detached, the detach completes with the server in drain and its session still open
        router.detach(instance).toCompletableFuture().get(20, TimeUnit.SECONDS);
        assertThat(stat(server).orElseThrow().isDraining()).isTrue();
        CompletableFuture<Void> settled = router.settled(instance).toCompletableFuture();
        assertThat(settled).as("its request still runs").isNotDone();

        // then settled completes once the request ended, with the server deleted
        release.countDown();
        assertThat(longRequest.get(30, TimeUnit.SECONDS).getContentAsString()).isEqualTo("leaving");
        settled.get(30, TimeUnit.SECONDS);
        await().atMost(WAIT).until(() -> !serversInHaproxy().contains(server));
        assertThat(router.settled(instance).toCompletableFuture()).isCompleted();
    }

    @Test
    void aHandOverWaitingWhenTheRouterIsClosedEndsInsteadOfHangingForever() throws Exception {
        // given a detached instance whose hand-over waits for a request in flight
        Lifecycle instance = attachedBehindARouterWaiting20s("closing");
        CompletableFuture<ContentResponse> longRequest = holdARequest();
        router.detach(instance).toCompletableFuture().get(20, TimeUnit.SECONDS);
        CompletableFuture<Void> settled = router.settled(instance).toCompletableFuture();
        assertThat(settled).isNotDone();

        // when the router is closed (close: "operations still running complete exceptionally")
        router.close();

        // then the hand-over ends (well before the 20 s session wait), rather than never, and says it was cut short
        await().atMost(Duration.ofSeconds(10)).until(settled::isDone);
        assertThatThrownBy(settled::join).hasCauseInstanceOf(HaproxyException.class)
                .hasMessageContaining("is closed");
        release.countDown();
        assertThat(longRequest.get(30, TimeUnit.SECONDS).getContentAsString()).isEqualTo("closing");
    }

    @Test
    void aHandOverAfterAReadmissionWaitsForTheSessionsOfTheInstancesEarlierServerToo() throws Exception {
        // given an instance detached with a request running on its server, attached again (a re-admission)
        Lifecycle instance = attachedBehindARouterWaiting20s("twice");
        String first = router.serverName("twice").orElseThrow();
        CompletableFuture<ContentResponse> longRequest = holdARequest();
        router.detach(instance).toCompletableFuture().get(20, TimeUnit.SECONDS);
        router.attach(instance).toCompletableFuture().get(20, TimeUnit.SECONDS);

        // when it is detached again, its second server idle
        router.detach(instance).toCompletableFuture().get(20, TimeUnit.SECONDS);

        // then its hand-over waits for the request still running on its first server
        CompletableFuture<Void> settled = router.settled(instance).toCompletableFuture();
        assertThat(stat(first).orElseThrow().sessions()).isEqualTo(1);
        assertThat(settled).as("a request still runs on server %s", first).isNotDone();
        release.countDown();
        assertThat(longRequest.get(30, TimeUnit.SECONDS).getContentAsString()).isEqualTo("twice");
        settled.get(30, TimeUnit.SECONDS);
        await().atMost(WAIT).until(() -> serversInHaproxy().isEmpty());
    }

    @Test
    void reattachingAnInstanceBeingDetachedAddsItAgain() throws Exception {
        // given an instance whose hand-over waits for a request in flight
        Lifecycle instance = attachedBehindARouterWaiting20s("comeback");
        String first = router.serverName("comeback").orElseThrow();
        CompletableFuture<ContentResponse> longRequest = holdARequest();
        CompletableFuture<Void> detached = router.detach(instance).toCompletableFuture();
        await().atMost(WAIT).until(() -> stat(first).map(ServerStat::isDraining).orElse(false));
        assertThat(router.detach(instance).toCompletableFuture()).isSameAs(detached);

        // when it is attached again (a rollback re-admits it)
        router.attach(instance).toCompletableFuture().get(20, TimeUnit.SECONDS);

        // then it takes new requests as a new server, and the old server goes once its request ends
        String second = router.serverName("comeback").orElseThrow();
        assertThat(second).isNotEqualTo(first);
        assertThat(client.GET(url("/")).getContentAsString()).isEqualTo("comeback");
        release.countDown();
        assertThat(longRequest.get(30, TimeUnit.SECONDS).getContentAsString()).isEqualTo("comeback");
        detached.get(30, TimeUnit.SECONDS);
        await().atMost(WAIT).until(() -> serversInHaproxy().equals(List.of(second)));
    }

    @Test
    void showsTheAttachedServerInTheServersStateAndStat() throws Exception {
        router = HaproxyRouter.builder(haproxy.adminSocket(), haproxy.backend()).build();
        Lifecycle instance = launch("listed");
        router.attach(instance).toCompletableFuture().get(20, TimeUnit.SECONDS);
        String server = router.serverName("listed").orElseThrow();

        List<Map<String, String>> state = router.runtimeApi().showServersState(haproxy.backend());
        assertThat(state).hasSize(1);
        assertThat(state.get(0)).containsEntry("srv_name", server).containsEntry("srv_addr", "127.0.0.1")
                .containsEntry("srv_admin_state", "0");
        ServerStat stat = stat(server).orElseThrow();
        assertThat(stat.isTakingTraffic()).isTrue();
        assertThat(stat.isIdle()).isTrue();
    }

    @Test
    void rejectsNamesThatWouldInjectCommands() {
        assertThatThrownBy(() -> HaproxyRouter.builder(haproxy.adminSocket(), "app\nshutdown sessions server app/x"))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("backend must be 1 to 64 characters among [A-Za-z0-9_.:-], but was "
                        + "'app\\nshutdown sessions server app/x'");
        assertThatThrownBy(() -> HaproxyRouter.builder(haproxy.adminSocket(), "app other"))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("but was 'app other'");
        HaproxyRuntimeApi api = HaproxyRuntimeApi.create(haproxy.adminSocket(), Duration.ofSeconds(2));
        assertThatThrownBy(() -> api.execute("show info; shutdown frontend public"))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("without ';'");
        assertThatThrownBy(() -> api.enableServer("app", "s1\ndisable frontend public"))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageStartingWith("server must be");
        assertThat(haproxy.isAlive()).isTrue();
    }

    @Test
    void attachFailsQuotingHaproxyWhenTheBackendDoesNotExist() throws Exception {
        Lifecycle instance = launch("lost");
        try (HaproxyRouter wrong = HaproxyRouter.builder(haproxy.adminSocket(), "nosuch").build()) {
            assertThatThrownBy(() -> wrong.attach(instance).toCompletableFuture().get(20, TimeUnit.SECONDS))
                    .isInstanceOf(ExecutionException.class)
                    .cause()
                    .isInstanceOf(HaproxyException.class)
                    .hasMessageContaining("add server nosuch/lost-")
                    .hasMessageContaining("'No such backend.'");
            assertThat(wrong.serverName("lost")).isEmpty();
        }
    }

    @Test
    void startChecksTheSocketAndTheBackendBeforeAnyAttach() {
        try (HaproxyRouter wrong = HaproxyRouter.builder(haproxy.adminSocket(), "nosuch").build();
             HaproxyRouter right = HaproxyRouter.builder(haproxy.adminSocket(), haproxy.backend()).build()) {
            assertThatThrownBy(wrong::start)
                    .isInstanceOf(HaproxyException.class)
                    .hasMessageContaining("show servers state nosuch");
            assertThat(right.start()).isSameAs(right);
        }
    }

    @Test
    void detachOfAnInstanceNeverAttachedCompletesAtOnce() throws Exception {
        Lifecycle instance = launch("stranger");
        try (HaproxyRouter idle = HaproxyRouter.builder(haproxy.adminSocket(), haproxy.backend()).build()) {
            assertThat(idle.detach(instance).toCompletableFuture()).isCompleted();
        }
    }

    @Test
    void failsLoudlyWhenTheBinaryIsMissing() {
        assertThatThrownBy(() -> HaproxyProcess.builder().binary(Path.of("/nonexistent/haproxy")).start())
                .isInstanceOf(IllegalStateException.class)
                .hasMessage("haproxy not found at /nonexistent/haproxy; install it: apt-get install -y haproxy");
    }

    /** @return a router whose detach and hand-over wait up to 20 s for sessions: longer than any test holds one */
    private HaproxyRouter routerWaiting20s() {
        return HaproxyRouter.builder(haproxy.adminSocket(), haproxy.backend())
                .sessionWaitTimeout(Duration.ofSeconds(20))
                .build();
    }

    /** @return a launched instance, attached by a new {@link #routerWaiting20s()} that becomes {@code router} */
    private Lifecycle attachedBehindARouterWaiting20s(String id) throws Exception {
        router = routerWaiting20s();
        Lifecycle instance = launch(id);
        router.attach(instance).toCompletableFuture().get(20, TimeUnit.SECONDS);
        return instance;
    }

    /** @return a request to {@code /hold}, running on its instance once this returns, until {@code release} */
    private CompletableFuture<ContentResponse> holdARequest() throws InterruptedException {
        CompletableFuture<ContentResponse> response = new CompletableResponseListener(
                client.newRequest(url("/hold")).timeout(60, TimeUnit.SECONDS)).send();
        assertThat(held.await(10, TimeUnit.SECONDS)).isTrue();
        return response;
    }

    private Lifecycle launch(String id) throws Exception {
        Lifecycle instance = launcher.launch(id).toCompletableFuture().get(30, TimeUnit.SECONDS);
        launched.add(instance);
        return instance;
    }

    /**
     * Clients sending requests through haproxy in a loop, without retry, until stopped: even-numbered clients reuse
     * keep-alive connections, odd-numbered ones close the connection after each request; one request in five takes
     * 20 ms on the server.
     */
    private final class Load {
        private final AtomicBoolean running = new AtomicBoolean(true);
        private final AtomicLong succeeded = new AtomicLong();
        private final AtomicLong slowSucceeded = new AtomicLong();
        private final ConcurrentLinkedQueue<String> failures = new ConcurrentLinkedQueue<>();
        private final List<CompletableFuture<Void>> clients = new ArrayList<>();

        Load(int count) {
            for (int i = 0; i < count; i++) {
                boolean closeEach = i % 2 == 1;
                clients.add(CompletableFuture.runAsync(() -> loop(closeEach)));
            }
        }

        private void loop(boolean closeEach) {
            for (long n = 0; running.get(); n++) {
                boolean slow = n % 5 == 4;
                try {
                    org.eclipse.jetty.client.Request request = client.newRequest(url(slow ? "/slow" : "/"))
                            .timeout(10, TimeUnit.SECONDS);
                    if (closeEach) {
                        request.headers(headers -> headers.put(HttpHeader.CONNECTION, "close"));
                    }
                    ContentResponse response = request.send();
                    if (response.getStatus() == 200) {
                        succeeded.incrementAndGet();
                        if (slow) {
                            slowSucceeded.incrementAndGet();
                        }
                    } else {
                        failures.add("status " + response.getStatus() + ": " + response.getContentAsString());
                    }
                } catch (Exception e) {
                    failures.add(e.toString());
                }
            }
        }

        void stop() throws Exception {
            running.set(false);
            CompletableFuture.allOf(clients.toArray(CompletableFuture[]::new)).get(30, TimeUnit.SECONDS);
        }
    }

    /** Answers its instance id; {@code /hold} waits for the test's release first. */
    private final class Application extends Handler.Abstract {
        private final String id;

        Application(String id) {
            this.id = id;
        }

        @Override
        public boolean handle(Request request, Response response, Callback callback) throws Exception {
            if (request.getHttpURI().getPath().equals("/slow")) {
                request.getComponents().getScheduler().schedule(() -> {
                    servedBy.computeIfAbsent(id, key -> new AtomicLong()).incrementAndGet();
                    response.write(true, ByteBuffer.wrap(id.getBytes(StandardCharsets.UTF_8)), callback);
                }, 20, TimeUnit.MILLISECONDS);
                return true;
            }
            if (request.getHttpURI().getPath().equals("/hold")) {
                held.countDown();
                if (!release.await(60, TimeUnit.SECONDS)) {
                    throw new IllegalStateException("held request of " + id + " never released");
                }
            }
            servedBy.computeIfAbsent(id, key -> new AtomicLong()).incrementAndGet();
            response.write(true, ByteBuffer.wrap(id.getBytes(StandardCharsets.UTF_8)), callback);
            return true;
        }
    }
}
