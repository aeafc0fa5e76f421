package dev.handoff.queue.internal;

import java.util.Objects;

/**
 * The checks that every consumer builder (this module's and the broker adapters') makes of the settings they share,
 * each naming the field and the value it refused, so that the messages are the same whatever the broker. Not API.
 */
public final class ConsumerChecks {

    private ConsumerChecks() {
    }

    /**
     * @param id a consumer's instance id
     * @return {@code id}
     * @throws NullPointerException     when null
     * @throws IllegalArgumentException when blank
     */
    public static String id(String id) {
        Objects.requireNonNull(id, "id must not be null");
        if (id.isBlank()) {
            throw new IllegalArgumentException("id must not be blank, but was '" + id + "'");
        }
        return id;
    }

    /**
     * @param threads the handler threads
     * @return {@code threads}
     * @throws IllegalArgumentException when not in {@code 1..1024}
     */
    public static int concurrency(int threads) {
        if (threads < 1 || threads > 1024) {
            throw new IllegalArgumentException("concurrency must be between 1 and 1024, but was " + threads);
        }
        return threads;
    }

    /**
     * @param attempts how many times a failing job runs before the failure policy applies
     * @return {@code attempts}
     * @throws IllegalArgumentException when {@code < 1}
     */
    public static int maxAttempts(int attempts) {
        if (attempts < 1) {
            throw new IllegalArgumentException("maxAttempts must be >= 1, but was " + attempts);
        }
        return attempts;
    }
}
