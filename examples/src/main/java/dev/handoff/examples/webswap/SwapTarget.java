package dev.handoff.examples.webswap;

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
     * @throws Exception when the swap fails
     */
    void swap() throws Exception;

    /**
     * Stops everything this target started.
     *
     * @throws Exception when something could not be stopped
     */
    void stop() throws Exception;
}
