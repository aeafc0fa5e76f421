package dev.handoff.core.internal.process;

import java.time.Duration;

import dev.handoff.api.LifecycleState;
import dev.handoff.core.internal.process.LineChannel.ProtocolViolation;

import java.util.Arrays;
import java.util.HashMap;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.stream.Collectors;

/**
 * The control protocol between a parent ({@code ChildProcessLauncher}) and a child ({@code ChildAgent}), version
 * 1. The protocol is described in full in the {@code dev.handoff.core.process} package documentation; this class
 * holds its constants and the formatting and parsing of its lines. Stateless and thread-safe.
 */
public final class Protocol {

    /** The protocol version this side speaks. */
    public static final int VERSION = 1;
    /** The longest line either side accepts, in bytes of UTF-8, without the terminator. */
    public static final int MAX_LINE_BYTES = 1024;
    /** The environment variable holding the path of the parent's Unix domain socket. */
    public static final String SOCKET_ENV = "HANDOFF_AGENT_SOCKET";
    /** The environment variable holding the token the child presents in its HELLO. */
    public static final String TOKEN_ENV = "HANDOFF_AGENT_TOKEN";
    /** The environment variable holding the instance id the orchestrator gave the child. */
    public static final String INSTANCE_ID_ENV = "HANDOFF_INSTANCE_ID";
    /** Under a state directory: the path of the socket where the child waits for a later orchestrator. */
    public static final String ADOPT_SOCKET_ENV = "HANDOFF_AGENT_ADOPT_SOCKET";
    /** Under a state directory: the epoch of the orchestrator that launched the child. */
    public static final String EPOCH_ENV = "HANDOFF_AGENT_EPOCH";
    /** Under a state directory: how long, in milliseconds, the child waits for an orchestrator once orphaned. */
    public static final String LEASE_ENV = "HANDOFF_AGENT_ORPHAN_LEASE_MILLIS";
    /** Under a state directory: the {@code OrphanPolicy} name applied when the lease runs out. */
    public static final String POLICY_ENV = "HANDOFF_AGENT_ORPHAN_POLICY";
    /** A later orchestrator's first line on the adoption socket: {@code ADOPT <version> <token> <epoch> <pid>}. */
    public static final String ADOPT = "ADOPT";
    /**
     * The child's answer to a valid ADOPT: {@code ADOPTED <version> <pid> in-flight=N state=S [budget-ms=N]} (the
     * termination budget it announced in its HELLO, for the orchestrator that re-adopts it).
     */
    public static final String ADOPTED = "ADOPTED";

    /** Child to parent, first line: {@code HELLO <version> <token>}. */
    public static final String HELLO = "HELLO";
    /** Parent to child, answer to a good HELLO: {@code WELCOME <version>}. */
    public static final String WELCOME = "WELCOME";
    /** Child to parent, event: the lifecycle became READY (sent once). */
    public static final String READY = "READY";
    /** Child to parent, event: the drain asked by a DRAIN command completed. */
    public static final String DRAINED = "DRAINED";
    /** Child to parent, event: {@code FAILED <reason>}: the lifecycle failed. */
    public static final String FAILED = "FAILED";
    /** Child to parent, reply to every accepted command: {@code STATUS in-flight=<n> state=<STATE>}. */
    public static final String STATUS = "STATUS";
    /** Either direction: {@code ERROR <reason>}: the line received was rejected. Never answered. */
    public static final String ERROR = "ERROR";

    private static final int MAX_REASON_CHARS = 400;

    private Protocol() {
    }

    /** The commands a parent sends; the child answers each with exactly one STATUS or ERROR line, in order. */
    public enum Command {
        /** Readiness down; work still arriving is served. */
        STOP_ACCEPTING("STOP_ACCEPTING"),
        /** Re-admission. */
        RESUME_ACCEPTING("RESUME_ACCEPTING"),
        /** Close the intake; a DRAINED event follows when the in-flight work has finished. */
        DRAIN("DRAIN"),
        /** Abandon the work still running; the reply carries {@code abandoned=<n>}. */
        FORCE_STOP("FORCE_STOP"),
        /** Ask for the state and the in-flight count. */
        STATUS("STATUS?"),
        /** Exit the process after the reply. */
        EXIT("EXIT");

        private static final Map<String, Command> BY_WIRE = Arrays.stream(values())
                .collect(Collectors.toUnmodifiableMap(Command::wire, command -> command));

        private final String wire;

        Command(String wire) {
            this.wire = wire;
        }

        /** @return the command as it is written on the channel */
        public String wire() {
            return wire;
        }

    }

    /** The field by which a command carries the epoch of the orchestrator that sent it. */
    public static final String EPOCH_FIELD = "epoch=";
    /** The field by which a command carries the id of the swap it belongs to. */
    public static final String SWAP_FIELD = "swap=";
    private static final int MAX_SWAP_ID_CHARS = 200;

