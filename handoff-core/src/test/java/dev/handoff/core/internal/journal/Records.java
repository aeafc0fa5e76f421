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

import java.util.List;
import java.util.Map;

/** Sample records for the journal tests: one of each type, with awkward strings. */
final class Records {

    private Records() {
    }

    /** @return one record of every type but GroupOpened, the way a swap would write them */
    static List<JournalRecord> swapHistory() {
        return List.of(
                new MemberAdded("web-1", "1.0", MemberKind.ADOPTED, Map.of()),
                new RouterBound("web-1"),
                new SwapIntent("web/swap-1", "rolling(maxSurge=1, maxUnavailable=0)", "1.1", List.of("web-1")),
                new MemberAdded("web-2", "1.1", MemberKind.LAUNCHED, Map.of(
                        "pid", "4242",
                        "control-socket", "/run/my app/web-2.sock",
                        "port", "8081")),
                new StepDone("web/swap-1", SwapStep.LAUNCH, "web-2"),
                new RouterBound("web-2"),
                new StepDone("web/swap-1", SwapStep.ATTACH, "web-2"),
                new RouterUnbound("web-1"),
                new MemberRemoved("web-1", "retired by web/swap-1"),
                new SwapEnded("web/swap-1", SwapOutcome.COMMITTED));
    }

    /** @return one record of every type, GroupOpened included, with strings that need escaping */
    static List<JournalRecord> everyType() {
        return List.of(
                new GroupOpened("web \\ group", 7),
                new MemberAdded("web-2", "1.1+build 7", MemberKind.LAUNCHED, Map.of(
                        "pid", "4242",
                        "control-socket", "/tmp/handoff x/\\web-2.sock",
                        "empty", "",
                        "multi line", "a\nb\r\tc\u0001\u007f",
                        "unicode", "\u00e9t\u00e9 \u65e5\u672c \uD83D\uDE80",
                        "lone surrogate", "x\uD800y")),
                new MemberAdded("web-3", "1.1", MemberKind.ADOPTED, Map.of()),
                new MemberRemoved("web-1", "died: exit status 137\n(killed)"),
                new MemberRemoved("web-4", ""),
                new RouterBound("web-2"),
                new RouterUnbound("web-1"),
                new SwapIntent("web/swap-1", "canary(weight=10%, gate=manual)", "1.1", List.of("web-1", "web 3")),
                new SwapIntent("web/start-1", "", "1.0", List.of()),
                new StepDone("web/swap-1", SwapStep.AWAIT_READY, "web-2"),
                new StepDone("web/swap-1", SwapStep.READMIT, "web-1"),
                new SwapEnded("web/swap-1", SwapOutcome.ROLLED_BACK),
                new SwapEnded("web/swap-2", SwapOutcome.FORCED));
    }
}
