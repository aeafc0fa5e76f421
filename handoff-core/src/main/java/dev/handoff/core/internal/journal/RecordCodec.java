package dev.handoff.core.internal.journal;

import dev.handoff.api.SwapOutcome;
import dev.handoff.api.SwapStep;
import dev.handoff.core.internal.journal.JournalRecord.GroupOpened;
import dev.handoff.core.internal.journal.JournalRecord.MemberAdded;
import dev.handoff.core.internal.journal.JournalRecord.MemberKind;
import dev.handoff.core.internal.journal.JournalRecord.MemberRemoved;
import dev.handoff.core.internal.journal.JournalRecord.RouterBound;
import dev.handoff.core.internal.journal.JournalRecord.RouterUnbound;
import dev.handoff.core.internal.journal.JournalRecord.StepDone;
import dev.handoff.core.internal.journal.JournalRecord.SwapEnded;
import dev.handoff.core.internal.journal.JournalRecord.SwapIntent;

import java.nio.ByteBuffer;
import java.nio.CharBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The payload of a frame, format version 1: one line of UTF-8, fields separated by one space, no terminator:
 *
 * <pre>
 * &lt;sequence&gt; GROUP_OPENED   &lt;group&gt; &lt;epoch&gt;
 * &lt;sequence&gt; MEMBER_ADDED   &lt;instanceId&gt; &lt;release&gt; &lt;LAUNCHED|ADOPTED&gt; &lt;n&gt; &lt;key1&gt; &lt;value1&gt; ... &lt;keyN&gt; &lt;valueN&gt;
 * &lt;sequence&gt; MEMBER_REMOVED &lt;instanceId&gt; &lt;reason&gt;
 * &lt;sequence&gt; ROUTER_BOUND   &lt;instanceId&gt;
 * &lt;sequence&gt; ROUTER_UNBOUND &lt;instanceId&gt;
 * &lt;sequence&gt; SWAP_INTENT    &lt;swapId&gt; &lt;plan&gt; &lt;release&gt; &lt;n&gt; &lt;oldInstanceId1&gt; ... &lt;oldInstanceIdN&gt;
 * &lt;sequence&gt; STEP_DONE      &lt;swapId&gt; &lt;SwapStep name&gt; &lt;instanceId&gt;
 * &lt;sequence&gt; SWAP_ENDED     &lt;swapId&gt; &lt;SwapOutcome name&gt;
 * </pre>
 *
 * (one space between fields; the alignment above is for reading). Each string field is escaped so that it holds
 * no space and no control character: {@code \\} for a backslash, {@code \s} space, {@code \t}, {@code \n},
 * {@code \r}, {@code \}{@code uXXXX} for any other control character or an unpaired surrogate, and {@code \e} for
 * the empty string. A payload therefore never holds a byte below 0x20, which the frame reader relies on (see
 * {@link Frames}). E.g. {@code 7 MEMBER_ADDED web-2 1.1 LAUNCHED 2 pid 4242 socket /run/my\sapp/web-2.sock}.
 *
 * <p>Stateless and thread-safe. Not API.
 */
final class RecordCodec {

    /** The version of this payload format; written in each file's header, see {@link Frames#FORMAT_VERSION}. */
    static final int VERSION = 1;

    private RecordCodec() {
    }

