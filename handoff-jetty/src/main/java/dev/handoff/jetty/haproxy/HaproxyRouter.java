package dev.handoff.jetty.haproxy;

import dev.handoff.api.Lifecycle;
import dev.handoff.api.spi.Router;
import dev.handoff.jetty.JettyHandoff;
import dev.handoff.jetty.internal.Addresses;
import dev.handoff.jetty.process.ChildPorts;
import dev.handoff.jetty.internal.Checks;

import java.net.InetSocketAddress;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Function;
import java.util.function.Predicate;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A {@link Router} that attaches instances to an HAProxy backend as dynamic servers, through HAProxy's Runtime API
 * on its admin socket. The backend must use a dynamic balance algorithm ({@code roundrobin}, {@code leastconn})
 * and should use {@code option http-server-close}, so that a server's current sessions ({@code scur}) are the
 * requests running on it.
 *
 * <ul>
 *   <li><b>attach</b>: {@code add server} (created in maintenance), {@code enable server}, {@code enable health}
 *       when health checks are on; completes when {@code show stat} shows the server taking traffic (up, and its
 *       last check passed when it has one).</li>
 *   <li><b>detach</b> (step 4): {@code set server ... state drain}; completes when {@code show stat} shows the
 *       server in drain, so that no new request reaches it.</li>
 *   <li><b>settled</b> (step 5, before the instance's intake closes): waits until {@code show stat} shows the
 *       server with no session and no queued request; then {@code state maint} and {@code del server}, and
 *       completes. If HAProxy still holds an idle connection to the server, the delete is retried in the
 *       background. When requests still run on the server at the end of the session wait, it completes anyway
 *       (the drain state, confirmed, keeps new requests away) and the server is removed in the background once
 *       they end, within the removal timeout.</li>
 *   <li>A rollback's re-admission (attach of an instance being detached) adds the instance again as a new
 *       server; the old one goes on being removed.</li>
 * </ul>
 *
 * <p>HAProxy is remote, so the router polls {@code show stat} (every {@code pollInterval}) where it waits; every
 * wait is bounded. Servers added at run time are lost if HAProxy reloads. Thread-safe; blocking socket calls run
 * on the router's scheduler, never on the caller's thread.
 */
public final class HaproxyRouter implements Router, AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(HaproxyRouter.class);

    private final HaproxyRuntimeApi api;
    private final String backend;
    private final Function<Lifecycle, InetSocketAddress> addressOf;
    private final boolean healthCheck;
    private final Duration attachTimeout;
    private final Duration sessionWaitTimeout;
    private final Duration removalTimeout;
    private final Duration pollInterval;
    private final ScheduledExecutorService scheduler;
    private final boolean ownsScheduler;
    /** The instances attached, or detached and not yet deleted, by id. */
    private final Map<String, Entry> entries = new ConcurrentHashMap<>();
    /**
     * The hand-overs not yet ended, by instance id: every server an instance had, detached and still holding
     * sessions (a re-admitted instance detached again has two), so that {@link #settled} waits for all of them.
     */
    private final Map<String, CompletableFuture<Void>> handOvers = new ConcurrentHashMap<>();
    private final AtomicLong sequence = new AtomicLong();

    private HaproxyRouter(Builder builder) {
        this.api = HaproxyRuntimeApi.create(builder.adminSocket, builder.commandTimeout);
        this.backend = builder.backend;
        this.addressOf = builder.addressOf;
        this.healthCheck = builder.healthCheck;
        this.attachTimeout = builder.attachTimeout;
        this.sessionWaitTimeout = builder.sessionWaitTimeout;
        this.removalTimeout = builder.removalTimeout;
        this.pollInterval = builder.pollInterval;
        this.ownsScheduler = builder.scheduler == null;
        this.scheduler = ownsScheduler ? Executors.newSingleThreadScheduledExecutor(runnable -> {
            Thread thread = new Thread(runnable, "handoff-haproxy-" + builder.backend);
            thread.setDaemon(true);
            return thread;
        }) : builder.scheduler;
    }

    /**
     * @param adminSocket the HAProxy admin socket ({@code stats socket <path> level admin})
     * @param backend     the backend the instances are added to
     * @return a builder with the defaults: no health check, 2 s per command, 10 s to confirm an attach, 5 s to
     *     wait for a detached server's sessions (within the orchestrator's default detach deadline of 10 s), 30 s
     *     to remove it, polling every 10 ms
     * @throws NullPointerException     when an argument is null
     * @throws IllegalArgumentException when {@code backend} is not a valid HAProxy name (it would allow command
     *                                  injection: spaces, ';' and line breaks are refused)
     */
    public static Builder builder(Path adminSocket, String backend) {
        return new Builder(adminSocket, backend);
    }

    /**
     * Starts the router: checks the wiring of child JVMs' addresses ({@link ChildPorts#addressOf()}), and that
     * HAProxy answers on the admin socket and has the backend ({@code show servers state}), so that a wrong
     * socket, backend or wiring fails here rather than at the first attach. Blocking (one command, bounded by the
     * command timeout). Every router starts this way: {@code builder()...build().start()}; a router used without
     * it sends nothing to HAProxy until the first attach.
     *
     * @return this router
     * @throws IllegalStateException when {@code addressOf} reads a {@link ChildPorts} no launcher was configured with
     * @throws HaproxyException      when HAProxy does not answer or has no such backend, quoting it
     */
    public HaproxyRouter start() {
        ChildPorts.requireWired(addressOf);
        api.showServersState(backend);
        return this;
    }

    /** @return the backend this router manages */
    public String backend() {
        return backend;
    }

    /** @return the Runtime API client this router uses */
    public HaproxyRuntimeApi runtimeApi() {
        return api;
    }

    /**
     * @param instanceId an instance id
     * @return the HAProxy server name of the instance while it is attached, or detached but not yet deleted
     */
    public Optional<String> serverName(String instanceId) {
        return Optional.ofNullable(entries.get(instanceId)).map(Entry::server);
    }

    /**
     * {@inheritDoc}
     *
     * <p>Completes exceptionally with a {@link HaproxyException} (quoting HAProxy) when HAProxy refuses the server
     * or the server is not taking traffic within the attach timeout (the half-added server is then removed), and
     * with the resolver's exception when the instance has no address. Attaching an attached instance completes at
     * once; attaching one that is being detached (a rollback's re-admission) adds it again as a new server.
     */
    @Override
    public CompletionStage<Void> attach(Lifecycle instance) {
        Objects.requireNonNull(instance, "instance must not be null");
        String id = instance.id();
        InetSocketAddress address;
        try {
            address = Objects.requireNonNull(addressOf.apply(instance),
                    () -> "addressOf returned null for instance " + id);
        } catch (RuntimeException e) {
            return CompletableFuture.failedFuture(e);
        }
        Entry entry = new Entry(serverName(id, sequence.incrementAndGet()), null, null);
        if (entries.compute(id, (key, current) -> current == null || current.detached() != null ? entry : current)
                != entry) {
            return CompletableFuture.completedFuture(null);
        }
        String server = entry.server();
        CompletableFuture<Void> attached = new CompletableFuture<>();
        run(attached, () -> {
            api.addServer(backend, server, address, healthCheck);
            api.enableServer(backend, server);
            if (healthCheck) {
                api.enableHealth(backend, server);
            }
            LOG.debug("added server {}/{} at {} for instance {}", backend, server, Addresses.text(address), id);
            poll(server, ServerStat::isTakingTraffic, attachTimeout, "taking traffic").whenComplete((stat, error) -> {
                if (error == null) {
                    LOG.info("attached instance {} as {}/{} ({}:{})", id, backend, server, address.getHostString(),
                            address.getPort());
                    attached.complete(null);
                } else {
                    entries.remove(id, entry);
                    removeQuietly(server);
                    attached.completeExceptionally(error);
                }
            });
        }, () -> entries.remove(id, entry));
        return attached;
    }

    /**
     * {@inheritDoc}
     *
     * <p>Completes once {@code show stat} shows the server in drain: HAProxy sends it no new request. Completes
     * exceptionally with a {@link HaproxyException} when HAProxy refuses the drain or does not show it within the
     * session wait; the instance then counts as attached. A second call while a detach runs returns the same stage.
     * The requests running on the server go on: see {@link #settled}.
     */
    @Override
    public CompletionStage<Void> detach(Lifecycle instance) {
        Objects.requireNonNull(instance, "instance must not be null");
        String id = instance.id();
        CompletableFuture<Void> detached = new CompletableFuture<>();
        CompletableFuture<Void> settled = new CompletableFuture<>();
        Entry entry = entries.computeIfPresent(id, (key, current) -> current.detached() == null
                ? new Entry(current.server(), detached, settled) : current);
        if (entry == null) {
            return CompletableFuture.completedFuture(null);
        }
        if (entry.detached() != detached) {
            return entry.detached();
        }
        CompletableFuture<Void> pending = handOvers.merge(id, settled,
                (earlier, next) -> CompletableFuture.allOf(earlier, next));
        pending.whenComplete((ignored, error) -> handOvers.remove(id, pending));
        String server = entry.server();
        Runnable notDetached = () -> {
            restore(id, entry);
            settled.complete(null);
        };
        run(detached, () -> {
            api.setServerState(backend, server, ServerAdminState.DRAIN);
            long deadline = System.nanoTime() + sessionWaitTimeout.toNanos();
            poll(server, stat -> stat.isDraining() || stat.isInMaintenance(), deadline, sessionWaitTimeout,
                    "in drain")
                    .whenComplete((stat, error) -> {
                        if (error == null || drainConfirmed(server)) {
                            LOG.info("instance {} out of the rotation: {}/{} in drain", id, backend, server);
                            detached.complete(null);
                            settle(id, entry, deadline);
                        } else {
                            notDetached.run();
                            detached.completeExceptionally(error);
                        }
                    });
        }, notDetached);
        return detached;
    }

    /**
     * {@inheritDoc}
     *
     * <p>Completes once {@code show stat} shows the detached server with no session and no queued request, and the
     * server is in maintenance and deleted; or, when requests still run at the end of the session wait (counted
     * from the detach), then, leaving the server to be removed in the background once they end, within the removal
     * timeout. If HAProxy still holds an idle connection to the server, the delete is retried in the background.
     * Completes exceptionally with a {@link HaproxyException} when the router is closed first. An instance
     * detached, attached again (a re-admission) and detached again while its first server still had sessions has two
     * servers to hand over: this waits for both.
     */
    @Override
    public CompletionStage<Void> settled(Lifecycle instance) {
        Objects.requireNonNull(instance, "instance must not be null");
        CompletableFuture<Void> pending = handOvers.get(instance.id());
        return pending == null ? CompletableFuture.completedFuture(null) : pending.copy();
    }

    /** After a confirmed drain: waits for the server's sessions to end (until {@code deadline}), then removes it. */
    private void settle(String id, Entry entry, long deadline) {
        String server = entry.server();
        CompletableFuture<Void> settled = entry.settled();
        poll(server, stat -> stat.sessions() == 0 && stat.queued() == 0, deadline, sessionWaitTimeout,
                "without session").whenComplete((stat, error) -> {
                    if (error != null && scheduler.isShutdown()) {
                        settled.completeExceptionally(error);
                        remove(id, entry);
                        return;
                    }
                    if (error != null) {
                        LOG.warn("instance {} ({}/{}) is in drain but its sessions did not end within {} ({});"
                                + " removing it once they end", id, backend, server, sessionWaitTimeout,
                                error.getMessage());
                        settled.complete(null);
                        remove(id, entry);
                        return;
                    }
                    run(settled, () -> {
                        api.setServerState(backend, server, ServerAdminState.MAINT);
                        boolean deleted = api.deleteServer(backend, server);
                        LOG.info("instance {} settled: {}/{} drained with no session, {}", id, backend, server,
                                deleted ? "deleted" : "in maintenance (deleting it later)");
                        if (deleted) {
                            entries.remove(id, entry);
                        }
                        settled.complete(null);
                        if (!deleted) {
                            remove(id, entry);
                        }
                    }, () -> remove(id, entry));
                });
    }

    /**
     * {@inheritDoc}
     *
     * <p>Reads {@code show stat} of the backend: a server named after one of the instances (as {@link #attach} names
     * them: the instance id, then {@code -<n>}) that takes traffic is taken as that instance's, attached. Servers in
     * drain or maintenance are not: {@link #detachOthers} removes them.
     */
    @Override
    public CompletionStage<Set<String>> adoptAttached(Collection<? extends Lifecycle> instances) {
        Objects.requireNonNull(instances, "instances must not be null");
        CompletableFuture<Set<String>> adopted = new CompletableFuture<>();
        run(adopted, () -> {
            Map<String, Lifecycle> byPrefix = new HashMap<>();
            for (Lifecycle instance : instances) {
                byPrefix.put(serverPrefix(instance.id()), instance);
            }
            Set<String> found = new HashSet<>();
            for (ServerStat stat : api.showStat(backend)) {
                String server = stat.server();
                int dash = server.lastIndexOf('-');
                if (dash <= 0) {
                    continue;
                }
                Lifecycle instance = byPrefix.get(server.substring(0, dash));
                long number = parseSequence(server.substring(dash + 1));
                if (number > 0) {
                    sequence.accumulateAndGet(number, Math::max);
                }
                if (instance != null && number > 0 && stat.isTakingTraffic()
                        && entries.putIfAbsent(instance.id(), new Entry(server, null, null)) == null) {
                    found.add(instance.id());
                    LOG.info("adopted instance {} as {}/{}, which takes traffic", instance.id(), backend, server);
                }
            }
            adopted.complete(found);
        }, () -> { });
        return adopted;
    }

    /**
     * {@inheritDoc}
     *
     * <p>Every server of the backend that is not the server of an attached instance among {@code keep} is set to
     * drain; the stage completes when {@code show stat} shows each in drain or maintenance and then without session
     * (as {@link #detach} and {@link #settled} would; both bounded by one session wait, after which it completes
     * anyway). Each is put in maintenance and deleted in the background once it has no session (bounded by the
     * removal timeout). A server that HAProxy does not show in drain within the session wait fails the stage.
     */
    @Override
    public CompletionStage<Void> detachOthers(Set<String> keep) {
        Objects.requireNonNull(keep, "keep must not be null");
        CompletableFuture<Void> detached = new CompletableFuture<>();
        run(detached, () -> {
            Set<String> kept = new HashSet<>();
            entries.forEach((id, entry) -> {
                if (keep.contains(id)) {
                    kept.add(entry.server());
                }
            });
            List<CompletableFuture<?>> drains = new ArrayList<>();
            for (ServerStat stat : api.showStat(backend)) {
                String server = stat.server();
                if (kept.contains(server)) {
                    continue;
                }
                LOG.info("removing {}/{} ({}): it leads to no instance the orchestrator keeps", backend, server,
                        stat.status());
                if (!stat.isInMaintenance()) {
                    api.setServerState(backend, server, ServerAdminState.DRAIN);
                }
                long deadline = System.nanoTime() + sessionWaitTimeout.toNanos();
                drains.add(poll(server, current -> current.isDraining() || current.isInMaintenance(), deadline,
                        sessionWaitTimeout, "in drain")
                        // then its hand-over: a retiring instance's intake closes next. Bounded; a server already
                        // deleted (its sessions ended) or unreadable ends the wait, as the session wait's end does
                        .thenCompose(inDrain -> poll(server, current -> current.sessions() == 0
                                && current.queued() == 0, deadline, sessionWaitTimeout, "without session")
                                .handle((settled, notSettled) -> null)));
                remove("left behind: " + server, new Entry(server, null, null));
            }
            CompletableFuture.allOf(drains.toArray(new CompletableFuture<?>[0])).whenComplete((ignored, error) -> {
                if (error == null) {
                    detached.complete(null);
                } else {
                    detached.completeExceptionally(error);
                }
            });
        }, () -> { });
        return detached;
    }

    private static long parseSequence(String text) {
        try {
            return Long.parseLong(text);
        } catch (NumberFormatException e) {
            return -1;
        }
    }

    /** A detach failed before the server left the rotation: the instance counts as attached again. */
    private void restore(String id, Entry entry) {
        entries.replace(id, entry, new Entry(entry.server(), null, null));
    }

    private boolean drainConfirmed(String server) {
        try {
            return api.serverStat(backend, server).map(ServerStat::isDraining).orElse(false);
        } catch (RuntimeException e) {
            LOG.warn("could not read the state of {}/{}: {}", backend, server, e.getMessage());
            return false;
        }
    }

    /**
     * In the background, once the detached server has no session: maintenance, then {@code del server} until
     * HAProxy lets it go, all within the removal timeout. A server that cannot be deleted in time stays in
     * maintenance, where it takes no traffic (logged).
     */
    private void remove(String id, Entry entry) {
        String server = entry.server();
        long deadline = System.nanoTime() + removalTimeout.toNanos();
        CompletableFuture<Void> removed = new CompletableFuture<>();
        poll(server, stat -> stat.sessions() == 0 && stat.queued() == 0, removalTimeout, "without session")
                .whenComplete((stat, error) -> run(removed, () -> {
                    api.setServerState(backend, server, ServerAdminState.MAINT);
                    retryDelete(server, deadline, removed);
                }, () -> { }));
        removed.whenComplete((ignored, error) -> {
            entries.remove(id, entry);
            if (error == null) {
                LOG.debug("deleted server {}/{} of instance {}", backend, server, id);
            } else {
                LOG.warn("could not delete server {}/{} of instance {}; it stays in maintenance: {}", backend, server,
                        id, error.getMessage());
            }
        });
    }

    private void retryDelete(String server, long deadline, CompletableFuture<Void> removed) {
        run(removed, () -> {
            if (api.deleteServer(backend, server)) {
                removed.complete(null);
            } else if (System.nanoTime() - deadline >= 0) {
                removed.completeExceptionally(new HaproxyException("del server " + backend + "/" + server
                        + " still refused after " + removalTimeout + ": the server still has connections"));
            } else {
                schedule(removed, () -> retryDelete(server, deadline, removed));
            }
        }, () -> { });
    }

    private void removeQuietly(String server) {
        try {
            api.setServerState(backend, server, ServerAdminState.MAINT);
            api.deleteServer(backend, server);
        } catch (RuntimeException e) {
            LOG.warn("could not remove server {}/{} after a failed attach: {}", backend, server, e.getMessage());
        }
    }

    private CompletableFuture<ServerStat> poll(String server, Predicate<ServerStat> condition, Duration bound,
                                               String what) {
        return poll(server, condition, System.nanoTime() + bound.toNanos(), bound, what);
    }

    private CompletableFuture<ServerStat> poll(String server, Predicate<ServerStat> condition, long deadline,
                                               Duration bound, String what) {
        CompletableFuture<ServerStat> reached = new CompletableFuture<>();
        pollOnce(server, condition, deadline, bound, what, reached);
        return reached;
    }

    private void pollOnce(String server, Predicate<ServerStat> condition, long deadline, Duration bound, String what,
                          CompletableFuture<ServerStat> reached) {
        run(reached, () -> {
            ServerStat stat = api.serverStat(backend, server).orElseThrow(() -> new HaproxyException(
                    "server " + backend + "/" + server + " is missing from 'show stat " + backend + " 4 -1'"));
            if (condition.test(stat)) {
                reached.complete(stat);
            } else if (System.nanoTime() - deadline >= 0) {
                reached.completeExceptionally(new HaproxyException("server " + backend + "/" + server + " not "
                        + what + " within " + bound + "; last seen: status '" + stat.status() + "', check '"
                        + stat.checkStatus() + "', scur " + stat.sessions() + ", qcur " + stat.queued()));
            } else {
                schedule(reached, () -> pollOnce(server, condition, deadline, bound, what, reached));
            }
        }, () -> { });
    }

    /** Runs a step on the scheduler; a failure completes {@code stage} exceptionally after {@code cleanup}. */
    private void run(CompletableFuture<?> stage, Runnable step, Runnable cleanup) {
        try {
            scheduler.execute(() -> {
                try {
                    step.run();
                } catch (RuntimeException e) {
                    cleanup.run();
                    stage.completeExceptionally(e);
                }
            });
        } catch (RejectedExecutionException e) {
            cleanup.run();
            stage.completeExceptionally(new HaproxyException("router of backend " + backend + " is closed", e));
        }
    }

    private void schedule(CompletableFuture<?> stage, Runnable step) {
        try {
            scheduler.schedule(step, pollInterval.toNanos(), TimeUnit.NANOSECONDS);
        } catch (RejectedExecutionException e) {
            stage.completeExceptionally(new HaproxyException("router of backend " + backend + " is closed", e));
        }
    }

    private static InetSocketAddress jettyInstanceAddress(Lifecycle instance) {
        if (instance instanceof JettyHandoff jetty) {
            return jetty.address();
        }
        throw new IllegalArgumentException("instance " + instance.id() + " is a " + instance.getClass().getName()
                + ", not a JettyHandoff: give the router an addressOf");
    }

    private static String serverName(String instanceId, long sequence) {
        return serverPrefix(instanceId) + "-" + sequence;
    }

    private static String serverPrefix(String instanceId) {
        StringBuilder name = new StringBuilder();
        for (int i = 0; i < instanceId.length() && name.length() < 40; i++) {
            char c = instanceId.charAt(i);
            boolean valid = c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '_'
                    || c == '.' || c == '-';
            name.append(valid ? c : '_');
        }
        return name.toString();
    }

    /**
     * Stops the router's own scheduler (not one passed to the builder); operations still running complete
     * exceptionally. Servers stay in HAProxy as they are. Idempotent.
     */
    @Override
    public void close() {
        if (ownsScheduler) {
            // Not shutdownNow: it would drop the polls scheduled, whose stages (a detach, a hand-over) would then
            // never complete. After shutdown each poll runs once more and fails as its next step is refused.
            scheduler.shutdown();
        }
    }

    /**
     * One instance's server in HAProxy.
     *
     * @param server   the server name
     * @param detached null while attached; the detach's stage once a detach started
     * @param settled  null while attached; completes when the detached server's sessions have ended (or the session
     *                 wait ran out)
     */
    private record Entry(String server, CompletableFuture<Void> detached, CompletableFuture<Void> settled) {
    }

    /** Configures a {@link HaproxyRouter}; validates each value as it is set. Not thread-safe. */
    public static final class Builder {
        private final Path adminSocket;
        private final String backend;
        private Function<Lifecycle, InetSocketAddress> addressOf = HaproxyRouter::jettyInstanceAddress;
        private boolean healthCheck;
        private Duration commandTimeout = Duration.ofSeconds(2);
        private Duration attachTimeout = Duration.ofSeconds(10);
        private Duration sessionWaitTimeout = Duration.ofSeconds(5);
        private Duration removalTimeout = Duration.ofSeconds(30);
        private Duration pollInterval = Duration.ofMillis(10);
        private ScheduledExecutorService scheduler;

        private Builder(Path adminSocket, String backend) {
            this.adminSocket = Objects.requireNonNull(adminSocket, "adminSocket must not be null");
            this.backend = HaproxyRuntimeApi.requireValidName("backend", backend);
        }

        /**
         * The same option, under the same name, as {@link dev.handoff.jetty.ProxyRouter.Builder#addressOf}.
         *
         * @param addressOf gives the IP address and port HAProxy must send an instance's requests to; by default
         *                  the address of a {@link JettyHandoff}'s application connector; for child JVMs,
         *                  {@link dev.handoff.jetty.process.ChildPorts#addressOf()}
         * @return this builder
         * @throws NullPointerException when {@code addressOf} is null
         */
        public Builder addressOf(Function<Lifecycle, InetSocketAddress> addressOf) {
            this.addressOf = Objects.requireNonNull(addressOf, "addressOf must not be null");
            return this;
        }

        /**
         * @param enabled whether servers are added with {@code check} and attach waits for a passed check
         * @return this builder
         */
        public Builder healthCheck(boolean enabled) {
            this.healthCheck = enabled;
            return this;
        }

        /**
         * @param timeout the bound on each Runtime API command
         * @return this builder
         * @throws IllegalArgumentException when not positive
         */
        public Builder commandTimeout(Duration timeout) {
            this.commandTimeout = Checks.positive("commandTimeout", timeout);
            return this;
        }

        /**
         * @param timeout how long an attach waits for the server to take traffic
         * @return this builder
         * @throws IllegalArgumentException when not positive
         */
        public Builder attachTimeout(Duration timeout) {
            this.attachTimeout = Checks.positive("attachTimeout", timeout);
            return this;
        }

        /**
         * @param timeout how long, from a detach, the router waits for the drain to show in {@code show stat}
         *                ({@link HaproxyRouter#detach detach}) and for the server's sessions to end
         *                ({@link HaproxyRouter#settled settled}); when sessions remain, {@code settled} completes at
         *                this bound and leaves the removal to the background. Keep it below the orchestrator's detach
         *                timeout
         * @return this builder
         * @throws IllegalArgumentException when not positive
         */
        public Builder sessionWaitTimeout(Duration timeout) {
            this.sessionWaitTimeout = Checks.positive("sessionWaitTimeout", timeout);
            return this;
        }

        /**
         * @param timeout how long {@code del server} is retried while HAProxy still holds connections to it
         * @return this builder
         * @throws IllegalArgumentException when not positive
         */
        public Builder removalTimeout(Duration timeout) {
            this.removalTimeout = Checks.positive("removalTimeout", timeout);
            return this;
        }

        /**
         * @param interval the pause between two reads of {@code show stat} while waiting
         * @return this builder
         * @throws IllegalArgumentException when not positive
         */
        public Builder pollInterval(Duration interval) {
            this.pollInterval = Checks.positive("pollInterval", interval);
            return this;
        }

        /**
         * @param executor runs the router's socket calls and polls; by default the router owns a single daemon
         *                 thread, stopped by {@link HaproxyRouter#close()}
         * @return this builder
         * @throws NullPointerException when {@code executor} is null
         */
        public Builder scheduler(ScheduledExecutorService executor) {
            this.scheduler = Objects.requireNonNull(executor, "scheduler must not be null");
            return this;
        }

        /**
         * @return a router with this configuration; nothing is sent to HAProxy until the first attach
         */
        public HaproxyRouter build() {
            return new HaproxyRouter(this);
        }
    }
}
