package dev.handoff.examples.crashswap;

import java.util.HashSet;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.TimeUnit;

/**
 * Counts the handoff JVMs a run left alive: processes whose command line names {@code dev.handoff}, other than this
 * JVM and its ancestors (a Maven run names {@code dev.handoff} in its {@code -Dtest}), that descend from this JVM
 * or carry its marker. The marker keeps the count to this run on a machine where other handoff runs go on.
 */
final class Orphans {

    private Orphans() {
    }

    /** @return the JVM option that marks the children of this JVM */
    static String marker() {
        return "-Dhandoff.crash-swap.parent=" + ProcessHandle.current().pid();
    }

    /** @return handoff processes of this run still alive */
    static long count() {
        ProcessHandle self = ProcessHandle.current();
        Set<Long> ancestors = new HashSet<>();
        for (Optional<ProcessHandle> parent = self.parent(); parent.isPresent(); parent = parent.get().parent()) {
            ancestors.add(parent.get().pid());
        }
        String marker = marker();
        return ProcessHandle.allProcesses()
                .filter(ProcessHandle::isAlive)
                .filter(process -> process.pid() != self.pid() && !ancestors.contains(process.pid()))
                .filter(process -> {
                    String commandLine = process.info().commandLine().orElse("");
                    return commandLine.contains("dev.handoff")
                            && (commandLine.contains(marker) || descendsFromSelf(process, self.pid()));
                })
                .count();
    }

    /** Kills (SIGKILL, by PID) what {@link #count()} counts, and waits up to 10 s for each to exit. */
    static void killAll() {
        ProcessHandle self = ProcessHandle.current();
        String marker = marker();
        ProcessHandle.allProcesses()
                .filter(process -> process.pid() != self.pid() && process.isAlive())
                .filter(process -> process.info().commandLine().orElse("").contains(marker))
                .forEach(process -> {
                    process.destroyForcibly();
                    try {
                        process.onExit().get(10, TimeUnit.SECONDS);
                    } catch (Exception e) {
                        // counted already
                    }
                });
    }

    private static boolean descendsFromSelf(ProcessHandle process, long self) {
        for (Optional<ProcessHandle> parent = process.parent(); parent.isPresent(); parent = parent.get().parent()) {
            if (parent.get().pid() == self) {
                return true;
            }
        }
        return false;
    }
}
