package dev.handoff.api.event;

import dev.handoff.api.SwapResult;

/**
 * Told of each step of each swap, and of each swap's end. Methods are called in order for one swap, from the
 * orchestrator's threads; they must return quickly. An exception thrown here is logged and never breaks a swap.
 */
public interface SwapListener {
    /** @param event a step started, completed or failed */
    default void onStep(SwapEvent event) {
    }

    /** @param result a swap ended */
    default void onSwapEnd(SwapResult result) {
    }

    /**
     * A member failed outside a swap's own watch: it is being detached and, unless the orchestrator only reports,
     * replaced (the replacement runs as a start of its own, with the usual step events and result).
     *
     * @param failure which member, and why
     */
    default void onMemberFailure(MemberFailure failure) {
    }
}