    /**
     * A command as written on the channel: {@code <COMMAND> [epoch=<n>] [swap=<id>]}. An orchestrator that keeps a
     * state directory puts its epoch on every command (a child refuses one that is not the epoch it follows); a
     * command sent while a swap runs carries the swap's id, which the child puts in its MDC ({@code handoff.swap})
     * while it acts on the command, so that the child's log lines name the swap as the orchestrator's do.
     *
     * @param command the command
     * @param epoch   the sender's epoch; 0 when the line carries none
     * @param swapId  the swap's id, or null
     */
    public record CommandLine(Command command, long epoch, String swapId) {

        /**
         * @param command the command
         * @param epoch   the sender's epoch, or 0
         * @param swapId  the swap's id, or null; spaces and control characters are replaced by '_', and it is cut
         *                to 200 characters
         */
        public CommandLine {
            Objects.requireNonNull(command, "command");
            swapId = swapId == null || swapId.isEmpty() ? null : sanitise(swapId);
        }

        private static String sanitise(String id) {
            StringBuilder clean = new StringBuilder(Math.min(id.length(), MAX_SWAP_ID_CHARS));
            for (int i = 0; i < id.length() && clean.length() < MAX_SWAP_ID_CHARS; i++) {
                char c = id.charAt(i);
                clean.append(c <= ' ' || Character.isISOControl(c) ? '_' : c);
            }
            return clean.toString();
        }

        /**
         * @param line a line received by the child
         * @return the command, the epoch and the swap id it holds
         * @throws ProtocolViolation when it holds no known command, an argument other than the epoch and the swap id,
         *                           or a malformed epoch
         */
        public static CommandLine parse(String line) throws ProtocolViolation {
            String word = firstWord(line);
            Command command = Command.BY_WIRE.get(word);
            if (command == null) {
                throw new ProtocolViolation("unknown command '" + shorten(word) + "'; expected one of "
                        + Arrays.stream(Command.values()).map(Command::wire).collect(Collectors.joining(", ")));
            }
            long epoch = 0;
            String swapId = null;
            String[] fields = line.equals(word) ? new String[0] : rest(line).split(" ", -1);
            for (String field : fields) {
                if (field.startsWith(EPOCH_FIELD) && epoch == 0) {
                    try {
                        epoch = Long.parseLong(field.substring(EPOCH_FIELD.length()));
                    } catch (NumberFormatException e) {
                        epoch = -1;
                    }
                    if (epoch > 0) {
                        continue;
                    }
                } else if (field.startsWith(SWAP_FIELD) && swapId == null && field.length() > SWAP_FIELD.length()) {
                    swapId = field.substring(SWAP_FIELD.length());
                    continue;
                }
                throw new ProtocolViolation(word + " takes no argument other than " + EPOCH_FIELD
                        + "<positive number> and " + SWAP_FIELD + "<id>, but got '" + shorten(line) + "'");
            }
            return new CommandLine(command, epoch, swapId);
        }

        /** @return the line to write: the command, followed by the epoch and the swap id when there are */
        public String wire() {
            StringBuilder line = new StringBuilder(command.wire());
            if (epoch > 0) {
                line.append(' ').append(EPOCH_FIELD).append(epoch);
            }
            if (swapId != null) {
                line.append(' ').append(SWAP_FIELD).append(swapId);
            }
            return line.toString();
        }
    }

    /**
     * @param line a line
     * @return its first space-separated word (the whole line when it has no space)
     */
    public static String firstWord(String line) {
        int space = line.indexOf(' ');
        return space < 0 ? line : line.substring(0, space);
    }

    /**
     * @param line a line
     * @return what follows its first word and one space, or the empty string
     */
    public static String rest(String line) {
        int space = line.indexOf(' ');
        return space < 0 ? "" : line.substring(space + 1);
    }

    /** @return {@code HELLO <version> <token>}, with this protocol's version */
    static String hello(String token) {
        return HELLO + " " + VERSION + " " + token;
    }

    /** The field of a HELLO by which a child announces its termination budget, in milliseconds. */
    public static final String BUDGET_FIELD = "budget-ms=";

    static String hello(String token, Duration terminationBudget) {
        return terminationBudget == null ? hello(token)
                : hello(token) + " " + BUDGET_FIELD + terminationBudget.toMillis();
    }

    /** @return {@code WELCOME <version>}, with this protocol's version */
    static String adopt(String token, long epoch, long pid) {
        return ADOPT + " " + VERSION + " " + token + " " + epoch + " " + pid;
    }

    static String adopted(long pid, LifecycleState state, long inFlight, Duration terminationBudget) {
        String adopted = ADOPTED + " " + VERSION + " " + pid + " in-flight=" + inFlight + " state=" + state.name();
        return terminationBudget == null ? adopted : adopted + " " + BUDGET_FIELD + terminationBudget.toMillis();
    }

