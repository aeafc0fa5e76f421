package dev.handoff.examples.queueswap;

import java.util.List;

/** How {@code queue-swap} replaces a consumer. */
public enum Mode {
    /** The handoff consumer, swapped by the orchestrator. */
    HANDOFF("handoff"),
    /** A plain consumer whose channel is closed at once; the new one starts first. */
    NAIVE("naive"),
    /** A plain consumer that cancels, processes everything prefetched, then closes (as Spring AMQP does). */
    CANCEL_AND_FINISH("cancel-and-finish");

    private final String label;

    Mode(String label) {
        this.label = label;
    }

    /** @return the name on the command line and in RESULT lines */
    public String label() {
        return label;
    }

    /**
     * @param value a mode's label or {@code all}
     * @return the modes it names
     * @throws QueueSwapOptions.UsageException when it names none
     */
    static List<Mode> parse(String value) throws QueueSwapOptions.UsageException {
        if (value.equals("all")) {
            return List.of(values());
        }
        for (Mode mode : values()) {
            if (mode.label.equals(value)) {
                return List.of(mode);
            }
        }
        throw new QueueSwapOptions.UsageException(
                "--mode must be handoff, naive, cancel-and-finish or all, but was '" + value + "'");
    }
}
