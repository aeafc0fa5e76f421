package dev.handoff.examples.queueswap;

import java.util.List;

/** How {@code queue-swap} replaces a consumer. */
public enum Mode {
    /** The handoff consumer, swapped by the orchestrator. */
    HANDOFF("handoff"),
    /** A plain consumer whose channel is closed at once; the new one starts first. */
    NAIVE("naive"),
    /** A plain consumer that cancels, processes everything prefetched, then closes (as Spring AMQP does). */
    CANCEL_AND_FINISH("cancel-and-finish"),
    /** Kafka: a plain consumer with the cooperative-sticky assignor that commits on revoke, without draining. */
    COOPERATIVE("cooperative"),
    /** Kafka: a plain consumer group that is never swapped, for the throughput baseline. */
    PLAIN("plain");

    private final String label;

    Mode(String label) {
        this.label = label;
    }

    /** @return the modes of a broker, in the order {@code all} runs them */
    static List<Mode> of(String broker) {
        return broker.equals("kafka") ? List.of(HANDOFF, NAIVE, COOPERATIVE, PLAIN)
                : List.of(HANDOFF, NAIVE, CANCEL_AND_FINISH);
    }

    /** @return the name on the command line and in RESULT lines */
    public String label() {
        return label;
    }

    /**
     * @param value  a mode's label or {@code all}
     * @param broker the broker the modes run on
     * @return the modes it names
     * @throws QueueSwapOptions.UsageException when it names none of the broker's modes
     */
    static List<Mode> parse(String value, String broker) throws QueueSwapOptions.UsageException {
        List<Mode> modes = of(broker);
        if (value.equals("all")) {
            return modes;
        }
        for (Mode mode : modes) {
            if (mode.label.equals(value)) {
                return List.of(mode);
            }
        }
        StringBuilder names = new StringBuilder();
        for (Mode mode : modes) {
            names.append(mode.label).append(", ");
        }
        throw new QueueSwapOptions.UsageException("--mode must be " + names.substring(0, names.length() - 2) + " or all" + (broker.equals("kafka") ? " with --broker=kafka" : "")
                + ", but was '" + value + "'");
    }
}
