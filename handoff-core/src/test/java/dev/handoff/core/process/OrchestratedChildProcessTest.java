package dev.handoff.core.process;

import dev.handoff.api.LifecycleState;
import dev.handoff.api.Plan;
import dev.handoff.api.SwapOutcome;
import dev.handoff.api.SwapResult;
import dev.handoff.api.Lifecycle;
import dev.handoff.api.spi.Launcher;
import dev.handoff.core.Orchestrator;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Deque;
import java.util.List;

import static dev.handoff.core.process.ChildProcessLauncherTest.get;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * The {@link Orchestrator} swapping real child JVMs. The router here only records which instances are attached:
 * these children take no traffic (web and queue children are swapped under load in the adapters' tests).
 */
class OrchestratedChildProcessTest {

    @TempDir
    Path logs;

    /** The mode of each child to launch, in order. */
    private final Deque<String> modes = new ArrayDeque<>();
    private final List<ChildProcessInstance> children = Collections.synchronizedList(new ArrayList<>());
    private final AttachedSet router = new AttachedSet();
    private Orchestrator orchestrator;

    @AfterEach
    void destroyEverything() throws Exception {
        if (orchestrator != null) {
            orchestrator.close();
        }
        for (ChildProcessInstance child : List.copyOf(children)) {
            get(child.destroy());
        }
    }

    private final Launcher launcher = instanceId -> {
        String mode;
        synchronized (modes) {
            mode = modes.removeFirst();
        }
        return ChildProcessLauncher.builder()
                .mainClass(TestChild.class.getName(), System.getProperty("java.class.path"))
                .arguments(mode)
                .output(ProcessBuilder.Redirect.appendTo(logs.resolve(instanceId + ".log").toFile()))
                .exitTimeout(Duration.ofSeconds(1))
                .build()
                .launch(instanceId)
                .thenApply(handle -> {
                    children.add((ChildProcessInstance) handle);
                    return handle;
                });
    };

    private Orchestrator orchestrator(Duration drainTimeout) {
        orchestrator = Orchestrator.builder("children", launcher, router)
                .readyTimeout(Duration.ofSeconds(30))
                .drainTimeout(drainTimeout)
                .build();
        return orchestrator;
    }

    private ChildProcessInstance only(List<Lifecycle> instances) {
        assertThat(instances).hasSize(1);
        return (ChildProcessInstance) instances.get(0);
    }

    @Test
    void aChildProcessIsReplacedByANewOneAndExits() throws Exception {
        modes.add("ready");
        modes.add("ready");
        Orchestrator swaps = orchestrator(Duration.ofSeconds(10));
        get(swaps.start(1));
        ChildProcessInstance old = only(swaps.instances());

        SwapResult result = get(swaps.swap(Plan.oneForOne()));

        assertThat(result.outcome()).isEqualTo(SwapOutcome.COMMITTED);
        ChildProcessInstance replacement = only(swaps.instances());
        assertThat(replacement.id()).isNotEqualTo(old.id());
        assertThat(router.attached).containsExactly(replacement.id());
        assertThat(get(old.onExit())).isZero();
        assertThat(get(replacement.status()).state()).isEqualTo(LifecycleState.READY);
    }

    @Test
    void theOldChildLogsTheSwapThatRetiresItUnderItsId() throws Exception {
        modes.add("ready-mdc");
        modes.add("ready");
        Orchestrator swaps = orchestrator(Duration.ofSeconds(10));
        get(swaps.start(1));
        ChildProcessInstance old = only(swaps.instances());

        SwapResult result = get(swaps.swap(Plan.oneForOne()));

        assertThat(result.outcome()).isEqualTo(SwapOutcome.COMMITTED);
        assertThat(get(old.onExit())).isZero();
        assertThat(Files.readString(logs.resolve(old.id() + ".log")))
                .contains("left READY in swap " + result.swapId());
    }

    @Test
    void aMemberKilledWithSigkillBetweenSwapsIsDetachedAndReplacedByANewChild() throws Exception {
        modes.add("ready");
        modes.add("ready");
        modes.add("ready");
        Orchestrator group = orchestrator(Duration.ofSeconds(10));
        get(group.start(2));
        ChildProcessInstance victim = (ChildProcessInstance) group.instances().get(0);
        ChildProcessInstance survivor = (ChildProcessInstance) group.instances().get(1);

        // a real crash: SIGKILL by PID
        new ProcessBuilder("kill", "-9", Long.toString(victim.processHandle().pid())).start().waitFor();

        await().atMost(Duration.ofSeconds(30)).until(() -> group.instances().size() == 2
                && !group.instances().contains(victim));
        ChildProcessInstance replacement = (ChildProcessInstance) group.instances().get(1);
        assertThat(group.instances()).containsExactly(survivor, replacement);
        assertThat(router.attached).containsExactlyInAnyOrder(survivor.id(), replacement.id());
        assertThat(get(victim.onExit())).isEqualTo(137);
        assertThat(get(replacement.status()).state()).isEqualTo(LifecycleState.READY);
    }

    @Test
    void aChildThatCrashesBeforeItIsReadyRollsTheSwapBack() throws Exception {
        modes.add("ready");
        modes.add("crash-before-ready");
        Orchestrator swaps = orchestrator(Duration.ofSeconds(10));
        get(swaps.start(1));
        ChildProcessInstance old = only(swaps.instances());

        SwapResult result = get(swaps.swap(Plan.oneForOne()));

        assertThat(result.outcome()).isEqualTo(SwapOutcome.ROLLED_BACK);
        assertThat(result.cause()).get().asString().contains("exited with code " + TestChild.CRASH_STATUS);
        assertThat(only(swaps.instances())).isSameAs(old);
        assertThat(router.attached).containsExactly(old.id());
        assertThat(get(old.status()).state()).isEqualTo(LifecycleState.READY);
        assertThat(children).hasSize(2);
        assertThat(get(children.get(1).onExit())).isEqualTo(TestChild.CRASH_STATUS);
    }

    @Test
    void aChildThatHangsInDrainIsForcedAndKilled() throws Exception {
        modes.add("hang-in-drain");
        modes.add("ready");
        Orchestrator swaps = orchestrator(Duration.ofSeconds(1));
        get(swaps.start(1));
        ChildProcessInstance old = only(swaps.instances());

        SwapResult result = get(swaps.swap(Plan.oneForOne()));

        assertThat(result.outcome()).isEqualTo(SwapOutcome.FORCED);
        assertThat(result.abandoned()).isEqualTo(1);
        assertThat(get(old.onExit())).as("killed by SIGKILL").isEqualTo(128 + 9);
        assertThat(only(swaps.instances()).processHandle().isAlive()).isTrue();
    }
}
