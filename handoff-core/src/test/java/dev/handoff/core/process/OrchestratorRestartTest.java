package dev.handoff.core.process;

import dev.handoff.api.LifecycleState;
import dev.handoff.api.Member;
import dev.handoff.api.OrphanPolicy;
import dev.handoff.api.Plan;
import dev.handoff.api.SwapOutcome;
import dev.handoff.api.SwapResult;
import dev.handoff.api.spi.StateBinding;
import dev.handoff.core.Orchestrator;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import static dev.handoff.core.process.ChildProcessLauncherTest.get;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

/**
 * An orchestrator with a state directory, killed with SIGKILL in its own JVM: its child keeps serving, a new
 * orchestrator on the same directory re-adopts it, an older epoch is refused by the child, a second live orchestrator
 * is refused by the lock, and a child nobody re-adopts ends at its lease.
 */
class OrchestratorRestartTest {

    @TempDir
    Path folder;

    private final List<Process> processes = new ArrayList<>();
    private final List<Orchestrator> orchestrators = new ArrayList<>();
    private final List<Long> grandchildren = new ArrayList<>();

    @AfterEach
    void stopEverything() throws Exception {
        for (Orchestrator orchestrator : orchestrators) {
            orchestrator.close();
        }
        for (Process process : processes) {
            process.destroyForcibly().onExit().get(10, TimeUnit.SECONDS);
        }
        for (long pid : grandchildren) {
            Optional<ProcessHandle> handle = ProcessHandle.of(pid);
            if (handle.isPresent()) {
                handle.get().destroyForcibly();
                handle.get().onExit().get(10, TimeUnit.SECONDS);
            }
        }
    }

    private ChildProcessLauncher launcher() {
        return ChildProcessLauncher.builder()
                .mainClass(TestChild.class.getName(), System.getProperty("java.class.path"))
                .arguments("ready")
                .output(ProcessBuilder.Redirect.appendTo(folder.resolve("children.log").toFile()))
                .exitTimeout(Duration.ofSeconds(1))
                .build();
    }

    /** Starts an orchestrator JVM with a group of one child; returns the member's id and pid. */
    private String[] orchestratorJvm(Path state, Duration lease) throws Exception {
        return orchestratorJvm(state, lease, OrphanPolicy.TERMINATE_GRACEFULLY);
    }

