package dev.handoff.test.orchestrator;

import static org.assertj.core.api.Assertions.assertThat;

import dev.handoff.api.InstanceFailedException;
import dev.handoff.api.Lifecycle;
import dev.handoff.api.LifecycleState;
import dev.handoff.api.Plan;
import dev.handoff.api.StepTimeoutException;
import dev.handoff.api.SwapOutcome;
import dev.handoff.api.SwapResult;
import dev.handoff.api.SwapStep;
import dev.handoff.api.event.SwapEvent.Phase;
import dev.handoff.core.HandoffMetrics;
import dev.handoff.test.sim.SimulatedInstance;
import dev.handoff.test.sim.SimulatedInstance.Fault;
import dev.handoff.test.sim.SimulatedInstance.Script;
import java.time.Duration;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.List;
import java.util.Set;
import java.util.function.Consumer;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Each of the seven steps x each fault of the simulation kit, on a one-for-one swap of {@code old-1} (serving two
 * units of work of 1 s) by {@code web-1}. The fault sits on the instance the step acts on: steps 1 to 3 on the new
 * instance, steps 4 to 7 on the old one (in {@link #faultAtStep} a crash is the new instance's). Where a pair cannot
 * occur, the case says why and asserts the nearest meaningful case. Then crashes of the old instance (between swaps
 * and at each step), and of both.
 *
 * <p>Every case asserts the outcome, the events, the metrics and the invariants, "never empty" among them.
 */
class FaultMatrixTest {

    private static final String NEW = "web-1";
    private static final String OLD = "old-1";
    private static final String REPLACEMENT = "web-2";
    private static final Set<SwapStep> BACK_HALF =
            EnumSet.of(SwapStep.DETACH, SwapStep.DRAIN, SwapStep.AWAIT_DRAINED, SwapStep.DESTROY);

    /** What one (step, fault) cell sets up and expects. */
    record Case(String why, Script newScript, Script oldScript, int oldWork, Duration workDuration,
                Consumer<Sim> setup, SwapOutcome outcome, SwapStep failedStep, Class<? extends Throwable> cause,
                boolean readmitted, boolean rollbackStep, long abandoned, double destroyFailures,
                Set<SwapStep> neverStarted) {
    }

    static Stream<Arguments> cells() {
        List<Arguments> cells = new ArrayList<>();
        for (SwapStep step : EnumSet.range(SwapStep.LAUNCH, SwapStep.DESTROY)) {
            for (Fault fault : List.of(Fault.FAILS_TO_START, Fault.NEVER_READY, Fault.CRASHES_WHILE_SERVING,
                    Fault.HANGS_IN_DRAIN, Fault.DESTROY_THROWS)) {
                cells.add(Arguments.of(step, fault));
            }
        }
        return cells.stream();
    }

    @ParameterizedTest(name = "step {0} x {1}")
    @MethodSource("cells")
    void faultAtStep(SwapStep step, Fault fault) {
        Case expected = caseFor(step, fault);
        Sim sim = new Sim(Duration.ofMillis(100), Duration.ZERO, builder -> { });
        sim.scripts.put(0, expected.newScript());
        SimulatedInstance old = sim.adopt(1, expected.oldScript()).get(0);
        for (int i = 0; i < expected.oldWork(); i++) {
            assertThat(old.submit(expected.workDuration())).isTrue();
        }
        expected.setup().accept(sim);

        SwapResult result = sim.swap(Plan.oneForOne());
        sim.clock.runUntilIdle(); // late arrivals, drains of re-admitted instances

        assertThat(result.outcome()).as(expected.why()).isEqualTo(expected.outcome());
        // events
        if (expected.failedStep() != null) {
            assertThat(sim.happened(expected.failedStep(), Phase.FAILED)).as("FAILED %s in %s", expected.failedStep(),
                    sim.log()).isTrue();
            assertThat(sim.stepCount(expected.failedStep(), HandoffMetrics.RESULT_FAILED)).isPositive();
        } else {
            assertThat(sim.events).noneMatch(event -> event.phase() == Phase.FAILED);
        }
        assertThat(sim.happened(SwapStep.READMIT, Phase.COMPLETED)).as("re-admitted, in %s", sim.log())
                .isEqualTo(expected.readmitted());
        assertThat(sim.happened(SwapStep.ROLLBACK, Phase.STARTED)).as("rollback step, in %s", sim.log())
                .isEqualTo(expected.rollbackStep());
        for (SwapStep never : expected.neverStarted()) {
            assertThat(sim.happened(never, Phase.STARTED)).as("%s never starts, in %s", never, sim.log()).isFalse();
        }
        // result
        if (expected.cause() == null) {
            assertThat(result.cause()).isEmpty();
        } else {
            assertThat(result.cause()).get().isInstanceOf(expected.cause());
        }
        assertThat(result.abandoned()).isEqualTo(expected.abandoned());
        assertThat(result.steps()).allSatisfy(timing -> assertThat(timing.duration().isNegative()).isFalse());
        // metrics
        String outcomeTag = expected.outcome().name().toLowerCase(java.util.Locale.ROOT);
        assertThat(sim.swaps(outcomeTag)).isEqualTo(1.0);
        assertThat(sim.abandoned()).isEqualTo((double) expected.abandoned());
        assertThat(sim.destroyFailures()).isEqualTo(expected.destroyFailures());
        // state of the group
        if (expected.outcome() == SwapOutcome.ROLLED_BACK) {
            assertThat(sim.router.attached()).containsExactly(OLD);
            assertThat(old.state()).isEqualTo(LifecycleState.READY);
            assertThat(sim.orchestrator.instances()).extracting(handle -> handle.id()).containsExactly(OLD);
        } else {
            assertThat(old.destroyed()).isTrue();
            // A new instance that crashed after the cut-over is a member that failed: the supervisor replaced it.
            String serving = sim.launcher.instance(NEW).crashed() ? REPLACEMENT : NEW;
            assertThat(sim.router.attached()).containsExactly(serving);
            assertThat(sim.orchestrator.instances()).extracting(handle -> handle.id()).containsExactly(serving);
            assertThat(sim.registry.find(HandoffMetrics.MEMBERS_FAILED).counter().count())
                    .isEqualTo(serving.equals(REPLACEMENT) ? 1.0 : 0.0);
        }
        assertThat(old.cutByDestroy()).isZero();
        // nothing leaks: every launched instance that is not serving was destroyed (a late arrival too) or never
        // started
        assertThat(sim.launcher.launched()).filteredOn(instance -> !sim.router.isAttached(instance.id()))
                .allMatch(instance -> instance.destroyed() || !instance.isAlive());
        // invariants
        sim.checker.assertHolds();
    }

    /** @return null (the old instance dies between swaps), then each of the seven steps */
    static Stream<SwapStep> deathSteps() {
        List<SwapStep> steps = new ArrayList<>();
        steps.add(null);
        steps.addAll(EnumSet.range(SwapStep.LAUNCH, SwapStep.DESTROY));
        return steps.stream();
    }

    /**
     * The old instance dies (between swaps, or when a step starts), its replacement healthy: no stop-accepting or drain
     * reaches the corpse, its replacement is kept, the swap commits and records the death (unless the old instance
     * died as its destroy started, which changes nothing).
     */
    @ParameterizedTest(name = "old crashes at {0}")
    @MethodSource("deathSteps")
    void oldCrashes(SwapStep step) {
        Sim sim = new Sim(Duration.ofMillis(100), Duration.ZERO, builder -> { });
        SimulatedInstance old = sim.adopt(1, Script.healthy()).get(0);
        old.submit(Duration.ofSeconds(1));
        old.submit(Duration.ofSeconds(1));
        if (step == null) {
            // dead before the swap reaches it: as the swap starts, before the supervisor can see it
            sim.crashWhen(SwapStep.LAUNCH, old);
        } else {
            sim.crashWhen(step, old);
        }

        SwapResult result = sim.swap(Plan.oneForOne());
        sim.clock.runUntilIdle();

        assertThat(old.crashed()).isTrue();
        assertThat(result.outcome()).as(sim.log().toString()).isEqualTo(SwapOutcome.COMMITTED);
        // a death heard during the drain ends that step FAILED; found before it, there is no drain at all
        boolean diedDraining = step == SwapStep.DRAIN || step == SwapStep.AWAIT_DRAINED;
        if (diedDraining) {
            assertThat(sim.happened(step, Phase.FAILED)).as(sim.log().toString()).isTrue();
            assertThat(sim.events).filteredOn(event -> event.phase() == Phase.FAILED).hasSize(1);
        } else {
            assertThat(sim.events).noneMatch(event -> event.phase() == Phase.FAILED);
        }
        if (step == null || step.number() <= SwapStep.DETACH.number()) {
            assertThat(sim.happened(SwapStep.DRAIN, Phase.STARTED)).as(sim.log().toString()).isFalse();
        }
        if (step == SwapStep.DESTROY) {
            assertThat(result.cause()).isEmpty();
        } else {
            assertThat(result.cause()).get().isInstanceOfSatisfying(InstanceFailedException.class,
                    cause -> assertThat(cause.instanceId()).isEqualTo(OLD));
        }
        assertThat(sim.happened(SwapStep.READMIT, Phase.STARTED)).isFalse();
        assertThat(sim.happened(SwapStep.ROLLBACK, Phase.STARTED)).isFalse();
        assertThat(result.retired()).containsExactly(OLD);
        assertThat(result.abandoned()).isZero();
        assertThat(sim.swaps("committed")).isEqualTo(1.0);
        assertThat(sim.destroyFailures()).isZero();
        assertThat(old.destroyed()).isTrue();
        assertThat(old.callsAfterCrash()).isEmpty();
        assertThat(sim.launcher.instance(NEW).isReady()).isTrue();
        assertThat(sim.router.attached()).containsExactly(NEW);
        assertThat(sim.orchestrator.instances()).extracting(Lifecycle::id).containsExactly(NEW);
        sim.checker.assertHolds();
    }

    /** What is left when both instances crash. */
    record BothCase(String why, SwapOutcome outcome) {
    }

    static Stream<Arguments> bothCrash() {
        List<Arguments> cells = new ArrayList<>();
        for (SwapStep newStep : EnumSet.range(SwapStep.LAUNCH, SwapStep.DESTROY)) {
            cells.add(Arguments.of(newStep, null));
        }
        for (SwapStep step : EnumSet.range(SwapStep.DETACH, SwapStep.DESTROY)) {
            cells.add(Arguments.of(step, step));
        }
        return cells.stream();
    }

    /**
     * Both crash: the new instance at {@code newStep}, the old one between swaps ({@code oldStep} null) or at the same
     * step. The existing rules apply, with nothing to re-admit, and no healthy instance is ever left out.
     */
    @ParameterizedTest(name = "new crashes at {0}, old at {1}")
    @MethodSource("bothCrash")
    void bothCrash(SwapStep newStep, SwapStep oldStep) {
        BothCase expected = bothCaseFor(newStep, oldStep);
        Sim sim = new Sim(Duration.ofMillis(100), Duration.ZERO, builder -> { });
        sim.scripts.put(0, Script.builder().crashAt(newStep).build());
        SimulatedInstance old = sim.adopt(1, Script.healthy()).get(0);
        old.submit(Duration.ofSeconds(1));
        if (oldStep == null) {
            sim.crashWhen(SwapStep.LAUNCH, old);
        } else {
            sim.crashWhen(oldStep, old);
        }

        SwapResult result = sim.swap(Plan.oneForOne());
        sim.clock.runUntilIdle();

        assertThat(result.outcome()).as(expected.why() + ", in " + sim.log()).isEqualTo(expected.outcome());
        if (oldStep == SwapStep.DESTROY) {
            // both died once the old instance's destroy had started: nothing to act on, nothing recorded
            assertThat(result.cause()).isEmpty();
        } else {
            assertThat(result.cause()).get().isInstanceOf(InstanceFailedException.class);
        }
        assertThat(sim.happened(SwapStep.READMIT, Phase.STARTED)).as(sim.log().toString()).isFalse();
        assertThat(old.callsAfterCrash()).isEmpty();
        if (newStep != SwapStep.LAUNCH) {
            assertThat(sim.launcher.instance(NEW).callsAfterCrash()).isEmpty();
        }
        // whatever the swap left (dead members included; a crash scripted for a step the swap skips never happens),
        // the supervisor then retires every dead member and restores the group's size with a healthy instance
        assertThat(old.destroyed()).as("old destroyed").isTrue();
        assertThat(sim.launcher.launched()).filteredOn(SimulatedInstance::crashed)
                .allMatch(SimulatedInstance::destroyed);
        assertThat(sim.orchestrator.instances()).singleElement()
                .satisfies(member -> assertThat(member.isReady()).isTrue());
        assertThat(sim.router.attached()).containsExactlyElementsOf(
                sim.orchestrator.instances().stream().map(Lifecycle::id).toList());
        sim.checker.assertHolds();
    }

    private static BothCase bothCaseFor(SwapStep newStep, SwapStep oldStep) {
        if (oldStep == null) {
            switch (newStep) {
                case LAUNCH:
                case AWAIT_READY:
                case ATTACH:
                    return new BothCase("the replacement fails at " + newStep + ": rolled back, the dead old instance"
                            + " untouched (a member still, for the next swap)", SwapOutcome.ROLLED_BACK);
                case DETACH:
                    return new BothCase("the replacement fails as the dead old instance is retired: nothing to"
                            + " re-admit, both removed", SwapOutcome.ROLLED_BACK);
                case DRAIN:
                case AWAIT_DRAINED:
                    return new BothCase("a dead old instance is not drained: the replacement's crash step never"
                            + " comes", SwapOutcome.COMMITTED);
                default:
                    return new BothCase("the replacement fails after the dead old instance's destroy started: too"
                            + " late to roll back, committed", SwapOutcome.COMMITTED);
            }
        }
        if (oldStep == SwapStep.DESTROY) {
            return new BothCase("both fail as the old instance's destroy starts: too late to roll back, committed",
                    SwapOutcome.COMMITTED);
        }
        return new BothCase("both fail at " + oldStep + ": nothing to re-admit, both removed", SwapOutcome.ROLLED_BACK);
    }

    private static Case caseFor(SwapStep step, Fault fault) {
        Script healthy = Script.healthy();
        Script slowStart = Script.builder().startDelay(Duration.ofSeconds(1)).readyDelay(Duration.ofSeconds(1)).build();
        Consumer<Sim> none = sim -> { };
        Set<SwapStep> afterLaunch = EnumSet.range(SwapStep.AWAIT_READY, SwapStep.DESTROY);
        Set<SwapStep> backHalf = BACK_HALF;
        Set<SwapStep> noneSkipped = Set.of();
        Duration second = Duration.ofSeconds(1);
        switch (fault) {
            case FAILS_TO_START: {
                // Failing to start is step 1's failure by definition; for steps 2 to 7 the nearest meaningful case
                // is that a swap whose new instance fails to start never reaches that step.
                Script fails = Script.builder().startDelay(second).fault(Fault.FAILS_TO_START).build();
                return new Case("the new instance fails to start: rolled back, never reaching " + step, fails,
                        healthy, 2, second, none, SwapOutcome.ROLLED_BACK, SwapStep.LAUNCH,
                        InstanceFailedException.class, false, false, 0, 0, afterLaunch);
            }
            case NEVER_READY: {
                switch (step) {
                    case LAUNCH:
                        // Step 1's "never ready": the launch never completes in time. The instance arrives after
                        // the deadline and is destroyed then.
                        return new Case("launch times out", Script.builder().startDelay(Duration.ofSeconds(8)).build(),
                                healthy, 2, second, sim -> { }, SwapOutcome.ROLLED_BACK, SwapStep.LAUNCH,
                                StepTimeoutException.class, false, false, 0, 0, afterLaunch);
                    case AWAIT_READY:
                        return new Case("never ready", Script.builder().fault(Fault.NEVER_READY).build(), healthy, 2,
                                second, none, SwapOutcome.ROLLED_BACK, SwapStep.AWAIT_READY,
                                StepTimeoutException.class, false, true, 0, 0, backHalf);
                    case ATTACH:
                        // Cannot occur as an instance fault (attach follows readiness); nearest: the router never
                        // confirms the attach, so the new instance never becomes reachable.
                        return new Case("attach never confirmed", healthy, healthy, 2, second,
                                sim -> sim.router.hangAttach(NEW), SwapOutcome.ROLLED_BACK, SwapStep.ATTACH,
                                StepTimeoutException.class, false, true, 0, 0, backHalf);
                    case DETACH:
                        // Nearest at step 4: the router never confirms the old instance's detach; the old one was
                        // told to stop accepting, so it is re-admitted.
                        return new Case("detach never confirmed", healthy, healthy, 2, second,
                                sim -> sim.router.hangDetach(OLD), SwapOutcome.ROLLED_BACK, SwapStep.DETACH,
                                StepTimeoutException.class, true, true, 0, 0,
                                EnumSet.of(SwapStep.DRAIN, SwapStep.AWAIT_DRAINED, SwapStep.DESTROY));
                    case DRAIN:
                        // Readiness is awaited once, at step 2. At step 5 the nearest is the old instance's
                        // drain-complete that never comes (a hung background task): forced, 1 unit abandoned.
                        return new Case("drain-complete never comes", healthy,
                                Script.builder().fault(Fault.HANGS_IN_DRAIN).build(), 0, second, none,
                                SwapOutcome.FORCED, SwapStep.AWAIT_DRAINED, StepTimeoutException.class, false, false,
                                1, 0, noneSkipped);
                    case AWAIT_DRAINED:
                        // Nearest at step 6: work that is not done by the drain deadline (two units of 60 s).
                        return new Case("work outlives the drain deadline", healthy, healthy, 2,
                                Duration.ofSeconds(60), none, SwapOutcome.FORCED, SwapStep.AWAIT_DRAINED,
                                StepTimeoutException.class, false, false, 2, 0, noneSkipped);
                    default:
                        // Nearest at step 7: a destroy that never completes; reported, the cut-over stands.
                        return new Case("destroy never completes", healthy,
                                Script.builder().fault(Fault.DESTROY_HANGS).build(), 2, second, none,
                                SwapOutcome.COMMITTED, SwapStep.DESTROY, StepTimeoutException.class, false, false, 0,
                                1, noneSkipped);
                }
            }
            case CRASHES_WHILE_SERVING: {
                Script crash = Script.builder().startDelay(second).readyDelay(second).crashAt(step).build();
                switch (step) {
                    case LAUNCH:
                        // A crash before the instance started is a failure to start: nothing to roll back.
                        return new Case("crash during launch", crash, healthy, 2, second, none,
                                SwapOutcome.ROLLED_BACK, SwapStep.LAUNCH, InstanceFailedException.class, false, false,
                                0, 0, afterLaunch);
                    case AWAIT_READY:
                    case ATTACH:
                        return new Case("crash at " + step, crash, healthy, 2, second, none, SwapOutcome.ROLLED_BACK,
                                step, InstanceFailedException.class, false, true, 0, 0, backHalf);
                    case DETACH:
                    case DRAIN:
                    case AWAIT_DRAINED:
                        // The old instance was told to stop accepting and is not destroyed yet: re-admission. Step 5
                        // starts with the router's hand-over, a wait: a crash heard when it starts aborts it.
                        return new Case("crash at " + step + ": re-admission", crash, healthy, 2, second, none,
                                SwapOutcome.ROLLED_BACK, step, InstanceFailedException.class, true, true, 0, 0,
                                EnumSet.of(SwapStep.DESTROY));
                    default:
                        // The old instance's destroy has started: too late to re-admit it; the swap commits, and
                        // the supervisor replaces the crashed new member once the swap has ended.
                        return new Case("crash at DESTROY: committed", crash, healthy, 2, second, none,
                                SwapOutcome.COMMITTED, null, null, false, false, 0, 0, Set.of(SwapStep.READMIT));
                }
            }
            case HANGS_IN_DRAIN: {
                Script hangs = Script.builder().fault(Fault.HANGS_IN_DRAIN).build();
                switch (step) {
                    case LAUNCH:
                        // Cannot occur before step 5 (the drain starts there). Nearest for steps 1 to 4: the swap
                        // rolls back at that step, and the old instance's hanging drain is never reached.
                        return new Case("rolled back at launch; the hang is never reached",
                                Script.builder().fault(Fault.FAILS_TO_START).build(), hangs, 2, second, none,
                                SwapOutcome.ROLLED_BACK, SwapStep.LAUNCH, InstanceFailedException.class, false, false,
                                0, 0, afterLaunch);
                    case AWAIT_READY:
                        return new Case("rolled back at await-ready; the hang is never reached",
                                Script.builder().fault(Fault.NEVER_READY).build(), hangs, 2, second, none,
                                SwapOutcome.ROLLED_BACK, SwapStep.AWAIT_READY, StepTimeoutException.class, false,
                                true, 0, 0, backHalf);
                    case ATTACH:
                        return new Case("rolled back at attach; the hang is never reached", healthy, hangs, 2, second,
                                sim -> sim.router.hangAttach(NEW), SwapOutcome.ROLLED_BACK, SwapStep.ATTACH,
                                StepTimeoutException.class, false, true, 0, 0, backHalf);
                    case DETACH:
                        return new Case("rolled back at detach; the hang is never reached", healthy, hangs, 2, second,
                                sim -> sim.router.hangDetach(OLD), SwapOutcome.ROLLED_BACK, SwapStep.DETACH,
                                StepTimeoutException.class, true, true, 0, 0,
                                EnumSet.of(SwapStep.DRAIN, SwapStep.AWAIT_DRAINED, SwapStep.DESTROY));
                    case DRAIN:
                        // The intake closes (DRAIN completes); the two units in flight hang and are abandoned.
                        return new Case("hangs with work in flight", healthy, hangs, 2, second, none,
                                SwapOutcome.FORCED, SwapStep.AWAIT_DRAINED, StepTimeoutException.class, false, false,
                                2, 0, noneSkipped);
                    case AWAIT_DRAINED:
                        // Nothing in flight, but a background task hangs: the deadline still forces it.
                        return new Case("hangs idle", healthy, hangs, 0, second, none, SwapOutcome.FORCED,
                                SwapStep.AWAIT_DRAINED, StepTimeoutException.class, false, false, 1, 0, noneSkipped);
                    default:
                        // Cannot occur at step 7 (the hang ended with the force-stop before it); nearest: the forced
                        // instance's destroy then throws, and both are reported.
                        return new Case("forced, then destroy throws", healthy,
                                Script.builder().fault(Fault.HANGS_IN_DRAIN).fault(Fault.DESTROY_THROWS).build(), 2,
                                second, none, SwapOutcome.FORCED, SwapStep.DESTROY, StepTimeoutException.class, false,
                                false, 2, 1, noneSkipped);
                }
            }
            default: {
                Script throwsOnDestroy = Script.builder().fault(Fault.DESTROY_THROWS).build();
                switch (step) {
                    case LAUNCH:
                        // The new instance arrives after its launch deadline and its destroy throws: reported in the
                        // destroy-failure counter (the swap had ended).
                        return new Case("late arrival whose destroy throws",
                                Script.builder().startDelay(Duration.ofSeconds(8)).fault(Fault.DESTROY_THROWS).build(),
                                healthy, 2, second, none, SwapOutcome.ROLLED_BACK, SwapStep.LAUNCH,
                                StepTimeoutException.class, false, false, 0, 1, afterLaunch);
                    case AWAIT_READY:
                        return new Case("never ready, and its destroy throws",
                                Script.builder().fault(Fault.NEVER_READY).fault(Fault.DESTROY_THROWS).build(),
                                healthy, 2, second, none, SwapOutcome.ROLLED_BACK, SwapStep.ROLLBACK,
                                StepTimeoutException.class, false, true, 0, 1, backHalf);
                    case ATTACH:
                        return new Case("attach never confirmed, and the destroy throws", throwsOnDestroy, healthy, 2,
                                second, sim -> sim.router.hangAttach(NEW), SwapOutcome.ROLLED_BACK, SwapStep.ROLLBACK,
                                StepTimeoutException.class, false, true, 0, 1, backHalf);
                    case DETACH:
                        return new Case("detach never confirmed, re-admitted, the new one's destroy throws",
                                throwsOnDestroy, healthy, 2, second, sim -> sim.router.hangDetach(OLD),
                                SwapOutcome.ROLLED_BACK, SwapStep.ROLLBACK, StepTimeoutException.class, true, true, 0,
                                1, EnumSet.of(SwapStep.DRAIN, SwapStep.AWAIT_DRAINED, SwapStep.DESTROY));
                    case DRAIN:
                    case AWAIT_DRAINED:
                        // Cannot occur at steps 5 and 6 (destroys happen at step 7 or in a rollback); nearest: the
                        // new instance crashes during that step, the old one is re-admitted and the crashed one's
                        // destroy throws.
                        return new Case("re-admitted at " + step + ", the new one's destroy throws",
                                Script.builder().crashAt(step).fault(Fault.DESTROY_THROWS).build(), healthy, 2,
                                second, none, SwapOutcome.ROLLED_BACK, SwapStep.ROLLBACK,
                                InstanceFailedException.class, true, true, 0, 1, EnumSet.of(SwapStep.DESTROY));
                    default:
                        return new Case("the old instance's destroy throws: committed, reported", healthy,
                                throwsOnDestroy, 2, second, none, SwapOutcome.COMMITTED, SwapStep.DESTROY,
                                IllegalStateException.class, false, false, 0, 1, noneSkipped);
                }
            }
        }
    }
}
