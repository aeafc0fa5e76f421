package dev.handoff.core.internal.process;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * Every child process this JVM started and that is still alive, and the shutdown hook that destroys them when
 * this JVM exits, so that no child outlives its parent. (When the parent is killed with SIGKILL no hook runs;
 * the child's agent then sees its control channel close and exits by itself.)
 *
 * <p>The hook sends SIGTERM to every live child, waits for them together up to the longest termination budget
 * among them (the time each may take to terminate by itself: its propagation delay, drain and close), then sends
 * SIGKILL to the rest and waits up to {@link #KILL_WAIT}; then it closes the control sockets still open (of
 * children that never connected), which removes their folders. Thread-safe.
 */
public final class LiveChildren {

    /** How long it waits after SIGKILL. */
    public static final Duration KILL_WAIT = Duration.ofSeconds(2);

    private static final Logger LOG = LoggerFactory.getLogger(LiveChildren.class);
    private static final Map<Process, Duration> ALIVE = new ConcurrentHashMap<>();

    static {
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            destroyAll();
            ControlSocket.closeAll();
        }, "handoff-destroy-children"));
    }

    private LiveChildren() {
    }

    /**
     * @param process           a child just started; removed again when it exits
     * @param terminationBudget how long it may take to terminate by itself on SIGTERM
     */
    public static void register(Process process, Duration terminationBudget) {
        ALIVE.put(process, terminationBudget);
        process.onExit().thenRun(() -> ALIVE.remove(process));
    }

    /**
     * A child announced a termination budget longer than the one it was registered with: this JVM's shutdown waits
     * that long for it before any SIGKILL.
     *
     * @param pid    the child's pid
     * @param budget its announced budget
     */
    public static void extend(long pid, Duration budget) {
        for (Process process : ALIVE.keySet()) {
            if (process.pid() == pid) {
                ALIVE.computeIfPresent(process, (key, current) -> budget.compareTo(current) > 0 ? budget : current);
            }
        }
    }

    private static void destroyAll() {
        Map<Process, Duration> alive = Map.copyOf(ALIVE);
        if (alive.isEmpty()) {
            return;
        }
        List<Process> children = List.copyOf(alive.keySet());
        Duration budget = alive.values().stream().max(Duration::compareTo).orElseThrow();
        LOG.warn("JVM exiting with {} live child process(es); sending SIGTERM and waiting up to {} for their own"
                + " termination", children.size(), budget);
        children.forEach(Process::destroy);
        List<Process> stubborn = waitFor(children, budget);
        if (!stubborn.isEmpty()) {
            LOG.warn("{} child process(es) still alive after {}; sending SIGKILL", stubborn.size(), budget);
            stubborn.forEach(Process::destroyForcibly);
            waitFor(stubborn, KILL_WAIT);
        }
    }

    private static List<Process> waitFor(List<Process> children, Duration budget) {
        long deadline = System.nanoTime() + budget.toNanos();
        for (Process child : children) {
            try {
                child.onExit().get(Math.max(0, deadline - System.nanoTime()), TimeUnit.NANOSECONDS);
            } catch (TimeoutException e) {
                // Still alive: collected below.
            } catch (ExecutionException e) {
                LOG.warn("waiting for child process {} failed", child.pid(), e);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                break;
            }
        }
        return children.stream().filter(Process::isAlive).toList();
    }
}
