package dev.handoff.jetty.internal;

import java.util.concurrent.ExecutorService;
import java.util.concurrent.SynchronousQueue;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The default executor for the blocking calls of Jetty's lifecycle ({@code Server.start()}, {@code stop()}), so
 * that the SPI methods return at once. Daemon threads, created on demand, gone after 30 s idle. Not API.
 */
public final class Blocking {

    private static final AtomicInteger COUNT = new AtomicInteger();

    /** Shared; never shut down (it holds nothing once idle). */
    public static final ExecutorService EXECUTOR = new ThreadPoolExecutor(0, Integer.MAX_VALUE, 30,
            TimeUnit.SECONDS, new SynchronousQueue<>(), runnable -> {
                Thread thread = new Thread(runnable, "handoff-jetty-" + COUNT.incrementAndGet());
                thread.setDaemon(true);
                return thread;
            });

    private Blocking() {
    }
}
