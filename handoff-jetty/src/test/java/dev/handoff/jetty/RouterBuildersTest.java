package dev.handoff.jetty;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.handoff.api.Lifecycle;
import dev.handoff.core.InstanceLifecycle;
import dev.handoff.core.process.ChildProcessLauncher;
import dev.handoff.jetty.process.ChildPorts;
import dev.handoff.jetty.process.ReusePortRouter;

import java.time.Duration;
import java.util.concurrent.ExecutionException;

import org.junit.jupiter.api.Test;

/** Bad input to the routers and the launcher: a clear exception naming the field and the value, nothing started. */
class RouterBuildersTest {

    @Test
    void theProxyRouterBuilderNamesTheFieldAndTheValue() {
        ProxyRouter.Builder builder = ProxyRouter.builder();
        assertThatThrownBy(() -> builder.port(-1)).isInstanceOf(IllegalArgumentException.class)
                .hasMessage("port must be in 0..65535, but was -1");
        assertThatThrownBy(() -> builder.host(" ")).isInstanceOf(IllegalArgumentException.class)
                .hasMessage("host must not be blank, but was ' '");
        assertThatThrownBy(() -> builder.maxThreads(2)).isInstanceOf(IllegalArgumentException.class)
                .hasMessage("maxThreads must be >= 8, but was 2");
        assertThatThrownBy(() -> builder.maxConnectionsPerBackend(0)).isInstanceOf(IllegalArgumentException.class)
                .hasMessage("maxConnectionsPerBackend must be > 0, but was 0");
        assertThatThrownBy(() -> builder.backendIdleTimeout(Duration.ZERO))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("backendIdleTimeout must be > 0, but was PT0S");
        assertThatThrownBy(() -> builder.addressOf(null)).isInstanceOf(NullPointerException.class)
                .hasMessage("addressOf must not be null");
    }

    @Test
    void theSharedPortRouterBuilderNamesTheFieldAndTheValue() {
        SharedPortRouter.Builder builder = SharedPortRouter.builder();
        assertThatThrownBy(() -> builder.port(65536)).isInstanceOf(IllegalArgumentException.class)
                .hasMessage("port must be in 0..65535, but was 65536");
        assertThatThrownBy(() -> builder.acceptQueueSize(0)).isInstanceOf(IllegalArgumentException.class)
                .hasMessage("acceptQueueSize must be > 0, but was 0");
        assertThatThrownBy(() -> builder.handoverTimeout(Duration.ofSeconds(-1)))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("handoverTimeout must be > 0, but was PT-1S");
        assertThatThrownBy(() -> builder.build().port()).isInstanceOf(IllegalStateException.class)
                .hasMessage("shared port is not open");
    }

    @Test
    void aRouterReadingChildPortsNoLauncherWasConfiguredWithRefusesToStart() throws Exception {
        // issue 13: the three calls of a child web app (ports, launcher, router) were checked only at the first attach
        try (ChildPorts ports = ChildPorts.create()) {
            ProxyRouter unwired = ProxyRouter.builder().addressOf(ports.addressOf()).build();
            assertThatThrownBy(unwired::start).isInstanceOf(IllegalStateException.class)
                    .hasMessageContaining("no launcher was configured with them")
                    .hasMessageContaining("ports.configure(ChildProcessLauncher.builder()");
            assertThatThrownBy(() -> new ReusePortRouter(8080, ports.addressOf()).start())
                    .isInstanceOf(IllegalStateException.class);
            unwired.close();

            ports.configure(ChildProcessLauncher.builder());

            try (ProxyRouter wired = ProxyRouter.builder().addressOf(ports.addressOf()).build().start()) {
                assertThat(wired.port()).isPositive();
            }
            assertThat(new ReusePortRouter(8080, ports.addressOf()).start().port()).isEqualTo(8080);
        }
    }

    @Test
    void routersRefuseInstancesTheyCannotAddress() throws Exception {
        Lifecycle foreign = InstanceLifecycle.newBuilder("foreign").build();
        try (ProxyRouter proxy = ProxyRouter.builder().build().start();
             SharedPortRouter sharedPort = SharedPortRouter.builder().build().start()) {
            assertThatThrownBy(() -> proxy.attach(foreign).toCompletableFuture().get())
                    .isInstanceOf(ExecutionException.class).hasCauseInstanceOf(IllegalArgumentException.class)
                    .hasMessageContaining("instance must be a JettyHandoff unless addressOf is configured");
            assertThatThrownBy(() -> sharedPort.attach(foreign).toCompletableFuture().get())
                    .isInstanceOf(ExecutionException.class).hasCauseInstanceOf(IllegalArgumentException.class)
                    .hasMessageContaining("instance must be a JettyHandoff, but was");
            assertThat(proxy.attached()).isEmpty();
            assertThat(sharedPort.owner()).isNull();
        }
    }

    @Test
    void theLauncherBuilderNamesTheFieldAndTheValue() {
        assertThatThrownBy(() -> JettyLauncher.builder(null)).isInstanceOf(NullPointerException.class)
                .hasMessage("factory must not be null");
        assertThatThrownBy(() -> JettyLauncher.builder(id -> null).host(""))
                .isInstanceOf(IllegalArgumentException.class).hasMessage("host must not be blank, but was ''");
    }
}
