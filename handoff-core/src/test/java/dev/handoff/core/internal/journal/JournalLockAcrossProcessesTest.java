package dev.handoff.core.internal.journal;

import dev.handoff.core.internal.journal.JournalRecord.GroupOpened;
import dev.handoff.core.internal.journal.JournalRecord.MemberAdded;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Path;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** The directory lock between processes: real child JVMs, no sleeps; every wait bounded. */
class JournalLockAcrossProcessesTest {

    @TempDir
    Path folder;

    @Test
    void aDirectoryHeldByAnotherProcessIsRefusedNamingItsPid() throws IOException {
        try (OtherJvm child = OtherJvm.hold(folder, "web")) {

            assertThatThrownBy(() -> Journal.open(folder, "web"))
                    .isInstanceOf(IllegalStateException.class)
                    .hasMessage("state directory " + folder.toRealPath() + " is locked by another orchestrator (pid "
                            + child.pid() + "): one orchestrator at a time may hold a group's journal");

            assertThat(child.release()).isZero();
        }
        try (Journal journal = Journal.open(folder, "web")) {
            assertThat(journal.epoch()).isEqualTo(2);
        }
    }

    @Test
    void anotherProcessIsRefusedADirectoryThisOneHolds() throws IOException {
        OtherJvm.Outcome outcome;
        try (Journal journal = Journal.open(folder, "web")) {
            outcome = OtherJvm.tryToOpen(folder, "web");
        }

        assertThat(outcome.exitCode()).isEqualTo(OtherJvm.REFUSED);
        assertThat(outcome.line()).isEqualTo("REFUSED state directory " + folder.toRealPath() + " is locked by "
                + "another orchestrator (pid " + ProcessHandle.current().pid() + "): one orchestrator at a time may "
                + "hold a group's journal");
        // released by close: the other process may take it now
        assertThat(OtherJvm.tryToOpen(folder, "web")).isEqualTo(new OtherJvm.Outcome("OPENED 2", 0));
    }

    @Test
    void aKilledHolderLeavesTheDirectoryToTheNextOrchestratorWithWhatItWrote() throws IOException {
        long childPid;
        try (OtherJvm child = OtherJvm.hold(folder, "web")) {
            childPid = child.pid();
            child.kill();
        }

        try (Journal journal = Journal.open(folder, "web")) {
            assertThat(journal.epoch()).isEqualTo(2);
            assertThat(journal.recovered()).extracting(JournalEntry::record).satisfiesExactly(
                    first -> assertThat(first).isEqualTo(new GroupOpened("web", 1)),
                    second -> assertThat(((MemberAdded) second).attributes())
                            .containsEntry("pid", Long.toString(childPid)));
        }
    }
}
