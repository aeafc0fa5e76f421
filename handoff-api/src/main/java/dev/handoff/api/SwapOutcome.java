package dev.handoff.api;

/** How a swap ended. There is no other end: a swap is never left half-done. */
public enum SwapOutcome {
    /** Every new instance serves, every old instance drained in time (or was found dead) and was destroyed. */
    COMMITTED,
    /** A failure before the cut-over was final: new instances were destroyed, old ones serve as before. */
    ROLLED_BACK,
    /** Committed, but at least one old instance did not drain by its deadline and was forced to stop; the
     *  abandoned work is counted in {@link SwapResult#abandoned()}. */
    FORCED
}
