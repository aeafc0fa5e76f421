package dev.handoff.examples.webswap;

import dev.handoff.api.Lifecycle;
import dev.handoff.api.SwapResult;
import java.util.List;
import java.util.Optional;

import java.net.InetSocketAddress;

/** One way of running and replacing the demo server: a mode's server side. Used by one thread. */
interface SwapTarget {

    /**
     * Starts the first server and whatever routes to it.
     *
     * @return the public loopback address the clients use
     * @throws Exception when it cannot start
     */
    InetSocketAddress start() throws Exception;

    /**
     * Replaces the running server with a new one, the mode's way; returns when the old one is gone.
     *
     * @return the swap's result, for the handoff modes; empty for a plain restart
     * @throws Exception when the swap fails
     */
    Optional<SwapResult> swap() throws Exception;

    /** @return the instances serving now, for the report's in-flight samples; none for a plain restart */
    default List<Lifecycle> instances() {
        return List.of();
    }

    /**
     * Stops everything this target started.
     *
     * @throws Exception when something could not be stopped
     */
    void stop() throws Exception;
}
