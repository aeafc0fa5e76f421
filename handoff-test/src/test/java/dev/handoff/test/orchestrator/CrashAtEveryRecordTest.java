package dev.handoff.test.orchestrator;

import dev.handoff.api.Lifecycle;
import dev.handoff.api.LifecycleState;
import dev.handoff.api.Plan;
import dev.handoff.api.SwapOutcome;
import dev.handoff.api.SwapResult;
import dev.handoff.core.Orchestrator;
import dev.handoff.core.internal.swap.CrashPoints;
import dev.handoff.test.sim.InvariantChecker;
import dev.handoff.test.sim.SimulatedInstance;
import dev.handoff.test.sim.SimulatedLauncher;
import dev.handoff.test.sim.SimulatedRouter;
import dev.handoff.test.sim.VirtualClock;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CompletionStage;
import java.util.stream.Collectors;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Given a group with a state directory, when its orchestrator stops dead just before any one of the journal records
 * a swap writes (the record lost, nothing after it done, as a kill -9 would), then a new orchestrator on the same
 * directory ends the half-done swap COMMITTED or ROLLED_BACK, the group is back at its size with every member ready
 * and attached and nothing else alive, and the simulation kit's invariants hold throughout, for each plan. On odd
 * record numbers the last segment also ends in a torn frame, which the new orchestrator ignores.
 */
class CrashAtEveryRecordTest {

    @TempDir
    Path folder;

    static Stream<Arguments> plans() {
        return Stream.of(
                Arguments.of(Plan.oneForOne(), 1),
                Arguments.of(Plan.rolling(1, 0), 3),
                Arguments.of(Plan.rolling(0, 1), 3),
                Arguments.of(Plan.rolling(1, 1), 3),
                Arguments.of(Plan.blueGreen(), 2));
    }

    /** One simulated world: what survives the orchestrator (instances, router) and the state directory. */
    private static final class World {
        final VirtualClock clock = new VirtualClock();
        final SimulatedLauncher launcher = new SimulatedLauncher(clock, index -> SimulatedInstance.Script.builder()
                .startDelay(Duration.ofMillis(300))
                .readyDelay(Duration.ofMillis(200))
                .build());
        final SimulatedRouter router = new SimulatedRouter(clock, Duration.ofMillis(50), Duration.ofMillis(100));
        final InvariantChecker checker = new InvariantChecker(router, launcher);
        final Path state;

        World(Path state) {
            this.state = state;
        }

        Orchestrator orchestrator() {
            Orchestrator orchestrator = Orchestrator.builder("web", launcher, router)
                    .scheduler(clock)
                    .executor(Runnable::run)
                    .stateDirectory(state)
                    .launchTimeout(Duration.ofSeconds(5))
                    .readyTimeout(Duration.ofSeconds(10))
                    .attachTimeout(Duration.ofSeconds(2))
                    .detachTimeout(Duration.ofSeconds(2))
                    .drainTimeout(Duration.ofSeconds(30))
                    .destroyTimeout(Duration.ofSeconds(5))
                    .listener(launcher)
                    .listener(checker)
                    .build();
            checker.group(orchestrator::instances);
            return orchestrator;
        }
    }

    @ParameterizedTest(name = "{0} over {1}")
    @MethodSource("plans")
    void aSwapWhoseOrchestratorDiesAtAnyRecordIsFinishedOrRolledBackByTheNextOne(Plan plan, int size)
            throws IOException {
        // A run without a crash counts the records: those of the start, then those of the swap.
        World reference = new World(folder.resolve("reference"));
        CrashPoints.Armed counting = CrashPoints.stopNextOrchestratorDeadAt(Long.MAX_VALUE);
        Orchestrator whole = reference.orchestrator();
        reference.clock.runUntil(whole.start(size));
        long started = counting.appends();
        assertThat(reference.clock.runUntil(whole.swap(plan)).outcome()).isEqualTo(SwapOutcome.COMMITTED);
        reference.clock.runUntilIdle();
        long swapped = counting.appends();
        assertThat(swapped).as("records written by the swap").isGreaterThan(started + 5);

        List<String> failures = new ArrayList<>();
        for (long record = started + 1; record <= swapped; record++) {
            try {
                crashAt(plan, size, record);
            } catch (AssertionError | RuntimeException e) {
                failures.add("record " + record + ": " + e.getMessage());
            }
        }
        assertThat(failures).as("crash points of " + plan + " over " + size + " (records " + (started + 1) + " to "
                + swapped + ")").isEmpty();
    }

    private void crashAt(Plan plan, int size, long record) throws IOException {
        World world = new World(folder.resolve(plan.kind() + "-" + record));
        CrashPoints.Armed armed = CrashPoints.stopNextOrchestratorDeadAt(record);
        Orchestrator dying = world.orchestrator();
        world.clock.runUntil(dying.start(size));
        CompletionStage<SwapResult> swap = null;
        try {
            swap = dying.swap(plan);
        } catch (RuntimeException e) {
            assertThat(e).hasMessageContaining("stopped dead");
        }
        world.clock.runUntilIdle();
        assertThat(armed.fired()).as("the orchestrator died at record " + record).isTrue();
        assertThat(swap == null || !swap.toCompletableFuture().isDone()).as("the swap did not end").isTrue();
        world.checker.orchestratorDied();
        if (record % 2 == 1) {
            tearTheLastSegment(world.state);
        }

        Orchestrator next = world.orchestrator();
        Optional<SwapResult> recovered = world.clock.runUntil(next.recovery());
        world.clock.runUntilIdle();

        if (swap != null) {
            assertThat(recovered).as("the half-done swap's result").isPresent();
            assertThat(recovered.get().swapId()).isEqualTo("web/swap-1");
            assertThat(recovered.get().outcome()).isIn(SwapOutcome.COMMITTED, SwapOutcome.ROLLED_BACK);
        }
        List<Lifecycle> members = next.instances();
        assertThat(members).as("members").hasSize(size);
        assertThat(members).allMatch(member -> member.state() == LifecycleState.READY, "READY");
        Set<String> memberIds = members.stream().map(Lifecycle::id).collect(Collectors.toSet());
        assertThat(Set.copyOf(world.router.attached())).as("attached").isEqualTo(memberIds);
        Set<String> alive = world.launcher.launched().stream().filter(SimulatedInstance::isAlive)
                .map(SimulatedInstance::id).collect(Collectors.toSet());
        assertThat(alive).as("instances alive").isEqualTo(memberIds);
        world.checker.assertHolds();
        next.close();
    }

    /** Appends a frame header cut short (a torn write) to the last segment. */
    private static void tearTheLastSegment(Path state) throws IOException {
        Path last;
        try (Stream<Path> files = Files.list(state)) {
            last = files.filter(file -> file.getFileName().toString().startsWith("journal-"))
                    .max(Comparator.comparing(Path::toString)).orElseThrow();
        }
        try (FileChannel channel = FileChannel.open(last, StandardOpenOption.WRITE, StandardOpenOption.APPEND)) {
            channel.write(ByteBuffer.wrap(new byte[] {0, 0, 0, 42, 7, 7}));
        }
    }
}
