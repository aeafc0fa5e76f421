package dev.handoff.examples.crashswap;

import dev.handoff.api.event.SwapListener;
import dev.handoff.core.Orchestrator;
import dev.handoff.core.process.ChildProcessLauncher;
import dev.handoff.examples.Main;
import dev.handoff.examples.common.ChildrenBehindHaproxy;
import dev.handoff.examples.webswap.LoadGenerator;
import dev.handoff.test.haproxy.HaproxyProcess;

import java.nio.file.Path;
import java.time.Duration;

/**
 * The web group of {@code crash-swap}: 2 child JVMs of the {@code haproxy-children} web app behind a throwaway
 * HAProxy, supervised by an orchestrator, and raw-socket clients on HAProxy's port that never retry. Not
 * thread-safe: one run's thread drives it.
 */
final class WebGroup implements AutoCloseable {

    private final Group group = new Group();
    private final ChildrenBehindHaproxy web;
    private LoadGenerator load;

    WebGroup(Path logs, String classpath, SwapListener listener) {
        web = ChildrenBehindHaproxy.start(HaproxyProcess.builder().frontendPort(0)
                        .serverTimeout(Duration.ofSeconds(15)),
                ChildProcessLauncher.builder()
                        .mainClass(Main.class.getName(), classpath)
                        .jvmOptions("-Xmx96m", "-XX:TieredStopAtLevel=1", "-XX:+UseSerialGC", Orphans.marker())
                        .arguments("haproxy-children", "--child")
                        .output(ProcessBuilder.Redirect.appendTo(logs.resolve("web.log").toFile()))
                        .exitTimeout(Duration.ofSeconds(5)),
                (launcher, router) -> Orchestrator.builder("web", group.tracking(launcher), router)
                        .readyTimeout(Duration.ofSeconds(30))
                        .detachTimeout(Duration.ofSeconds(15))
                        .drainTimeout(Duration.ofSeconds(10))
                        .replaceBackoff(Group.BACKOFF_MIN, Group.BACKOFF_MAX)
                        .listener(listener)
                        .build());
    }

    /** Starts the group's 2 members, then the clients. */
    void start(int clients, Duration timeout) {
        web.orchestrator().startAndWait(Group.SIZE, timeout);
        load = new LoadGenerator(web.haproxy().frontendAddress(), clients, 42);
        load.start();
    }

    Orchestrator orchestrator() {
        return web.orchestrator();
    }

    /**
     * Stops the clients.
     *
     * @return their records
     * @throws InterruptedException when interrupted while waiting for them
     */
    LoadGenerator.LoadRecords stopClients() throws InterruptedException {
        load.stop();
        return load.records();
    }

    /** @return whether HAProxy is still running */
    boolean haproxyAlive() {
        return web.haproxy().isAlive();
    }

    @Override
    public void close() {
        try {
            web.close();
        } finally {
            group.killLeftovers();
        }
    }
}
