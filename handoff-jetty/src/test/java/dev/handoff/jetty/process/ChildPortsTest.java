package dev.handoff.jetty.process;

import dev.handoff.core.process.PortFile;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.handoff.api.Lifecycle;
import dev.handoff.test.sim.SimulatedInstance;
import dev.handoff.test.sim.VirtualClock;

import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.attribute.PosixFilePermission;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.Test;

/** {@link ChildPorts} and {@link ReusePortRouter} without child processes: file names, errors, validation. */
class ChildPortsTest {

    @Test
    void instanceIdsBecomeSafeFileNames() {
        assertThat(PortFile.fileName("web-1")).isEqualTo("web-1.port");
        assertThat(PortFile.fileName("../etc/x")).isEqualTo("_002e._002fetc_002fx.port");
    }

    @Test
    void readsTheAddressAChildReportedAndExplainsAMissingOrMalformedOne() throws Exception {
        try (ChildPorts ports = ChildPorts.create()) {
            Lifecycle instance = instance("web-7");
            assertThatThrownBy(() -> ports.address(instance))
                    .isInstanceOf(IllegalStateException.class)
                    .hasMessageStartingWith("instance web-7 has not reported its port (no " + ports.folder());

            Files.writeString(ports.folder().resolve("web-7.port"), "127.0.0.1:43210\n");
            assertThat(ports.address(instance)).isEqualTo(new InetSocketAddress("127.0.0.1", 43210));

            Files.writeString(ports.folder().resolve("web-7.port"), "garbage");
            assertThatThrownBy(() -> ports.address(instance))
                    .isInstanceOf(IllegalStateException.class)
                    .hasMessageStartingWith("instance web-7 reported a malformed address 'garbage'");
            assertThat(Files.getPosixFilePermissions(ports.folder())).containsExactlyInAnyOrder(
                    PosixFilePermission.OWNER_READ, PosixFilePermission.OWNER_WRITE, PosixFilePermission.OWNER_EXECUTE);
        }
    }

    @Test
    void theReusePortRouterAttachesOnlyInstancesListeningOnItsPort() throws Exception {
        assertThatThrownBy(() -> new ReusePortRouter(0, instance -> null))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("port must be in 1..65535, but was 0");
        Lifecycle elsewhere = instance("web-2");
        ReusePortRouter router = new ReusePortRouter(8080, instance -> new InetSocketAddress("127.0.0.1", 9090));

        assertThatThrownBy(() -> router.attach(elsewhere).toCompletableFuture().get(5, TimeUnit.SECONDS))
                .isInstanceOf(ExecutionException.class)
                .hasRootCauseMessage("instance web-2 must listen on shared port 8080, but listens on 127.0.0.1:9090");
        assertThat(router.isAttached("web-2")).isFalse();

        ReusePortRouter matching = new ReusePortRouter(9090, instance -> new InetSocketAddress("127.0.0.1", 9090));
        matching.attach(elsewhere).toCompletableFuture().get(5, TimeUnit.SECONDS);
        assertThat(matching.isAttached("web-2")).isTrue();
        matching.detach(elsewhere).toCompletableFuture().get(5, TimeUnit.SECONDS);
        assertThat(matching.isAttached("web-2")).isFalse();
    }

    @Test
    void theReusePortRouterAdoptsTheReadyInstancesThatListenOnItsPortAndNoOther() throws Exception {
        // given a restarted orchestrator's re-attached instances: on the shared port and ready, on another port,
        // with no port reported, and on the shared port but told to stop accepting (its listener is closed)
        Lifecycle listening = instance("web-1");
        Lifecycle elsewhere = instance("web-2");
        Lifecycle unreported = instance("web-3");
        Lifecycle stopped = instance("web-4");
        stopped.stopAccepting().toCompletableFuture().get(5, TimeUnit.SECONDS);
        Map<String, Integer> ports = Map.of("web-1", 9090, "web-2", 9091, "web-4", 9090);
        ReusePortRouter router = new ReusePortRouter(9090, instance -> {
            Integer port = ports.get(instance.id());
            if (port == null) {
                throw new IllegalStateException("instance " + instance.id() + " has not reported its port");
            }
            return new InetSocketAddress("127.0.0.1", port);
        });

        // when the router is asked which of them it routes to
        Set<String> adopted = router.adoptAttached(List.of(listening, elsewhere, unreported, stopped))
                .toCompletableFuture().get(5, TimeUnit.SECONDS);

        // then only the ready one on its port, which it now counts as attached
        assertThat(adopted).containsExactly("web-1");
        assertThat(router.isAttached("web-1")).isTrue();
        assertThat(router.isAttached("web-2")).isFalse();
        assertThat(router.isAttached("web-3")).isFalse();
        assertThat(router.isAttached("web-4")).isFalse();
    }

    private static Lifecycle instance(String id) {
        return SimulatedInstance.running(id, new VirtualClock());
    }
}
