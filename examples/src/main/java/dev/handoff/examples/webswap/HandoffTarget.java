package dev.handoff.examples.webswap;

import java.util.List;
import java.util.Optional;

import dev.handoff.api.Plan;
import dev.handoff.api.SwapOutcome;
import dev.handoff.api.SwapResult;
import dev.handoff.api.Lifecycle;
import dev.handoff.api.spi.Router;
import dev.handoff.core.Orchestrator;
import dev.handoff.jetty.JettyLauncher;
import dev.handoff.jetty.ProxyRouter;
import dev.handoff.jetty.SharedPortRouter;
import dev.handoff.test.haproxy.HaproxyProcess;
import dev.handoff.jetty.haproxy.HaproxyRouter;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.eclipse.jetty.server.Server;

/**
 * The handoff modes: Jetty instances launched by {@link JettyLauncher} on internal loopback ports, swapped one for
 * one by an {@link Orchestrator} through the mode's router: the embedded front proxy, the shared port, or a real
 * HAProxy. A swap that does not end COMMITTED is reported as a failed swap.
 */
final class HandoffTarget implements SwapTarget {

    private static final long STEP_TIMEOUT_SECONDS = 60;

    /** Releases a front's resources. */
    @FunctionalInterface
    private interface Closer {
        void close() throws Exception;
    }

    /** A started router, the public address the clients use, and how to stop them. */
    private record Front(Router router, InetSocketAddress address, Closer closer) {
    }

    /** Starts a {@link Front}. */
    @FunctionalInterface
    private interface FrontFactory {
        Front open() throws Exception;
    }

    private final String group;
    private final FrontFactory frontFactory;
    private Front front;
    private Orchestrator orchestrator;

    private HandoffTarget(String group, FrontFactory frontFactory) {
        this.group = group;
        this.frontFactory = frontFactory;
    }

    /** @return the {@code proxy} mode: {@link ProxyRouter} on the public port */
    static HandoffTarget proxy() {
        return new HandoffTarget("web-swap-proxy", () -> {
            ProxyRouter router = ProxyRouter.builder().build().start();
            return new Front(router, loopback(router.port()), router::close);
        });
    }

    /** @return the {@code reuseport} mode: {@link SharedPortRouter} hands the listening socket over */
    static HandoffTarget reusePort() {
        return new HandoffTarget("web-swap-reuseport", () -> {
            SharedPortRouter router = SharedPortRouter.builder().build().start();
            return new Front(router, loopback(router.port()), router::close);
        });
    }

    /** @return the {@code haproxy} mode: a throwaway haproxy driven by {@link HaproxyRouter} */
    static HandoffTarget haproxy() {
        return new HandoffTarget("web-swap-haproxy", () -> {
            HaproxyProcess haproxy = HaproxyProcess.builder().start();
            try {
                HaproxyRouter router = HaproxyRouter.builder(haproxy.adminSocket(), haproxy.backend()).build()
                        .start();
                return new Front(router, haproxy.frontendAddress(), () -> {
                    try {
                        router.close();
                    } finally {
                        haproxy.close();
                    }
                });
            } catch (RuntimeException e) {
                haproxy.close();
                throw e;
            }
        });
    }

    @Override
    public InetSocketAddress start() throws Exception {
        front = frontFactory.open();
        JettyLauncher launcher = JettyLauncher.builder(id -> {
            Server server = new Server();
            server.setHandler(new DemoApplication(id));
            return server;
        }).build();
        orchestrator = Orchestrator.builder(group, launcher, front.router()).build();
        await(orchestrator.start(1).toCompletableFuture());
        return front.address();
    }

    @Override
    public Optional<SwapResult> swap() throws Exception {
        SwapResult result = await(orchestrator.swap(Plan.oneForOne()).toCompletableFuture());
        if (result.outcome() != SwapOutcome.COMMITTED) {
            throw new SwapNotCommittedException(result);
        }
        return Optional.of(result);
    }

    @Override
    public List<Lifecycle> instances() {
        return orchestrator == null ? List.of() : orchestrator.instances();
    }

    @Override
    public void stop() throws Exception {
        try {
            if (orchestrator != null) {
                orchestrator.close();
                for (Lifecycle instance : orchestrator.instances()) {
                    await(instance.destroy().toCompletableFuture());
                }
            }
        } finally {
            if (front != null) {
                front.closer().close();
            }
        }
    }

    private static <T> T await(CompletableFuture<T> stage) throws Exception {
        return stage.get(STEP_TIMEOUT_SECONDS, TimeUnit.SECONDS);
    }

    private static InetSocketAddress loopback(int port) {
        return new InetSocketAddress(InetAddress.getLoopbackAddress(), port);
    }
}
