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
}
