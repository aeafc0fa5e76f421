package dev.handoff.core.internal.swap;

import dev.handoff.api.OrphanPolicy;
import java.nio.file.Path;

import dev.handoff.api.event.SwapListener;
import dev.handoff.api.Release;
import dev.handoff.api.spi.Router;
import dev.handoff.core.Orchestrator;
import dev.handoff.core.Scheduler;
import io.micrometer.core.instrument.MeterRegistry;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.Executor;

/**
 * The validated, immutable configuration of one orchestrator, built by {@code Orchestrator.Builder}.
 *
 * <p>Not API.
 *
 * @param group            the group's name
 * @param release          the release the group runs at first (its launcher is step 1)
 * @param router           steps 3 and 4
 * @param scheduler        time and timeouts
 * @param executor         where SPI calls and continuations run
 * @param ownsExecutor     whether the orchestrator created the executor (and shuts it down on close)
 * @param registry         the meter registry, or null for no metrics
 * @param listeners        told of every step and swap end
 * @param launchTimeout    bound on step 1
 * @param readyTimeout     bound on step 2
 * @param attachTimeout    bound on step 3 and on each call of a re-admission
 * @param detachTimeout    bound on each call of step 4 and on the detach of a rollback
 * @param propagationDelay waited after a confirmed detach, on top of the router's own delay
 * @param drainTimeout     bound on step 6
 * @param forceTimeout     bound on the force-stop after a missed drain deadline
 * @param destroyTimeout   bound on step 7 and on the destroy of a rollback
 * @param verifyTimeout    bound on a canary's verification gate
 * @param onClose          what close does with the group's instances
 * @param onMemberFailure  what the supervisor does with a member that fails between swaps
 * @param replaceBackoffMin the first wait before another replacement when one failed or died young
 * @param replaceBackoffMax the longest such wait; also how long a replacement must live to count as healthy
 * @param readinessLossThreshold how long a member may stay out of READY between swaps before it counts as failed
 * @param stateDirectory   where the journal lives, or null for none
 * @param orphanLease      how long launched instances wait for an orchestrator once orphaned (with a state directory)
 * @param orphanPolicy     what they do when the lease runs out
 */
public record Settings(String group, Release release, Router router, Scheduler scheduler, Executor executor,
                       boolean ownsExecutor, MeterRegistry registry, List<SwapListener> listeners,
                       Duration launchTimeout, Duration readyTimeout, Duration attachTimeout,
                       Duration detachTimeout, Duration propagationDelay, Duration drainTimeout,
                       Duration forceTimeout, Duration destroyTimeout, Duration verifyTimeout,
                       Orchestrator.OnClose onClose, Orchestrator.OnMemberFailure onMemberFailure,
                       Duration replaceBackoffMin, Duration replaceBackoffMax, Duration readinessLossThreshold,
                       Path stateDirectory, Duration orphanLease, OrphanPolicy orphanPolicy) {
    /** Copies the listener list. */
    public Settings {
        listeners = List.copyOf(listeners);
    }
}
