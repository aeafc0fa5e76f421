package dev.handoff.examples.common;

import dev.handoff.api.SwapResult;
import dev.handoff.core.Orchestrator;
import dev.handoff.core.process.ChildProcessLauncher;
import dev.handoff.jetty.haproxy.HaproxyRouter;
import dev.handoff.jetty.process.ChildPorts;
import dev.handoff.test.haproxy.HaproxyProcess;

import java.time.Duration;
import java.util.function.BiFunction;

/**
 * A web group of child JVMs behind a throwaway HAProxy, as {@code haproxy-children}, {@code spring-swap} and
 * {@code crash-swap} run it: HAProxy, the children's port files ({@link ChildPorts}), the launcher, a started
 * {@link HaproxyRouter} and the orchestrator that swaps the children, closed together. Not thread-safe: one thread
 * starts and closes it; the orchestrator is as thread-safe as it says.
 */
public final class ChildrenBehindHaproxy implements AutoCloseable {

    private final HaproxyProcess haproxy;
    private final ChildPorts ports;
    private final HaproxyRouter router;
    private final Orchestrator orchestrator;

    private ChildrenBehindHaproxy(HaproxyProcess haproxy, ChildPorts ports, HaproxyRouter router,
                                  Orchestrator orchestrator) {
        this.haproxy = haproxy;
        this.ports = ports;
        this.router = router;
        this.orchestrator = orchestrator;
    }

    /**
     * Starts HAProxy and the router; the orchestrator is built, not started (no child runs yet). When a part fails,
     * the parts already started are closed.
     *
     * @param haproxy      the HAProxy to start
     * @param children     the children's launcher, before its port files are configured
     * @param orchestrator builds the orchestrator from the launcher and the started router
     * @return the parts, to close
     */
    public static ChildrenBehindHaproxy start(
            HaproxyProcess.Builder haproxy, ChildProcessLauncher.Builder children,
            BiFunction<ChildProcessLauncher, HaproxyRouter, Orchestrator> orchestrator) {
        HaproxyProcess started = haproxy.start();
        ChildPorts ports = null;
        HaproxyRouter router = null;
        try {
            ports = ChildPorts.create();
            ChildProcessLauncher launcher = ports.configure(children).build();
            router = HaproxyRouter.builder(started.adminSocket(), started.backend())
                    .addressOf(ports.addressOf())
                    .sessionWaitTimeout(Duration.ofSeconds(10))
                    .build()
                    .start();
            return new ChildrenBehindHaproxy(started, ports, router, orchestrator.apply(launcher, router));
        } catch (RuntimeException | Error e) {
            if (router != null) {
                router.close();
            }
            started.close();
            if (ports != null) {
                ports.close();
            }
            throw e;
        }
    }

    /** @return HAProxy, whose frontend the clients use */
    public HaproxyProcess haproxy() {
        return haproxy;
    }

    /** @return the orchestrator that starts and swaps the children */
    public Orchestrator orchestrator() {
        return orchestrator;
    }

    /**
     * @param swap   the swap's number, from 1
     * @param swaps  how many swaps the run makes
     * @param result the swap's result
     * @return {@code swap N/M OUTCOME in D ms, now serving: ID}, with the instance serving now
     */
    public String swapLine(int swap, int swaps, SwapResult result) {
        return String.format("swap %d/%d %s in %d ms, now serving: %s", swap, swaps, result.outcome(),
                result.duration().toMillis(), orchestrator.instances().get(0).id());
    }

    /** Closes the orchestrator (which destroys the children it launched), then the router, HAProxy and port files. */
    @Override
    public void close() {
        try {
            orchestrator.close();
        } finally {
            router.close();
            haproxy.close();
            ports.close();
        }
    }
}
