package dev.handoff.api;

import java.util.Objects;
import java.util.Optional;

/**
 * How a swap replaces the instances of a group. Immutable and thread-safe; build one with the static factories,
 * which validate their arguments.
 *
 * <ul>
 *   <li>{@link #oneForOne()}: the group has one instance; replace it.</li>
 *   <li>{@link #rolling(int, int)}: replace N instances, as many at once as the bounds allow (Kubernetes'
 *       semantics): never fewer than {@code N - maxUnavailable} ready and attached, never more than
 *       {@code N + maxSurge} alive. Each instance's replacement is its own seven steps; the plan halts at the first
 *       one that rolls back (the ones that cut over before it stay replaced). A {@code maxUnavailable} of N or more
 *       is refused when the swap is asked for: it could leave the group empty.</li>
 *   <li>{@link #blueGreen()}: all N new instances ready and attached before any old one is detached; all or
 *       nothing.</li>
 *   <li>{@link #canary(VerificationGate)}: one new instance is attached beside the old ones and the gate runs; on
 *       success the rest roll over with {@code maxSurge 1, maxUnavailable 0}, on failure the canary is destroyed
 *       and every old instance serves on, untouched.</li>
 * </ul>
 */
public final class Plan {

    /** The kind of plan. */
    public enum Kind {
        /** One instance replaced by one. */
        ONE_FOR_ONE,
        /** N instances, as many at once as the surge and unavailability bounds allow. */
        ROLLING,
        /** N new alongside N old, then cut over. */
        BLUE_GREEN,
        /** One, verified, then the rest. */
        CANARY,
        /**
         * The group's first instances, launched by {@code Orchestrator.start(count)}: all at once, all or nothing.
         * Not a plan to swap by.
         */
        START
    }

    private static final Plan ONE_FOR_ONE = new Plan(Kind.ONE_FOR_ONE, 1, 0, null);
    /** Surge "all": N new instances beside the N old ones, whatever N is. */
    private static final Plan BLUE_GREEN = new Plan(Kind.BLUE_GREEN, Integer.MAX_VALUE, 0, null);
    private static final Plan START = new Plan(Kind.START, Integer.MAX_VALUE, 0, null);

    private final Kind kind;
    private final int maxSurge;
    private final int maxUnavailable;
    private final VerificationGate gate;

    private Plan(Kind kind, int maxSurge, int maxUnavailable, VerificationGate gate) {
        this.kind = kind;
        this.maxSurge = maxSurge;
        this.maxUnavailable = maxUnavailable;
        this.gate = gate;
    }

    /** @return the plan that replaces the only instance of a group (surge 1: the new one starts first) */
    public static Plan oneForOne() {
        return ONE_FOR_ONE;
    }

    /**
     * @param maxSurge       how many instances above N may be alive at once; {@code >= 0} (more than N counts as N)
     * @param maxUnavailable how many of the N may be missing from the ready and attached set at once; {@code >= 0},
     *                       and less than the group's size when the swap starts (else the swap is refused)
     * @return a rolling plan
     * @throws IllegalArgumentException when either is negative or both are 0 (no replacement could ever start)
     */
    public static Plan rolling(int maxSurge, int maxUnavailable) {
        if (maxSurge < 0) {
            throw new IllegalArgumentException("maxSurge must be >= 0, but was " + maxSurge);
        }
        if (maxUnavailable < 0) {
            throw new IllegalArgumentException("maxUnavailable must be >= 0, but was " + maxUnavailable);
        }
        if (maxSurge == 0 && maxUnavailable == 0) {
            throw new IllegalArgumentException(
                    "maxSurge and maxUnavailable must not both be 0: no instance could ever be replaced");
        }
        return new Plan(Kind.ROLLING, maxSurge, maxUnavailable, null);
    }

    /** @return a blue-green plan */
    public static Plan blueGreen() {
        return BLUE_GREEN;
    }

    /**
     * The plan a start runs by: {@code Orchestrator.start(count)} launches, readies and attaches {@code count}
     * instances in an empty group, all at once (surge: all of them), all or nothing. Results and metrics of a start
     * carry it; a swap refuses it.
     *
     * @return the start plan
     */
    public static Plan start() {
        return START;
    }

    /**
     * @param gate the verification run while the canary serves beside the old instances
     * @return a canary plan
     * @throws NullPointerException when {@code gate} is null
     */
    public static Plan canary(VerificationGate gate) {
        Objects.requireNonNull(gate, "gate must not be null");
        return new Plan(Kind.CANARY, 1, 0, gate);
    }

    /** @return the kind of plan */
    public Kind kind() {
        return kind;
    }

    /**
     * The most instances above N this plan keeps alive at once while it replaces a group of N (new instances
     * launched and old ones not yet destroyed, draining ones included). The bound depends on N, so it is asked for
     * a group size: 1 for one-for-one and canary, N for blue-green (N new beside N old), {@code min(maxSurge, N)} for
     * rolling (a rolling swap never has more than N replacements to launch).
     *
     * @param groupSize N, the instances in the group; {@code >= 1}
     * @return the bound on instances alive above N, between 0 and N
     * @throws IllegalArgumentException when {@code groupSize < 1}
     */
    public int maxSurge(int groupSize) {
        checkGroupSize(groupSize);
        return Math.min(maxSurge, groupSize);
    }

    /**
     * The most of the N instances this plan lets be missing from the ready, attached set at once while it replaces
     * a group of N: {@code min(maxUnavailable, N)} for rolling, 0 for the others (they launch before they retire).
     * An orchestrator refuses a plan whose bound is N: it could leave the group empty.
     *
     * @param groupSize N, the instances in the group; {@code >= 1}
     * @return the bound on instances missing, between 0 and N
     * @throws IllegalArgumentException when {@code groupSize < 1}
     */
    public int maxUnavailable(int groupSize) {
        checkGroupSize(groupSize);
        return Math.min(maxUnavailable, groupSize);
    }

    private static void checkGroupSize(int groupSize) {
        if (groupSize < 1) {
            throw new IllegalArgumentException("groupSize must be >= 1, but was " + groupSize);
        }
    }

    /** @return the canary gate; present only for {@link Kind#CANARY} */
    public Optional<VerificationGate> gate() {
        return Optional.ofNullable(gate);
    }

    @Override
    public String toString() {
        switch (kind) {
            case ROLLING:
                return "rolling(maxSurge=" + maxSurge + ", maxUnavailable=" + maxUnavailable + ")";
            case BLUE_GREEN:
                return "blue-green";
            case CANARY:
                return "canary";
            case START:
                return "start";
            default:
                return "one-for-one";
        }
    }
}
