package dev.handoff.api.spi;

import dev.handoff.api.OrphanPolicy;

import java.nio.file.Path;
import java.time.Duration;
import java.util.Objects;

/**
 * What an orchestrator with a state directory tells its launchers ({@link Launcher#bind(StateBinding)}) once it has
 * taken the group: where the group's state lives, the epoch it raised, and how long its instances may run without an
 * orchestrator. Immutable, thread-safe.
 *
 * @param stateDirectory the group's state directory; a launcher keeps what it needs to re-attach its instances
 *                       under it (e.g. a folder per instance), readable by the owner only
 * @param group          the group's name
 * @param epoch          the epoch of the orchestrator that bound the launcher; instances refuse commands from an
 *                       older one
 * @param orphanLease    how long an instance waits for an orchestrator after losing its own
 * @param orphanPolicy   what it does when the lease runs out
 */
public record StateBinding(Path stateDirectory, String group, long epoch, Duration orphanLease,
                           OrphanPolicy orphanPolicy) {
    /**
     * @throws NullPointerException     when a field is null
     * @throws IllegalArgumentException when the epoch is less than 1 or the lease is not positive
     */
    public StateBinding {
        Objects.requireNonNull(stateDirectory, "stateDirectory must not be null");
        Objects.requireNonNull(group, "group must not be null");
        Objects.requireNonNull(orphanLease, "orphanLease must not be null");
        Objects.requireNonNull(orphanPolicy, "orphanPolicy must not be null");
        if (epoch < 1) {
            throw new IllegalArgumentException("epoch must be >= 1, but was " + epoch);
        }
        if (orphanLease.isNegative() || orphanLease.isZero()) {
            throw new IllegalArgumentException("orphanLease must be > 0, but was " + orphanLease);
        }
    }
}
