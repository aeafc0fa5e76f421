package dev.handoff.core.internal.journal;

import dev.handoff.api.SwapStep;
import dev.handoff.core.internal.journal.JournalRecord.GroupOpened;
import dev.handoff.core.internal.journal.JournalRecord.MemberAdded;
import dev.handoff.core.internal.journal.JournalRecord.MemberKind;
import dev.handoff.core.internal.journal.JournalRecord.StepDone;
import dev.handoff.core.internal.journal.JournalRecord.SwapIntent;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class RecordCodecTest {

    @Test
    void everyRecordTypeRoundTrips() {
        List<JournalRecord> records = new ArrayList<>(Records.everyType());
        records.addAll(Records.swapHistory());
        long sequence = 1;
        for (JournalRecord record : records) {
            JournalEntry entry = new JournalEntry(sequence++, record);

            byte[] payload = RecordCodec.encode(entry);

            assertThat(RecordCodec.decode(payload)).isEqualTo(entry);
        }
    }

    @Test
    void theEncodingIsOneReadableLineWithoutControlBytes() {
        JournalEntry entry = new JournalEntry(7, new MemberAdded("web-2", "1.1", MemberKind.LAUNCHED,
                Map.of("pid", "4242", "control-socket", "/run/my app/web-2.sock", "note", "")));

        String line = new String(RecordCodec.encode(entry), StandardCharsets.UTF_8);

        // attributes sorted by key; the space in the path escaped, the empty value written \e
        assertThat(line).isEqualTo(
                "7 MEMBER_ADDED web-2 1.1 LAUNCHED 3 control-socket /run/my\\sapp/web-2.sock note \\e pid 4242");
        assertThat(RecordCodec.encode(new JournalEntry(1, new GroupOpened("web", 3))))
                .asString(StandardCharsets.UTF_8).isEqualTo("1 GROUP_OPENED web 3");
        assertThat(RecordCodec.encode(new JournalEntry(9, new SwapIntent("web/swap-1", "one-for-one", "1.1",
                List.of("web-1", "web-2"))))).asString(StandardCharsets.UTF_8)
                .isEqualTo("9 SWAP_INTENT web/swap-1 one-for-one 1.1 2 web-1 web-2");
        assertThat(RecordCodec.encode(new JournalEntry(10, new StepDone("web/swap-1", SwapStep.AWAIT_DRAINED,
                "web-1")))).asString(StandardCharsets.UTF_8).isEqualTo("10 STEP_DONE web/swap-1 AWAIT_DRAINED web-1");
    }

    @Test
    void noPayloadHoldsAByteBelowSpace() {
        // the frame reader's search for a valid frame after a damaged one relies on it
        long sequence = 1;
        for (JournalRecord record : Records.everyType()) {
            for (byte b : RecordCodec.encode(new JournalEntry(sequence++, record))) {
                assertThat(b & 0xff).isGreaterThanOrEqualTo(0x20);
            }
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"", " ", "\\", "\\e", "a b", "\n", "\u0000", "\uDFFF", "\uD83D\uDE80", "\\u0041"})
    void escapingRoundTrips(String value) {
        String escaped = RecordCodec.escape(value);

        assertThat(escaped).doesNotContain(" ").isNotEmpty();
        assertThat(RecordCodec.unescape(escaped)).isEqualTo(value);
    }

    @Test
    void malformedPayloadsAreRefusedSayingWhy() {
        assertThatThrownBy(() -> decode("x GROUP_OPENED web 1"))
                .isInstanceOf(IllegalArgumentException.class).hasMessage("sequence must be a number, but was 'x'");
        assertThatThrownBy(() -> decode("1 MEMBER_JOINED web-1"))
                .isInstanceOf(IllegalArgumentException.class).hasMessage("unknown record type 'MEMBER_JOINED'");
        assertThatThrownBy(() -> decode("1 GROUP_OPENED web"))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("too few fields");
        assertThatThrownBy(() -> decode("1 ROUTER_BOUND web-1 web-2"))
                .isInstanceOf(IllegalArgumentException.class).hasMessage("ROUTER_BOUND has 4 fields, expected 3");
        assertThatThrownBy(() -> decode("1 ROUTER_BOUND web\\q"))
                .isInstanceOf(IllegalArgumentException.class).hasMessage("unknown escape \\q in field 'web\\q'");
        assertThatThrownBy(() -> decode("1 ROUTER_BOUND web\\"))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("ends inside an escape");
        assertThatThrownBy(() -> decode("1 ROUTER_BOUND "))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("empty field");
        assertThatThrownBy(() -> decode("1 STEP_DONE s LAUNCHING web-1"))
                .isInstanceOf(IllegalArgumentException.class).hasMessage("SwapStep 'LAUNCHING' is unknown");
        assertThatThrownBy(() -> decode("1 MEMBER_ADDED web-1 1.0 ADOPTED -1"))
                .isInstanceOf(IllegalArgumentException.class).hasMessage("count must be a number >= 0, but was '-1'");
        assertThatThrownBy(() -> decode("1 MEMBER_ADDED web-1 1.0 ADOPTED 2 pid 1 pid 2"))
                .isInstanceOf(IllegalArgumentException.class).hasMessage("attribute 'pid' is repeated");
        assertThatThrownBy(() -> decode("0 ROUTER_BOUND web-1"))
                .isInstanceOf(IllegalArgumentException.class).hasMessage("sequence must be >= 1, but was 0");
        assertThatThrownBy(() -> RecordCodec.decode(new byte[] {'1', ' ', (byte) 0xc3}))
                .isInstanceOf(IllegalArgumentException.class).hasMessage("payload is not valid UTF-8");
    }

    @Test
    void recordsRefuseMissingFieldsNamingThem() {
        assertThatThrownBy(() -> new GroupOpened(null, 1))
                .isInstanceOf(NullPointerException.class).hasMessage("group must not be null");
        assertThatThrownBy(() -> new GroupOpened("web", 0))
                .isInstanceOf(IllegalArgumentException.class).hasMessage("epoch must be >= 1, but was 0");
        assertThatThrownBy(() -> new MemberAdded(" ", "1.0", MemberKind.LAUNCHED, Map.of()))
                .isInstanceOf(IllegalArgumentException.class).hasMessage("instanceId must not be blank, but was ' '");
        Map<String, String> withNull = new LinkedHashMap<>();
        withNull.put("pid", null);
        assertThatThrownBy(() -> new MemberAdded("web-1", "1.0", MemberKind.LAUNCHED, withNull))
                .isInstanceOf(NullPointerException.class).hasMessage("attribute 'pid' must not be null");
        assertThatThrownBy(() -> new SwapIntent("s", "p", "1.0", List.of("web-1", "")))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("oldInstanceIds element must not be blank, but was ''");
    }

    @Test
    void recordsCopyTheirCollections() {
        Map<String, String> attributes = new LinkedHashMap<>(Map.of("pid", "1"));
        List<String> olds = new ArrayList<>(List.of("web-1"));
        MemberAdded added = new MemberAdded("web-2", "1.1", MemberKind.LAUNCHED, attributes);
        SwapIntent intent = new SwapIntent("s", "p", "1.1", olds);

        attributes.put("port", "80");
        olds.add("web-3");

        assertThat(added.attributes()).containsExactly(Map.entry("pid", "1"));
        assertThat(intent.oldInstanceIds()).containsExactly("web-1");
        assertThatThrownBy(() -> added.attributes().put("x", "y")).isInstanceOf(UnsupportedOperationException.class);
    }

    private static JournalEntry decode(String line) {
        return RecordCodec.decode(line.getBytes(StandardCharsets.UTF_8));
    }
}