    /**
     * @param entry a record and its sequence number
     * @return its payload, UTF-8
     */
    static byte[] encode(JournalEntry entry) {
        List<String> fields = new ArrayList<>();
        fields.add(Long.toString(entry.sequence()));
        JournalRecord record = entry.record();
        if (record instanceof GroupOpened opened) {
            fields.add("GROUP_OPENED");
            fields.add(escape(opened.group()));
            fields.add(Long.toString(opened.epoch()));
        } else if (record instanceof MemberAdded added) {
            fields.add("MEMBER_ADDED");
            fields.add(escape(added.instanceId()));
            fields.add(escape(added.release()));
            fields.add(added.kind().name());
            fields.add(Integer.toString(added.attributes().size()));
            added.attributes().forEach((key, value) -> {
                fields.add(escape(key));
                fields.add(escape(value));
            });
        } else if (record instanceof MemberRemoved removed) {
            fields.add("MEMBER_REMOVED");
            fields.add(escape(removed.instanceId()));
            fields.add(escape(removed.reason()));
        } else if (record instanceof RouterBound bound) {
            fields.add("ROUTER_BOUND");
            fields.add(escape(bound.instanceId()));
        } else if (record instanceof RouterUnbound unbound) {
            fields.add("ROUTER_UNBOUND");
            fields.add(escape(unbound.instanceId()));
        } else if (record instanceof SwapIntent intent) {
            fields.add("SWAP_INTENT");
            fields.add(escape(intent.swapId()));
            fields.add(escape(intent.plan()));
            fields.add(escape(intent.release()));
            fields.add(Integer.toString(intent.oldInstanceIds().size()));
            intent.oldInstanceIds().forEach(id -> fields.add(escape(id)));
        } else if (record instanceof StepDone done) {
            fields.add("STEP_DONE");
            fields.add(escape(done.swapId()));
            fields.add(done.step().name());
            fields.add(escape(done.instanceId()));
        } else if (record instanceof SwapEnded ended) {
            fields.add("SWAP_ENDED");
            fields.add(escape(ended.swapId()));
            fields.add(ended.outcome().name());
        } else {
            throw new IllegalArgumentException("no encoding for " + record.getClass().getName());
        }
        return String.join(" ", fields).getBytes(StandardCharsets.UTF_8);
    }

    /**
     * @param payload a payload written by {@link #encode}
     * @return the entry it holds
     * @throws IllegalArgumentException when it is not valid UTF-8, has an unknown type, the wrong number of fields,
     *                                  a bad escape or a value a record refuses; the message says which
     */
    static JournalEntry decode(byte[] payload) {
        String line = utf8(payload);
        String[] fields = line.split(" ", -1);
        if (fields.length < 2) {
            throw new IllegalArgumentException("expected '<sequence> <TYPE> ...', but got '" + shorten(line) + "'");
        }
        long sequence = number("sequence", fields[0]);
        Fields in = new Fields(fields, 2);
        JournalRecord record;
        switch (fields[1]) {
            case "GROUP_OPENED":
                record = new GroupOpened(in.string(), number("epoch", in.next()));
                break;
            case "MEMBER_ADDED": {
                String instanceId = in.string();
                String release = in.string();
                MemberKind kind = constant(MemberKind.class, in.next());
                int count = count(in.next());
                Map<String, String> attributes = new LinkedHashMap<>();
                for (int i = 0; i < count; i++) {
                    String key = in.string();
                    if (attributes.put(key, in.string()) != null) {
                        throw new IllegalArgumentException("attribute '" + key + "' is repeated");
                    }
                }
                record = new MemberAdded(instanceId, release, kind, attributes);
                break;
            }
            case "MEMBER_REMOVED":
                record = new MemberRemoved(in.string(), in.string());
                break;
            case "ROUTER_BOUND":
                record = new RouterBound(in.string());
                break;
            case "ROUTER_UNBOUND":
                record = new RouterUnbound(in.string());
                break;
            case "SWAP_INTENT": {
                String swapId = in.string();
                String plan = in.string();
                String release = in.string();
                int count = count(in.next());
                List<String> olds = new ArrayList<>(count);
                for (int i = 0; i < count; i++) {
                    olds.add(in.string());
                }
                record = new SwapIntent(swapId, plan, release, olds);
                break;
            }
            case "STEP_DONE":
                record = new StepDone(in.string(), constant(SwapStep.class, in.next()), in.string());
                break;
            case "SWAP_ENDED":
                record = new SwapEnded(in.string(), constant(SwapOutcome.class, in.next()));
                break;
            default:
                throw new IllegalArgumentException("unknown record type '" + shorten(fields[1]) + "'");
        }
        in.end(fields[1]);
        return new JournalEntry(sequence, record);
    }

