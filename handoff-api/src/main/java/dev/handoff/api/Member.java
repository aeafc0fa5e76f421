package dev.handoff.api;

import java.util.Objects;

/**
 * One member of an orchestrator's group: an instance, launched or adopted, and the release it runs. Immutable.
 *
 * @param instance the instance
 * @param release  the release it runs
 */
public record Member(Lifecycle instance, Release release) {
    /** Validates that no component is null. */
    public Member {
        Objects.requireNonNull(instance, "instance");
        Objects.requireNonNull(release, "release");
    }
}
