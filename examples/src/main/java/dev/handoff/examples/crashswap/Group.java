package dev.handoff.examples.crashswap;

import dev.handoff.api.LifecycleState;
import dev.handoff.api.Member;
import dev.handoff.api.spi.Launcher;
import dev.handoff.core.Orchestrator;
import dev.handoff.core.process.ChildProcessInstance;
import dev.handoff.core.process.ChildProcessLauncher;

import java.time.Duration;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;
import java.util.function.BooleanSupplier;
import java.util.stream.Collectors;

/**
 * What both groups of {@code crash-swap} share: the child JVMs launched (tracked, so that every one is stopped by
 * PID at the end), the orchestrator's members, and the bounded waits. Thread-safe.
 */
final class Group {

    /** The group's size. */
    static final int SIZE = 2;
    static final Duration BACKOFF_MIN = Duration.ofMillis(250);
    static final Duration BACKOFF_MAX = Duration.ofSeconds(4);
    private static final Duration POLL = Duration.ofMillis(20);

    private final ConcurrentLinkedQueue<ChildProcessInstance> children = new ConcurrentLinkedQueue<>();

    /** @return a launcher that records each child it launches */
    Launcher tracking(ChildProcessLauncher launcher) {
        return instanceId -> launcher.launch(instanceId).thenApply(handle -> {
            children.add((ChildProcessInstance) handle);
            return handle;
        });
    }

    /** @return how many child JVMs were launched */
    int launched() {
        return children.size();
    }

    /** @return the member killed: the oldest one */
    static ChildProcessInstance oldest(Orchestrator orchestrator) {
        List<Member> members = orchestrator.members();
        if (members.isEmpty()) {
            throw new IllegalStateException("group " + orchestrator.group() + " has no member to kill");
        }
        return (ChildProcessInstance) members.get(0).instance();
    }

    /** @return the ids of the members now */
    static Set<String> memberIds(Orchestrator orchestrator) {
        return orchestrator.members().stream().map(member -> member.instance().id()).collect(Collectors.toSet());
    }

    /** @return whether the group has its size, none of {@code gone} among its members, all of them READY */
    static boolean whole(Orchestrator orchestrator, Set<String> gone) {
        List<Member> members = orchestrator.members();
        return members.size() == SIZE && members.stream().allMatch(member ->
                !gone.contains(member.instance().id()) && member.instance().state() == LifecycleState.READY);
    }

    /**
     * Waits for a condition that crosses processes (a child's exit, a heal run): checked every 20 ms, bounded.
     *
     * @return whether it held within {@code timeout}
     */
    static boolean await(BooleanSupplier condition, Duration timeout) {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() - deadline >= 0) {
                return false;
            }
            LockSupport.parkNanos(POLL.toNanos());
        }
        return true;
    }

    /** Stops every child still alive by PID: SIGKILL, then waits (bounded) for its exit. */
    void killLeftovers() {
        for (ChildProcessInstance child : children) {
            ProcessHandle handle = child.processHandle();
            if (handle.isAlive()) {
                handle.destroyForcibly();
                try {
                    handle.onExit().get(10, TimeUnit.SECONDS);
                } catch (Exception e) {
                    // counted as an orphan at the end
                }
            }
        }
    }
}
