package dev.handoff.core.internal.journal;

import dev.handoff.core.internal.journal.JournalRecord.MemberAdded;
import dev.handoff.core.internal.journal.JournalRecord.MemberKind;

import java.io.IOException;
import java.nio.file.Path;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

/**
 * The main class of the child JVMs the lock tests start: {@code <mode> <directory> <group>}. Prints one line,
 * {@code OPENED <epoch>} or {@code REFUSED <message>}. Every mode ends by itself within {@link #LIFETIME_SECONDS}.
 */
public final class JournalChild {

    /** Exit status when the directory was refused with an IllegalStateException. */
    static final int REFUSED = 3;
    static final int LIFETIME_SECONDS = 120;

    private JournalChild() {
    }

    public static void main(String[] args) throws IOException, InterruptedException {
        Path directory = Path.of(args[1]);
        String group = args[2];
        Thread watchdog = new Thread(() -> {
            try {
                // a lifetime bound, not a synchronisation: nothing ever counts this latch down
                new CountDownLatch(1).await(LIFETIME_SECONDS, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                return;
            }
            Runtime.getRuntime().halt(99);
        }, "lifetime");
        watchdog.setDaemon(true);
        watchdog.start();
        try (Journal journal = Journal.open(directory, group)) {
            if (args[0].equals("hold")) {
                journal.append(new MemberAdded("child-" + journal.epoch(), "1.0", MemberKind.LAUNCHED,
                        Map.of("pid", Long.toString(ProcessHandle.current().pid()))));
            }
            System.out.println("OPENED " + journal.epoch());
            System.out.flush();
            if (args[0].equals("hold")) {
                // hold the directory until the parent closes our input
                while (System.in.read() >= 0) {
                    continue;
                }
            }
        } catch (IllegalStateException e) {
            System.out.println("REFUSED " + e.getMessage());
            System.out.flush();
            System.exit(REFUSED);
        }
    }
}
