package dev.handoff.queue;

import java.util.Objects;

/**
 * A job as the {@link JobHandler} sees it. Immutable except for the payload array, which the handler must not
 * modify. Thread-safe.
 */
public final class Job {
    private final String id;
    private final byte[] body;
    private final boolean redelivered;
    private final int attempt;

    /**
     * @param id          the job's id; must not be null
     * @param body        the payload; must not be null (not copied)
     * @param redelivered whether the source delivered the job before
     * @param attempt     the attempt number seen by this consumer, from 1
     * @throws NullPointerException     when {@code id} or {@code body} is null
     * @throws IllegalArgumentException when {@code attempt < 1}
     */
    public Job(String id, byte[] body, boolean redelivered, int attempt) {
        this.id = Objects.requireNonNull(id, "id must not be null");
        this.body = Objects.requireNonNull(body, "body must not be null");
        if (attempt < 1) {
            throw new IllegalArgumentException("attempt must be >= 1, but was " + attempt);
        }
        this.redelivered = redelivered;
        this.attempt = attempt;
    }

    /** @return the job's id, stable across redeliveries */
    public String id() {
        return id;
    }

    /** @return the payload (not a copy: do not modify it) */
    public byte[] body() {
        return body;
    }

    /**
     * @return whether the job was delivered before: requeued after a failure, given back at a swap, or left
     *     unacknowledged by a consumer that stopped. A job may have been (partly) processed already.
     */
    public boolean redelivered() {
        return redelivered;
    }

    /**
     * @return the attempt number: 1, plus the failures recorded for the job, by this consumer instance or by
     *     the source in the job itself (RabbitMQ: a header that survives redeliveries and other consumers)
     */
    public int attempt() {
        return attempt;
    }

    @Override
    public String toString() {
        return "Job[" + id + ", attempt " + attempt + (redelivered ? ", redelivered" : "") + "]";
    }
}