    /**
     * @param value any string
     * @return it escaped as described in the class documentation: no space, no control character, never empty
     */
    static String escape(String value) {
        if (value.isEmpty()) {
            return "\\e";
        }
        StringBuilder escaped = new StringBuilder(value.length() + 8);
        for (int index = 0; index < value.length(); index++) {
            char character = value.charAt(index);
            switch (character) {
                case '\\':
                    escaped.append("\\\\");
                    break;
                case ' ':
                    escaped.append("\\s");
                    break;
                case '\t':
                    escaped.append("\\t");
                    break;
                case '\n':
                    escaped.append("\\n");
                    break;
                case '\r':
                    escaped.append("\\r");
                    break;
                default:
                    if (Character.isHighSurrogate(character) && index + 1 < value.length()
                            && Character.isLowSurrogate(value.charAt(index + 1))) {
                        escaped.append(character).append(value.charAt(++index));
                    } else if (Character.isISOControl(character) || Character.isSurrogate(character)) {
                        // an unpaired surrogate has no UTF-8 form: written as-is it would come back as '?'
                        escaped.append(String.format("\\u%04x", (int) character));
                    } else {
                        escaped.append(character);
                    }
            }
        }
        return escaped.toString();
    }

    /**
     * @param field a field written by {@link #escape}
     * @return the string it holds
     * @throws IllegalArgumentException on an unknown or cut escape, or a raw control character
     */
    static String unescape(String field) {
        if (field.equals("\\e")) {
            return "";
        }
        if (field.isEmpty()) {
            throw new IllegalArgumentException("empty field: the empty string is written \\e");
        }
        StringBuilder value = new StringBuilder(field.length());
        for (int index = 0; index < field.length(); index++) {
            char character = field.charAt(index);
            if (Character.isISOControl(character)) {
                throw new IllegalArgumentException("raw control character " + (int) character + " in field '"
                        + shorten(field) + "'");
            }
            if (character != '\\') {
                value.append(character);
                continue;
            }
            if (++index == field.length()) {
                throw new IllegalArgumentException("field '" + shorten(field) + "' ends inside an escape");
            }
            char escape = field.charAt(index);
            switch (escape) {
                case '\\':
                    value.append('\\');
                    break;
                case 's':
                    value.append(' ');
                    break;
                case 't':
                    value.append('\t');
                    break;
                case 'n':
                    value.append('\n');
                    break;
                case 'r':
                    value.append('\r');
                    break;
                case 'u':
                    if (index + 4 >= field.length()) {
                        throw new IllegalArgumentException("field '" + shorten(field) + "' ends inside \\u");
                    }
                    try {
                        value.append((char) Integer.parseInt(field.substring(index + 1, index + 5), 16));
                    } catch (NumberFormatException e) {
                        throw new IllegalArgumentException("bad \\u escape in field '" + shorten(field) + "'", e);
                    }
                    index += 4;
                    break;
                default:
                    throw new IllegalArgumentException("unknown escape \\" + escape + " in field '"
                            + shorten(field) + "'");
            }
        }
        return value.toString();
    }

    private static String utf8(byte[] payload) {
        try {
            CharBuffer chars = StandardCharsets.UTF_8.newDecoder()
                    .onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT)
                    .decode(ByteBuffer.wrap(payload));
            return chars.toString();
        } catch (CharacterCodingException e) {
            throw new IllegalArgumentException("payload is not valid UTF-8", e);
        }
    }

    private static long number(String field, String text) {
        try {
            return Long.parseLong(text);
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException(field + " must be a number, but was '" + shorten(text) + "'", e);
        }
    }

    private static int count(String text) {
        try {
            int count = Integer.parseInt(text);
            if (count >= 0) {
                return count;
            }
        } catch (NumberFormatException e) {
            // reported below with the text received
        }
        throw new IllegalArgumentException("count must be a number >= 0, but was '" + shorten(text) + "'");
    }

    private static <E extends Enum<E>> E constant(Class<E> type, String name) {
        try {
            return Enum.valueOf(type, name);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException(type.getSimpleName() + " '" + shorten(name) + "' is unknown", e);
        }
    }

    private static String shorten(String text) {
        return text.length() <= 60 ? text : text.substring(0, 60) + "...";
    }

    /** The fields of one payload, read in order. */
    private static final class Fields {
        private final String[] fields;
        private int next;

        Fields(String[] fields, int first) {
            this.fields = fields;
            this.next = first;
        }

        String next() {
            if (next >= fields.length) {
                throw new IllegalArgumentException(fields[1] + " has too few fields: " + fields.length);
            }
            return fields[next++];
        }

        String string() {
            return unescape(next());
        }

        void end(String type) {
            if (next != fields.length) {
                throw new IllegalArgumentException(type + " has " + fields.length + " fields, expected " + next);
            }
        }
    }
}
