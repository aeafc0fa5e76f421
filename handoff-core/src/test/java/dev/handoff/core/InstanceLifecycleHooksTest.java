package dev.handoff.core;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.handoff.api.InstanceFailedException;
import dev.handoff.api.Lifecycle;
import dev.handoff.api.LifecycleState;
import dev.handoff.core.process.GracefulTermination;

import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.CopyOnWriteArrayList;

import org.junit.jupiter.api.Test;

/**
 * An adapter's behaviour lives in the hooks the final transitions call, so every path that drives the instance
 * (the orchestrator, GracefulTermination, a child's agent, the application) drives the adapter too.
 */
class InstanceLifecycleHooksTest {

    /** Records each hook call; the stages it returns are completed by the test. */
    static final class RecordingAdapter extends InstanceLifecycle {
        final List<String> calls = new CopyOnWriteArrayList<>();
        final CompletableFuture<Void> stopDone = new CompletableFuture<>();
        final CompletableFuture<Void> adapterDrained = new CompletableFuture<>();
        CompletionStage<Void> resumeResult = CompletableFuture.completedFuture(null);
        final CompletableFuture<Void> destroyDone = new CompletableFuture<>();

        RecordingAdapter() {
            super(InstanceLifecycle.newBuilder("adapter"));
        }

        @Override
        protected CompletionStage<Void> onStopAccepting() {
            calls.add("stopAccepting");
            return stopDone;
        }

        @Override
        protected CompletionStage<Void> onResumeAccepting() {
            calls.add("resumeAccepting");
            return resumeResult;
        }

        @Override
        protected CompletionStage<Void> onDrain(CompletionStage<Void> intakeDrained) {
            calls.add("drain");
            return intakeDrained.thenCompose(ignored -> adapterDrained);
        }

        @Override
        protected CompletionStage<Long> onForceStop() {
            calls.add("forceStop");
            return CompletableFuture.completedFuture(7L);
        }

        @Override
        protected CompletionStage<Void> onDestroy() {
            calls.add("destroy");
            return destroyDone;
        }
    }

    private final RecordingAdapter adapter = new RecordingAdapter();

    @Test
    void stopAcceptingRunsTheHookOnceAndCompletesWithIt() {
        adapter.markReady();

        CompletableFuture<Void> first = adapter.stopAccepting().toCompletableFuture();
        CompletableFuture<Void> second = adapter.stopAccepting().toCompletableFuture();

        assertThat(adapter.state()).isEqualTo(LifecycleState.DRAINING);
        assertThat(adapter.calls).containsExactly("stopAccepting");
        assertThat(first).isNotDone();
        assertThat(second).isNotDone();
        adapter.stopDone.complete(null);
        assertThat(first).isCompleted();
        assertThat(second).isCompleted();
    }

    @Test
    void aDrainWithoutStopAcceptingStillRunsTheStopHookAndWaitsForIt() {
        adapter.markReady();

        CompletableFuture<Void> drained = adapter.drain().toCompletableFuture();

        assertThat(adapter.calls).containsExactly("stopAccepting", "drain");
        adapter.adapterDrained.complete(null);
        assertThat(drained).as("the stop-accepting hook has not finished").isNotDone();
        assertThat(adapter.state()).isEqualTo(LifecycleState.DRAINING);
        adapter.stopDone.complete(null);
        assertThat(drained).isCompleted();
        assertThat(adapter.state()).isEqualTo(LifecycleState.DRAINED);
    }

    @Test
    void theDrainWaitsForTheAdaptersOwnDrainAfterTheTrackers() {
        InFlightTracker work = adapter.tracker("work");
        int permit = work.tryAdmit();
        adapter.markReady();
        adapter.stopDone.complete(null);

        CompletableFuture<Void> drained = adapter.drain().toCompletableFuture();
        work.release(permit);

        assertThat(drained).as("the adapter has not drained").isNotDone();
        adapter.adapterDrained.complete(null);
        assertThat(drained).isCompleted();
    }

    @Test
    void resumeAcceptingRunsTheHookFromDrainingAndFromReady() {
        adapter.markReady();
        adapter.stopAccepting();

        assertThat(adapter.resumeAccepting().toCompletableFuture()).isCompleted();
        assertThat(adapter.state()).isEqualTo(LifecycleState.READY);
        assertThat(adapter.resumeAccepting().toCompletableFuture()).isCompleted();

        assertThat(adapter.calls).containsExactly("stopAccepting", "resumeAccepting", "resumeAccepting");
    }

