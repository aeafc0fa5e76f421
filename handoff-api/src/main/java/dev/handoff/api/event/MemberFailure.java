package dev.handoff.api.event;

import java.time.Instant;
import java.util.Objects;

/**
 * A member of a group failed between swaps (its process exited, its lifecycle went FAILED, it lost its broker or its
 * control channel): the orchestrator detaches it at once and, unless told to only report, replaces it. Immutable.
 *
 * @param group      the group
 * @param instanceId the failed instance
 * @param release    the label of the release it ran
 * @param at         when the orchestrator saw it, on its clock
 * @param cause      why it failed
 * @param replacing  whether the orchestrator will replace it to restore the group's size
 */
public record MemberFailure(String group, String instanceId, String release, Instant at, Throwable cause,
                            boolean replacing) {
    /** Validates that no component is null. */
    public MemberFailure {
        Objects.requireNonNull(group, "group");
        Objects.requireNonNull(instanceId, "instanceId");
        Objects.requireNonNull(release, "release");
        Objects.requireNonNull(at, "at");
        Objects.requireNonNull(cause, "cause");
    }
}
