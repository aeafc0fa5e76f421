package dev.handoff.api;

/** The seven steps of one swap, in order, plus the re-admission and rollback work a failed swap does. */
public enum SwapStep {
    /** 1: the launcher starts the new instance; it takes no workload yet. */
    LAUNCH(1),
    /** 2: wait for the new instance's readiness signal. */
    AWAIT_READY(2),
    /** 3: the router attaches the new instance to the workload. */
    ATTACH(3),
    /** 4: the old instance is told to stop accepting, and the router detaches it. */
    DETACH(4),
    /** 5: the old instance's intake closes and it completes the work it has. */
    DRAIN(5),
    /** 6: wait for the old instance's drain-complete signal. */
    AWAIT_DRAINED(6),
    /** 7: the old instance is destroyed and its resources released. */
    DESTROY(7),
    /** A failed swap: the new instance is detached and destroyed. */
    ROLLBACK(0),
    /** A failed swap after step 4: the old instance resumes accepting and is attached again. */
    READMIT(0),
    /** A canary plan's user verification gate. */
    VERIFY(0);

    private final int number;

    SwapStep(int number) {
        this.number = number;
    }

    /**
     * @return the step's number in the seven-step contract (1 to 7), or 0 for the steps outside it; fixed per
     *     constant, whatever the order of declaration
     */
    public int number() {
        return number;
    }
}
