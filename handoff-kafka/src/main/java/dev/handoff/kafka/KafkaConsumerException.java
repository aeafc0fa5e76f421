package dev.handoff.kafka;

import dev.handoff.api.HandoffException;

/** A {@link KafkaHandoffConsumer} could not connect, find its topics, or join its group. */
public class KafkaConsumerException extends HandoffException {
    private static final long serialVersionUID = 1L;

    /** @param message what failed, naming the broker, topic or consumer */
    public KafkaConsumerException(String message) {
        super(message);
    }

    /**
     * @param message what failed, naming the broker, topic or consumer
     * @param cause   the underlying failure
     */
    public KafkaConsumerException(String message, Throwable cause) {
        super(message, cause);
    }
}
