package dev.handoff.api;

/** The seven steps of one swap, in order, plus the re-admission and rollback work a failed swap does. */
public enum SwapStep {
    /** 1: the launcher starts the new instance; it takes no workload yet. */
    LAUNCH,
    /** 2: wait for the new instance's readiness signal. */
    AWAIT_READY,
    /** 3: the router attaches the new instance to the workload. */
    ATTACH,
    /** 4: the old instance is told to stop accepting, and the router detaches it. */
    DETACH,
    /** 5: the old instance's intake closes and it completes the work it has. */
    DRAIN,
    /** 6: wait for the old instance's drain-complete signal. */
    AWAIT_DRAINED,
    /** 7: the old instance is destroyed and its resources released. */
    DESTROY,
    /** A failed swap: the new instance is detached and destroyed. */
    ROLLBACK,
    /** A failed swap after step 4: the old instance resumes accepting and is attached again. */
    READMIT,
    /** A canary plan's user verification gate. */
    VERIFY;

    /** @return the step's number in the seven-step contract, or 0 for the steps outside it */
    public int number() {
        return ordinal() < 7 ? ordinal() + 1 : 0;
    }
}
