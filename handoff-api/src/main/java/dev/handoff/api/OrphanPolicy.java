package dev.handoff.api;

/**
 * What an instance that outlives its orchestrator (a child process launched under a state directory) does when no
 * orchestrator has re-adopted it within the orphan lease. An instance that was already draining when it was orphaned
 * (its orchestrator had detached it and asked it to drain) does not wait for the lease: it finishes its drain and
 * exits.
 */
public enum OrphanPolicy {
    /**
     * The default: run its own graceful termination (readiness down, the propagation delay while still serving,
     * drain, exit), so that nothing is orphaned forever.
     */
    TERMINATE_GRACEFULLY,
    /**
     * Keep serving, and keep waiting for an orchestrator, until the process is stopped by someone else (a
     * restarted orchestrator, SIGTERM). Only for groups whose router keeps routing without an orchestrator.
     */
    KEEP_SERVING
}
