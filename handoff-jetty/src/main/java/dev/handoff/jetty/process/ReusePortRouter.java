package dev.handoff.jetty.process;

import dev.handoff.jetty.internal.Addresses;
import dev.handoff.api.Lifecycle;
import dev.handoff.api.LifecycleState;
import dev.handoff.api.spi.Router;

import java.net.InetSocketAddress;
import java.util.Collection;
import java.util.HashSet;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Function;

/**
 * The shared port across processes: every instance is a child JVM running a {@link ChildWebApp} built with
 * {@code reusePort(true)} on the same port, which it binds with {@code SO_REUSEPORT}. The kernel is the router: it
 * spreads new connections over every listener of the port, so an instance is attached from the moment it listens
 * (a {@link ChildWebApp} listens only once its application has started) and detached when its listener closes
 * (a {@link ChildWebApp} closes it when told to stop accepting, which the orchestrator does before it detaches).
 * The port never stops listening while one instance holds it.
 *
 * <p>What this router does: {@link #attach} checks that the instance reported the shared port, and records it;
 * {@link #detach} forgets it and completes at once, since the listener is already closed.
 *
 * <p>The children hold the port themselves, so they keep serving while no orchestrator lives (a killed one with a
 * state directory). A restarted orchestrator's recovery finds them through {@link #adoptAttached}; it leaves
 * {@link #detachOthers} as the default (nothing to do): a route is a child's own listener, which closes when the
 * child is told to stop accepting or exits.
 *
 * <p><b>The limit, measured</b> (see {@code docs/shared-port.md}): a connection that completes its handshake
 * into the closing listener's accept queue just before the close is reset by Linux, unless
 * {@code net.ipv4.tcp_migrate_req=1} (Linux 5.14+) moves it to another listener of the port. No connection is
 * ever refused. Use the in-process {@code SharedPortRouter} or a front proxy where a reset cannot be afforded.
 *
 * <p>Thread-safe.
 */
public final class ReusePortRouter implements Router {

    private final int port;
    private final Function<Lifecycle, InetSocketAddress> addressOf;
    private final Set<String> attached = ConcurrentHashMap.newKeySet();

    /**
     * @param port            the shared port
     * @param addressOf where each instance listens, e.g. {@link ChildPorts#addressOf()}
     * @throws NullPointerException     when {@code addressOf} is null
     * @throws IllegalArgumentException when {@code port} is not in 1..65535
     */
    public ReusePortRouter(int port, Function<Lifecycle, InetSocketAddress> addressOf) {
        if (port < 1 || port > 65535) {
            throw new IllegalArgumentException("port must be in 1..65535, but was " + port);
        }
        this.port = port;
        this.addressOf = Objects.requireNonNull(addressOf, "addressOf must not be null");
    }

    /**
     * Starts the router: checks the wiring of child JVMs' addresses ({@link ChildPorts#addressOf()}); the port
     * itself is bound by the children. Every router starts this way.
     *
     * @return this router
     * @throws IllegalStateException when {@code addressOf} reads a {@link ChildPorts} no launcher was configured with
     */
    public ReusePortRouter start() {
        ChildPorts.requireWired(addressOf);
        return this;
    }

    /** @return the shared port */
    public int port() {
        return port;
    }

    /**
     * @param instanceId an instance id
     * @return whether the instance is attached
     */
    public boolean isAttached(String instanceId) {
        return attached.contains(instanceId);
    }

    /**
     * {@inheritDoc}
     *
     * <p>Completes at once: the instance listens on the port since it became ready. Completes exceptionally with
     * an {@link IllegalArgumentException} when it listens on another port, or with the resolver's exception.
     */
    @Override
    public CompletionStage<Void> attach(Lifecycle instance) {
        Objects.requireNonNull(instance, "instance must not be null");
        try {
            InetSocketAddress address = addressOf.apply(instance);
            if (address == null || address.getPort() != port) {
                throw new IllegalArgumentException("instance " + instance.id() + " must listen on shared port "
                        + port + ", but listens on " + Addresses.text(address));
            }
        } catch (RuntimeException e) {
            return CompletableFuture.failedFuture(e);
        }
        attached.add(instance.id());
        return CompletableFuture.completedFuture(null);
    }

    /**
     * {@inheritDoc}
     *
     * <p>Completes at once: the instance closed its listener when it was told to stop accepting. (A restarted
     * orchestrator's recovery detaches a retiring instance that may still listen; its destroy then tells it to stop
     * accepting first, so what it accepted meanwhile is served.)
     */
    @Override
    public CompletionStage<Void> detach(Lifecycle instance) {
        Objects.requireNonNull(instance, "instance must not be null");
        attached.remove(instance.id());
        return CompletableFuture.completedFuture(null);
    }

    /** {@inheritDoc} At once: the kernel hands connections to the children's own listeners; the router carries none itself. */
    @Override
    public CompletionStage<Void> settled(Lifecycle instance) {
        return CompletableFuture.completedFuture(null);
    }

    /**
     * {@inheritDoc}
     *
     * <p>An instance is routed to while it listens on the shared port, which a {@link ChildWebApp} does while it is
     * READY (it closes its listener when told to stop accepting): adopts the READY instances that reported the shared
     * port, and no other (one that reported another port, or none, is left for {@link #attach} to refuse with the
     * reason). Completes at once.
     */
    @Override
    public CompletionStage<Set<String>> adoptAttached(Collection<? extends Lifecycle> instances) {
        Objects.requireNonNull(instances, "instances must not be null");
        Set<String> adopted = new HashSet<>();
        for (Lifecycle instance : instances) {
            if (instance.state() == LifecycleState.READY && listensOnThePort(instance)) {
                attached.add(instance.id());
                adopted.add(instance.id());
            }
        }
        return CompletableFuture.completedFuture(Set.copyOf(adopted));
    }

    private boolean listensOnThePort(Lifecycle instance) {
        try {
            InetSocketAddress address = addressOf.apply(instance);
            return address != null && address.getPort() == port;
        } catch (RuntimeException e) {
            return false;
        }
    }

    @Override
    public String toString() {
        return "ReusePortRouter[port=" + port + ", attached=" + attached + "]";
    }
}
