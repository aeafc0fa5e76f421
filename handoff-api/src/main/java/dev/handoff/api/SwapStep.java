package dev.handoff.api;

/** The seven steps of one swap, in order, plus the re-admission and rollback work a failed swap does. */
public enum SwapStep {
    /** 1: the launcher starts the new instance; it takes no workload yet. */
    LAUNCH(1),
    /** 2: wait for the new instance's readiness signal. */
    AWAIT_READY(2),
    /** 3: the router attaches the new instance to the workload. */
    ATTACH(3),
    /**
     * 4: the old instance is told to stop accepting, and the router takes it out of the rotation (confirmed, or its
     * propagation delay waited out). On every router this is the time to leave the rotation; work already routed to
     * the instance goes on.
     */
    DETACH(4),
    /**
     * 5: the router's hand-over ({@link dev.handoff.api.spi.Router#settled}: what a proxy or load balancer already
     * sent to the old instance ends; nothing for a shared port or a broker), then the old instance's intake closes.
     */
    DRAIN(5),
    /**
     * 6: the old instance completes the work it holds, until its drain-complete signal (or, at the drain deadline,
     * its forced stop). Steps 5 and 6 together are the drain on every router: from out of the rotation to drained.
     */
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
