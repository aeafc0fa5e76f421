package dev.handoff.examples.webswap;

import dev.handoff.api.SwapResult;

/** A handoff swap of web-swap ended ROLLED_BACK or FORCED; carries its result for the report. */
final class SwapNotCommittedException extends Exception {
    private static final long serialVersionUID = 1L;

    private final transient SwapResult result;

    /** @param result the swap's result */
    SwapNotCommittedException(SwapResult result) {
        super("swap " + result.swapId() + " ended " + result.outcome(), result.cause().orElse(null));
        this.result = result;
    }

    /** @return the swap's result */
    SwapResult result() {
        return result;
    }
}