    @Test
    void anIntakeThatCannotReopenFailsTheInstance() {
        adapter.markReady();
        adapter.stopAccepting();
        IllegalStateException refused = new IllegalStateException("broker refused the subscription");
        adapter.resumeResult = CompletableFuture.failedFuture(refused);

        CompletableFuture<Void> resumed = adapter.resumeAccepting().toCompletableFuture();

        assertThat(resumed).isCompletedExceptionally();
        assertThat(adapter.state()).isEqualTo(LifecycleState.FAILED);
        assertThat(adapter.failureCause()).contains(refused);
        assertThat(adapter.failure().toCompletableFuture()).isCompletedExceptionally();
    }

    @Test
    void forceStopRunsTheHookAndDestroyRunsItOnceThenStops() {
        adapter.markReady();

        assertThat(adapter.forceStop().toCompletableFuture().join()).isEqualTo(7L);
        CompletableFuture<Void> first = adapter.destroy().toCompletableFuture();
        CompletableFuture<Void> second = adapter.destroy().toCompletableFuture();
        assertThat(adapter.state()).as("stopped once the adapter has released").isEqualTo(LifecycleState.READY);
        adapter.destroyDone.complete(null);

        assertThat(first).isCompleted();
        assertThat(second).isCompleted();
        assertThat(adapter.state()).isEqualTo(LifecycleState.STOPPED);
        assertThat(adapter.calls).containsExactly("forceStop", "destroy");
        assertThat(adapter.failure().toCompletableFuture()).as("a clean destroy is no failure").isNotDone();
    }

    @Test
    void aFailedDestroyIsReportedAndTheInstanceStillStops() {
        adapter.destroyDone.completeExceptionally(new IllegalStateException("port still bound"));

        CompletableFuture<Void> destroyed = adapter.destroy().toCompletableFuture();

        assertThatThrownBy(destroyed::join).isInstanceOf(CompletionException.class)
                .hasRootCauseMessage("port still bound");
        assertThat(adapter.state()).isEqualTo(LifecycleState.STOPPED);
    }

    @Test
    void aHookThatThrowsGivesAFailedStageNotAnException() {
        InstanceLifecycle throwing = new InstanceLifecycle(InstanceLifecycle.newBuilder("throwing")) {
            @Override
            protected CompletionStage<Void> onStopAccepting() {
                throw new IllegalStateException("cannot close the intake");
            }
        };
        throwing.markReady();

        CompletableFuture<Void> stopped = throwing.stopAccepting().toCompletableFuture();

        assertThat(stopped).isCompletedExceptionally();
        assertThat(throwing.state()).isEqualTo(LifecycleState.DRAINING);
    }

    @Test
    void callsThatCannotActAreRefusedInTheirStageNamingTheState() {
        adapter.stop();

        for (CompletionStage<Void> refused : List.of(adapter.stopAccepting(), adapter.drain(),
                adapter.resumeAccepting())) {
            assertThatThrownBy(refused.toCompletableFuture()::join).isInstanceOf(CompletionException.class)
                    .hasCauseInstanceOf(IllegalStateException.class)
                    .hasMessageContaining("instance 'adapter' from STOPPED");
        }
        assertThat(adapter.calls).isEmpty();
    }

    @Test
    void failureCompletesWhenTheInstanceFails() {
        CompletableFuture<Void> failure = adapter.failure().toCompletableFuture();
        assertThat(failure).isNotDone();

        adapter.fail(new IllegalStateException("lost the database"));

        assertThatThrownBy(failure::join).hasCauseInstanceOf(InstanceFailedException.class)
                .hasRootCauseMessage("lost the database");
    }

    @Test
    void theSigtermSequenceDrivesTheAdapterThroughTheSameObject() {
        adapter.markReady();
        adapter.stopDone.complete(null);
        adapter.adapterDrained.complete(null);
        Lifecycle instance = adapter;

        int status = GracefulTermination.builder(instance).propagationDelay(Duration.ZERO).build().terminate();

        assertThat(status).isZero();
        assertThat(adapter.calls).containsExactly("stopAccepting", "drain");
        assertThat(adapter.state()).isEqualTo(LifecycleState.DRAINED);
    }
}
