package dev.handoff.core.internal.journal;

import dev.handoff.api.SwapOutcome;
import dev.handoff.api.SwapStep;

import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.TreeMap;

/**
 * What the journal records about a group: its openings (epochs), its members, the router's bindings, and each swap's
 * intent, completed steps and end. A {@link Journal} gives each appended record a sequence number
 * ({@link JournalEntry}); replaying the records in order rebuilds the group as the orchestrator last knew it.
 *
 * <p>Every record is an immutable value (collections are copied); the constructors refuse null fields with a
 * {@link NullPointerException} naming the field, and blank identifiers with an {@link IllegalArgumentException}
 * naming the field and the value. Thread-safe.
 */
public sealed interface JournalRecord {

    /**
     * An orchestrator took the group: written by {@link Journal#open} with the epoch it raised, and as the first
     * record of every snapshot.
     *
     * @param group the group's name
     * @param epoch the epoch of the orchestrator that opened it, 1 for the first one
     */
    record GroupOpened(String group, long epoch) implements JournalRecord {
        /**
         * @throws NullPointerException     when {@code group} is null
         * @throws IllegalArgumentException when {@code group} is blank or {@code epoch} is less than 1
         */
        public GroupOpened {
            nonBlank("group", group);
            if (epoch < 1) {
                throw new IllegalArgumentException("epoch must be >= 1, but was " + epoch);
            }
        }
    }

    /** How an instance became a member. */
    enum MemberKind {
        /** The orchestrator launched it through a launcher, and destroys it when it retires. */
        LAUNCHED,
        /** It already ran and joined the group (adoption, or re-adoption by a restarted orchestrator). */
        ADOPTED
    }

    /**
     * An instance became a member of the group.
     *
     * @param instanceId its id in the group
     * @param release    the label of the release it runs
     * @param kind       launched or adopted
     * @param attributes what a restarted orchestrator needs to find it again, e.g. {@code pid},
     *                   {@code control-socket}, {@code port}; copied, kept sorted by key
     */
    record MemberAdded(String instanceId, String release, MemberKind kind, Map<String, String> attributes)
            implements JournalRecord {
        /**
         * @throws NullPointerException     when a field, an attribute key or an attribute value is null
         * @throws IllegalArgumentException when {@code instanceId} or {@code release} is blank
         */
        public MemberAdded {
            nonBlank("instanceId", instanceId);
            nonBlank("release", release);
            Objects.requireNonNull(kind, "kind must not be null");
            Objects.requireNonNull(attributes, "attributes must not be null");
            TreeMap<String, String> sorted = new TreeMap<>();
            attributes.forEach((key, value) -> sorted.put(
                    Objects.requireNonNull(key, "attribute keys must not be null"),
                    Objects.requireNonNull(value, () -> "attribute '" + key + "' must not be null")));
            attributes = Collections.unmodifiableMap(sorted);
        }
    }

    /**
     * An instance left the group: retired by a swap, rolled back, found dead, destroyed on close.
     *
     * @param instanceId its id in the group
     * @param reason     why, free text (may be empty)
     */
    record MemberRemoved(String instanceId, String reason) implements JournalRecord {
        /**
         * @throws NullPointerException     when a field is null
         * @throws IllegalArgumentException when {@code instanceId} is blank
         */
        public MemberRemoved {
            nonBlank("instanceId", instanceId);
            Objects.requireNonNull(reason, "reason must not be null");
        }
    }

    /**
     * The router confirmed that it attached the instance to the workload.
     *
     * @param instanceId the instance's id
     */
    record RouterBound(String instanceId) implements JournalRecord {
        /**
         * @throws NullPointerException     when {@code instanceId} is null
         * @throws IllegalArgumentException when {@code instanceId} is blank
         */
        public RouterBound {
            nonBlank("instanceId", instanceId);
        }
    }

    /**
     * The router confirmed that it detached the instance from the workload.
     *
     * @param instanceId the instance's id
     */
    record RouterUnbound(String instanceId) implements JournalRecord {
        /**
         * @throws NullPointerException     when {@code instanceId} is null
         * @throws IllegalArgumentException when {@code instanceId} is blank
         */
        public RouterUnbound {
            nonBlank("instanceId", instanceId);
        }
    }

    /**
     * A swap is about to start: written before its first step acts.
     *
     * @param swapId         the swap's id, e.g. {@code web/swap-3}
     * @param plan           a description of its plan, free text (e.g. {@code rolling(maxSurge=1, maxUnavailable=0)})
     * @param release        the label of the release it deploys
     * @param oldInstanceIds the members it replaces, in the plan's order; copied
     */
    record SwapIntent(String swapId, String plan, String release, List<String> oldInstanceIds)
            implements JournalRecord {
        /**
         * @throws NullPointerException     when a field or an old instance id is null
         * @throws IllegalArgumentException when {@code swapId}, {@code release} or an old instance id is blank
         */
        public SwapIntent {
            nonBlank("swapId", swapId);
            Objects.requireNonNull(plan, "plan must not be null");
            nonBlank("release", release);
            Objects.requireNonNull(oldInstanceIds, "oldInstanceIds must not be null");
            oldInstanceIds.forEach(id -> nonBlank("oldInstanceIds element", id));
            oldInstanceIds = List.copyOf(oldInstanceIds);
        }
    }

    /**
     * A step of a swap completed for one instance.
     *
     * @param swapId     the swap's id
     * @param step       the step that completed
     * @param instanceId the instance it acted on
     */
    record StepDone(String swapId, SwapStep step, String instanceId) implements JournalRecord {
        /**
         * @throws NullPointerException     when a field is null
         * @throws IllegalArgumentException when {@code swapId} or {@code instanceId} is blank
         */
        public StepDone {
            nonBlank("swapId", swapId);
            Objects.requireNonNull(step, "step must not be null");
            nonBlank("instanceId", instanceId);
        }
    }

    /**
     * A swap ended.
     *
     * @param swapId  the swap's id
     * @param outcome how it ended
     */
    record SwapEnded(String swapId, SwapOutcome outcome) implements JournalRecord {
        /**
         * @throws NullPointerException     when a field is null
         * @throws IllegalArgumentException when {@code swapId} is blank
         */
        public SwapEnded {
            nonBlank("swapId", swapId);
            Objects.requireNonNull(outcome, "outcome must not be null");
        }
    }

    private static void nonBlank(String field, String value) {
        Objects.requireNonNull(value, () -> field + " must not be null");
        if (value.isBlank()) {
            throw new IllegalArgumentException(field + " must not be blank, but was '" + value + "'");
        }
    }
}