    private String[] orchestratorJvm(Path state, Duration lease, OrphanPolicy policy) throws Exception {
        Process process = new ProcessBuilder(ProcessHandle.current().info().command().orElse("java"), "-cp",
                System.getProperty("java.class.path"), TestChild.class.getName(), "orchestrator", state.toString(),
                Long.toString(lease.toMillis()), policy.name())
                .redirectError(ProcessBuilder.Redirect.appendTo(folder.resolve("orchestrator.log").toFile()))
                .start();
        processes.add(process);
        BufferedReader lines = new BufferedReader(new InputStreamReader(process.getInputStream(),
                StandardCharsets.UTF_8));
        CompletableFuture<String> member = CompletableFuture.supplyAsync(() -> {
            try {
                for (String line = lines.readLine(); line != null; line = lines.readLine()) {
                    if (line.startsWith("MEMBER ")) {
                        return line;
                    }
                }
                return null;
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        });
        String line = member.get(60, TimeUnit.SECONDS);
        assertThat(line).as("the orchestrator JVM's MEMBER line (see orchestrator.log)").isNotNull();
        String[] words = line.split(" ");
        grandchildren.add(Long.parseLong(words[2]));
        return new String[] {words[1], words[2]};
    }

    private static void killHard(Process process) throws Exception {
        process.destroyForcibly();
        process.onExit().get(10, TimeUnit.SECONDS);
    }

    @Test
    void aChildOfAKilledOrchestratorKeepsServingAndIsReadoptedByTheNextOneWhichRefusesTheOldEpoch()
            throws Exception {
        Path state = folder.resolve("state");
        String[] member = orchestratorJvm(state, Duration.ofSeconds(60));
        ProcessHandle child = ProcessHandle.of(Long.parseLong(member[1])).orElseThrow();

        killHard(processes.get(0));

        assertThat(child.isAlive()).as("the child outlives its orchestrator").isTrue();
        AttachedSet router = new AttachedSet();
        ChildProcessLauncher launcher = launcher();
        Orchestrator next = Orchestrator.builder("restart", launcher, router)
                .stateDirectory(state)
                .readyTimeout(Duration.ofSeconds(30))
                .build();
        orchestrators.add(next);
        assertThat(get(next.recovery())).as("no swap was half done").isEmpty();
        List<Member> members = next.members();
        assertThat(members).hasSize(1);
        ChildProcessInstance readopted = (ChildProcessInstance) members.get(0).instance();
        assertThat(readopted.id()).isEqualTo(member[0]);
        assertThat(readopted.processHandle().pid()).isEqualTo(child.pid());
        assertThat(readopted.state()).isEqualTo(LifecycleState.READY);
        assertThat(router.attached).containsExactly(member[0]);

        // An orchestrator of the killed one's epoch (1) is refused by the child, which follows epoch 2 now.
        ChildProcessLauncher stale = launcher();
        stale.bind(new StateBinding(state.toRealPath(), "restart", 1, Duration.ofSeconds(60),
                OrphanPolicy.TERMINATE_GRACEFULLY));
        assertThatThrownBy(() -> get(stale.reattach(member[0])))
                .hasMessageContaining("stale epoch 1: this instance follows epoch 2");

        SwapResult swap = next.swapAndWait(Plan.oneForOne(), Duration.ofSeconds(60));
        assertThat(swap.outcome()).isEqualTo(SwapOutcome.COMMITTED);
        child.onExit().get(30, TimeUnit.SECONDS);
        assertThat(Files.exists(state.resolve("children").resolve(member[0])))
                .as("the retired child's folder is deleted").isFalse();
        ChildProcessInstance replacement = (ChildProcessInstance) next.instances().get(0);
        grandchildren.add(replacement.processHandle().pid());
        get(replacement.destroy());
    }

    @Test
    void anOrchestratorStoppedWithSigtermLeavesItsChildServingForTheNextOne() throws Exception {
        Path state = folder.resolve("state");
        String[] member = orchestratorJvm(state, Duration.ofSeconds(60));
        ProcessHandle child = ProcessHandle.of(Long.parseLong(member[1])).orElseThrow();

        Process orchestrator = processes.get(0);
        orchestrator.destroy();
        orchestrator.onExit().get(30, TimeUnit.SECONDS);

        assertThat(child.isAlive()).as("the child outlives its orchestrator's SIGTERM").isTrue();
        Orchestrator next = Orchestrator.builder("restart", launcher(), new AttachedSet()).stateDirectory(state)
                .onClose(Orchestrator.OnClose.DESTROY_LAUNCHED)
                .build();
        orchestrators.add(next);
        get(next.recovery());
        assertThat(next.members()).hasSize(1);
        assertThat(((ChildProcessInstance) next.instances().get(0)).processHandle().pid()).isEqualTo(child.pid());
        assertThat(next.instances().get(0).state()).isEqualTo(LifecycleState.READY);
    }

    @Test
    void aSecondLiveOrchestratorOnTheSameDirectoryAndGroupIsRefused() {
        Path state = folder.resolve("state");
        Orchestrator first = Orchestrator.builder("locked", launcher(), new AttachedSet()).stateDirectory(state)
                .build();
        orchestrators.add(first);

        assertThatThrownBy(() -> Orchestrator.builder("locked", launcher(), new AttachedSet()).stateDirectory(state)
                .build())
                .isInstanceOf(IllegalStateException.class)
                .hasMessageContaining(Long.toString(ProcessHandle.current().pid()));
    }

    @Test
    void aChildWhosePolicyIsKeepServingOutlivesItsLeaseAndCanStillBeReadopted() throws Exception {
        Path state = folder.resolve("state");
        String[] member = orchestratorJvm(state, Duration.ofMillis(300), OrphanPolicy.KEEP_SERVING);
        ProcessHandle child = ProcessHandle.of(Long.parseLong(member[1])).orElseThrow();

        killHard(processes.get(0));

        Path log = folder.resolve("child.log");
        await().atMost(Duration.ofSeconds(30)).until(() -> Files.exists(log)
                && Files.readString(log).contains("policy KEEP_SERVING: serving on"));
        assertThat(child.isAlive()).isTrue();
        Orchestrator next = Orchestrator.builder("restart", launcher(), new AttachedSet()).stateDirectory(state)
                .onClose(Orchestrator.OnClose.DESTROY_LAUNCHED)
                .build();
        orchestrators.add(next);
        get(next.recovery());
        assertThat(next.members()).hasSize(1);
        assertThat(((ChildProcessInstance) next.instances().get(0)).processHandle().pid()).isEqualTo(child.pid());
    }

    @Test
    void aChildThatNobodyReadoptsWithinItsLeaseTerminatesAndLeavesNoSocket() throws Exception {
        Path state = folder.resolve("state");
        String[] member = orchestratorJvm(state, Duration.ofMillis(500));
        ProcessHandle child = ProcessHandle.of(Long.parseLong(member[1])).orElseThrow();

        killHard(processes.get(0));

        child.onExit().get(30, TimeUnit.SECONDS);
        assertThat(Files.exists(state.resolve("children").resolve(member[0]).resolve("agent.sock"))).isFalse();
    }
}
