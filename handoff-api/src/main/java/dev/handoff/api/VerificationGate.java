package dev.handoff.api;

import java.util.concurrent.CompletionStage;

/**
 * The user's check in a canary plan: after the first new instance is ready and attached beside the old ones, the
 * gate decides whether the plan continues. The orchestrator bounds the wait with its verification timeout.
 */
@FunctionalInterface
public interface VerificationGate {
    /**
     * @param canaryInstanceId the id of the canary instance, attached and serving
     * @return a stage completing with {@code true} to continue, {@code false} (or exceptionally) to roll back
     */
    CompletionStage<Boolean> verify(String canaryInstanceId);
}