    static String welcome() {
        return WELCOME + " " + VERSION;
    }

    /**
     * @param state     the lifecycle's state
     * @param inFlight  its in-flight count
     * @param abandoned units abandoned by a FORCE_STOP, or a negative value when the reply is not to FORCE_STOP
     * @return the STATUS line
     */
    static String status(LifecycleState state, long inFlight, long abandoned) {
        String line = STATUS + " in-flight=" + inFlight + " state=" + state.name();
        return abandoned < 0 ? line : line + " abandoned=" + abandoned;
    }

    /**
     * @param reason free text
     * @return {@code ERROR <reason>}, the reason made safe for one line
     */
    public static String error(String reason) {
        return ERROR + " " + sanitize(reason);
    }

    /**
     * @param reason free text
     * @return {@code FAILED <reason>}, the reason made safe for one line
     */
    static String failed(String reason) {
        return FAILED + " " + sanitize(reason);
    }

    /**
     * @param text free text, possibly null, multi-line or long
     * @return the text on one line, control characters replaced by spaces, at most 400 characters, never empty
     */
    static String sanitize(String text) {
        if (text == null || text.isBlank()) {
            return "(no reason given)";
        }
        StringBuilder clean = new StringBuilder(Math.min(text.length(), MAX_REASON_CHARS));
        for (int index = 0; index < text.length() && clean.length() < MAX_REASON_CHARS; index++) {
            char character = text.charAt(index);
            clean.append(Character.isISOControl(character) || Character.isSurrogate(character) ? ' ' : character);
        }
        return clean.toString().strip();
    }

    /**
     * @param text text taken from a received line
     * @return at most 60 characters of it, for an error message
     */
    static String shorten(String text) {
        return text.length() <= 60 ? text : text.substring(0, 60) + "...";
    }

    /** A parsed STATUS line. */
    public static final class Status {
        private final LifecycleState state;
        private final long inFlight;
        private final long abandoned;

        private Status(LifecycleState state, long inFlight, long abandoned) {
            this.state = state;
            this.inFlight = inFlight;
            this.abandoned = abandoned;
        }

        /** @return the child's lifecycle state */
        public LifecycleState state() {
            return state;
        }

        /** @return the child's in-flight count */
        public long inFlight() {
            return inFlight;
        }

        /** @return units abandoned by FORCE_STOP, or -1 when the line did not say */
        public long abandoned() {
            return abandoned;
        }

        /**
         * @param line a line starting with {@code STATUS}
         * @return its fields
         * @throws ProtocolViolation when a field is missing, unknown, repeated or out of range
         */
        public static Status parse(String line) throws ProtocolViolation {
            Map<String, String> fields = new HashMap<>();
            String rest = rest(line);
            if (rest.isEmpty()) {
                throw new ProtocolViolation("STATUS needs in-flight=<n> and state=<STATE>, but got '"
                        + shorten(line) + "'");
            }
            for (String pair : rest.split(" ", -1)) {
                int equals = pair.indexOf('=');
                if (equals <= 0) {
                    throw new ProtocolViolation("STATUS field must be key=value, but was '" + shorten(pair) + "'");
                }
                String key = pair.substring(0, equals);
                if (!key.equals("in-flight") && !key.equals("state") && !key.equals("abandoned")) {
                    throw new ProtocolViolation("STATUS field '" + shorten(key) + "' is unknown");
                }
                if (fields.put(key, pair.substring(equals + 1)) != null) {
                    throw new ProtocolViolation("STATUS field '" + key + "' is repeated");
                }
            }
            long inFlight = count(fields, "in-flight", true);
            long abandoned = count(fields, "abandoned", false);
            String stateName = fields.get("state");
            if (stateName == null) {
                throw new ProtocolViolation("STATUS field 'state' is missing");
            }
            LifecycleState state;
            try {
                state = LifecycleState.valueOf(stateName.toUpperCase(Locale.ROOT));
            } catch (IllegalArgumentException e) {
                throw new ProtocolViolation("STATUS field state must be a lifecycle state, but was '"
                        + shorten(stateName) + "'");
            }
            return new Status(state, inFlight, abandoned);
        }

        private static long count(Map<String, String> fields, String key, boolean required)
                throws ProtocolViolation {
            String value = fields.get(key);
            if (value == null) {
                if (required) {
                    throw new ProtocolViolation("STATUS field '" + key + "' is missing");
                }
                return -1;
            }
            try {
                long count = Long.parseLong(value);
                if (count >= 0) {
                    return count;
                }
            } catch (NumberFormatException e) {
                // reported below with the value received
            }
            throw new ProtocolViolation("STATUS field " + key + " must be a count >= 0, but was '"
                    + shorten(value) + "'");
        }

        @Override
        public String toString() {
            return "Status[state=" + state + ", inFlight=" + inFlight + ", abandoned=" + abandoned + "]";
        }
    }
}
