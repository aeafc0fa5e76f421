package dev.handoff.core.process;

import dev.handoff.api.LifecycleState;
import dev.handoff.core.InFlightTracker;
import dev.handoff.core.InstanceLifecycle;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

/**
 * The SIGTERM contract: real SIGTERMs to child JVMs, and the sequence run in this JVM (never installed here, so
 * nothing halts the test JVM).
 */
class GracefulTerminationTest {

    private static final Duration WAIT = Duration.ofSeconds(30);

    @TempDir
    Path logs;

    private ChildProcessInstance child;

    @AfterEach
    void destroyChild() throws Exception {
        if (child != null) {
            child.destroy().toCompletableFuture().get(WAIT.toSeconds(), TimeUnit.SECONDS);
        }
    }

    private ChildProcessInstance launch(String mode) throws Exception {
        ChildProcessLauncher launcher = ChildProcessLauncher.builder()
                .mainClass(TestChild.class.getName(), System.getProperty("java.class.path"))
                .arguments(mode)
                .output(ProcessBuilder.Redirect.appendTo(logs.resolve(mode + ".log").toFile()))
                .build();
        child = (ChildProcessInstance) ChildProcessLauncherTest.get(launcher.launch(mode));
        ChildProcessLauncherTest.get(child.whenReady());
        return child;
    }

    @Test
    void onSigtermAChildWithWorkInFlightDrainsItAndExitsZero() throws Exception {
        // given a ready child with one unit of work in flight, which finishes only after readiness went down
        ChildProcessInstance drains = launch("sigterm-drains");
        assertThat(ChildProcessLauncherTest.get(drains.status())).isEqualTo(new ChildStatus(LifecycleState.READY, 1));

        // when it gets a real SIGTERM
        assertThat(drains.processHandle().destroy()).isTrue();

        // then it served the unit to the end, ran its close hook, and exited 0
        assertThat(ChildProcessLauncherTest.get(drains.onExit())).isZero();
        assertThat(Files.readString(logs.resolve("sigterm-drains.log")))
                .contains("work finished while DRAINING")
                .contains("close hook ran")
                .contains("halting with status 0");
    }

    @Test
    void aChildItsParentDestroysSkipsThePropagationDelayButStillDrains() throws Exception {
        // given a ready child with work in flight whose SIGTERM sequence would first serve on for a delay
        ChildProcessInstance child = launch("sigterm-drains");
        assertThat(ChildProcessLauncherTest.get(child.status()).state()).isEqualTo(LifecycleState.READY);

        // when its parent destroys it (EXIT): the parent has detached it already, or never attached it
        ChildProcessLauncherTest.get(child.destroy());

        // then no router can still send it work: no propagation delay, but the work in flight is finished
        assertThat(ChildProcessLauncherTest.get(child.onExit())).isZero();
        assertThat(Files.readString(logs.resolve("sigterm-drains.log")))
                .doesNotContain("serving on for the propagation delay")
                .contains("work finished while DRAINING")
                .contains("close hook ran");
    }

    @Test
    void onSigtermAChildWhoseWorkNeverFinishesExitsNonZeroAfterItsDrainBudget() throws Exception {
        ChildProcessInstance abandons = launch("sigterm-abandons");
        assertThat(ChildProcessLauncherTest.get(abandons.status()).inFlight()).isEqualTo(1);

        assertThat(abandons.processHandle().destroy()).isTrue();

        assertThat(ChildProcessLauncherTest.get(abandons.onExit())).isEqualTo(1);
        assertThat(Files.readString(logs.resolve("sigterm-abandons.log")))
                .contains("drain budget PT1S exhausted; abandoning 1 unit(s) in flight")
                .contains("close hook ran")
                .contains("halting with status 1");
    }

    @Test
    void readinessFailsAtOnceAndWorkIsStillAdmittedDuringThePropagationDelay() throws Exception {
        // given a ready instance whose termination waits a long propagation delay
        InstanceLifecycle lifecycle = InstanceLifecycle.newBuilder("web").build();
        InFlightTracker requests = lifecycle.tracker("requests");
        lifecycle.markReady();
        GracefulTermination termination = GracefulTermination.builder(lifecycle)
                .propagationDelay(Duration.ofSeconds(5))
                .drainBudget(Duration.ofSeconds(10))
                .build();

        // when the termination starts
        CompletableFuture<Integer> status = CompletableFuture.supplyAsync(termination::terminate);

        // then readiness is down at once, yet a request that still arrives is admitted and served
        await().atMost(WAIT).pollInterval(Duration.ofMillis(5)).until(() -> !lifecycle.isReady());
        int permit = requests.tryAdmit();
        assertThat(permit).isNotEqualTo(InFlightTracker.REFUSED);
        assertThat(lifecycle.state()).isEqualTo(LifecycleState.DRAINING);
        requests.release(permit);
        assertThat(status.get(WAIT.toSeconds(), TimeUnit.SECONDS)).isZero();
        assertThat(lifecycle.state()).isEqualTo(LifecycleState.DRAINED);
        assertThat(requests.tryAdmit()).isEqualTo(InFlightTracker.REFUSED);
    }

    @Test
    void closeHooksRunInOrderAfterTheDrainAndASecondCallGetsTheSameStatus() {
        InstanceLifecycle lifecycle = InstanceLifecycle.newBuilder("worker").build();
        lifecycle.markReady();
        List<String> closed = new CopyOnWriteArrayList<>();
        GracefulTermination termination = GracefulTermination.builder(lifecycle)
                .propagationDelay(Duration.ZERO)
                .closeHook("consumer", () -> closed.add("consumer " + lifecycle.state()))
                .closeHook("pool", () -> closed.add("pool"))
                .build();

        assertThat(termination.terminate()).isZero();

        assertThat(closed).containsExactly("consumer DRAINED", "pool");
        assertThat(termination.terminate()).isZero();
        assertThat(closed).hasSize(2);
    }

    @Test
    void anAdaptersHooksRunWhenTheSequenceStopsAcceptingAndDrains() {
        List<String> calls = new CopyOnWriteArrayList<>();
        InstanceLifecycle adapter = new InstanceLifecycle(InstanceLifecycle.newBuilder("adapter")) {
            @Override
            protected CompletionStage<Void> onStopAccepting() {
                calls.add("stopAccepting");
                return CompletableFuture.completedFuture(null);
            }

            @Override
            protected CompletionStage<Void> onDrain(CompletionStage<Void> intakeDrained) {
                calls.add("drain");
                return intakeDrained;
            }
        };
        GracefulTermination termination = GracefulTermination.builder(adapter)
                .closeHook("last", () -> calls.add("close"))
                .build();

        assertThat(termination.terminate()).isZero();

        assertThat(calls).as("not ready at SIGTERM: no propagation delay").containsExactly("stopAccepting", "drain",
                "close");
        assertThat(adapter.state()).isEqualTo(LifecycleState.DRAINED);
    }

    @Test
    void abandonedWorkAFailingHookOrAHangingHookGiveTheFailureStatus() throws Exception {
        InstanceLifecycle busy = InstanceLifecycle.newBuilder("busy").build();
        busy.tracker("jobs").tryAdmit();
        busy.markReady();
        assertThat(GracefulTermination.builder(busy).propagationDelay(Duration.ZERO)
                .drainBudget(Duration.ofMillis(50)).failureExitStatus(9).build().terminate()).isEqualTo(9);

        InstanceLifecycle idle = InstanceLifecycle.newBuilder("idle").build();
        idle.markReady();
        assertThat(GracefulTermination.builder(idle).propagationDelay(Duration.ZERO)
                .closeHook("broken", () -> {
                    throw new IllegalStateException("boom");
                }).build().terminate()).isEqualTo(1);

        InstanceLifecycle stuck = InstanceLifecycle.newBuilder("stuck").build();
        stuck.markReady();
        CountDownLatch never = new CountDownLatch(1);
        try {
            assertThat(GracefulTermination.builder(stuck).propagationDelay(Duration.ZERO)
                    .closeBudget(Duration.ofMillis(50))
                    .closeHook("hanging", () -> never.await(WAIT.toSeconds(), TimeUnit.SECONDS))
                    .build().terminate()).isEqualTo(1);
        } finally {
            never.countDown();
        }
    }

    @Test
    void theBudgetsMustFitInTheGracePeriod() {
        InstanceLifecycle lifecycle = InstanceLifecycle.newBuilder("app").build();

        assertThat(GracefulTermination.builder(lifecycle).build()).hasToString(
                "GracefulTermination[propagationDelay=PT5S, drainBudget=PT20S, closeBudget=PT4S, gracePeriod=PT30S,"
                        + " closeHooks=[]]");
        assertThatThrownBy(() -> GracefulTermination.builder(lifecycle).drainBudget(Duration.ofSeconds(25)).build())
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("propagationDelay + drainBudget + closeBudget must be < gracePeriod (PT30S), but was "
                        + "PT5S + PT25S + PT4S = PT34S");
        assertThatThrownBy(() -> GracefulTermination.builder(lifecycle).drainBudget(Duration.ZERO))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("drainBudget must be > 0, but was PT0S");
        assertThatThrownBy(() -> GracefulTermination.builder(lifecycle).propagationDelay(Duration.ofSeconds(-1)))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("propagationDelay must be >= 0, but was PT-1S");
        assertThatThrownBy(() -> GracefulTermination.builder(lifecycle).failureExitStatus(0))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("failureExitStatus must be in 1..255, but was 0");
        assertThatThrownBy(() -> GracefulTermination.builder(lifecycle).closeHook("a", () -> { })
                .closeHook("a", () -> { }))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("closeHook name must be unique, but 'a' is already registered");
    }
}
