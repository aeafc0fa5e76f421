package dev.handoff.test.orchestrator;

import dev.handoff.api.Plan;
import dev.handoff.api.SwapResult;
import dev.handoff.api.SwapStep;
import dev.handoff.api.event.SwapEvent;
import dev.handoff.api.event.SwapListener;
import dev.handoff.core.HandoffMetrics;
import dev.handoff.core.Orchestrator;
import dev.handoff.test.sim.InvariantChecker;
import dev.handoff.test.sim.SimulatedInstance;
import dev.handoff.test.sim.SimulatedInstance.Script;
import dev.handoff.test.sim.SimulatedLauncher;
import dev.handoff.test.sim.SimulatedRouter;
import dev.handoff.test.sim.VirtualClock;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Timer;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.Consumer;
import java.util.function.IntFunction;

/** A simulated group for tests: virtual clock, direct execution, launcher, router, checker, registry, event log. */
final class Sim {
    static final Duration LAUNCH_TIMEOUT = Duration.ofSeconds(5);
    static final Duration READY_TIMEOUT = Duration.ofSeconds(10);
    static final Duration DRAIN_TIMEOUT = Duration.ofSeconds(30);

    final VirtualClock clock = new VirtualClock();
    final Map<Integer, Script> scripts = new ConcurrentHashMap<>();
    final SimulatedLauncher launcher;
    final SimulatedRouter router;
    final InvariantChecker checker;
    final SimpleMeterRegistry registry = new SimpleMeterRegistry();
    final List<SwapEvent> events = new CopyOnWriteArrayList<>();
    final List<SwapResult> ended = new CopyOnWriteArrayList<>();
    final List<SimulatedInstance> adopted = new CopyOnWriteArrayList<>();
    private final List<Crash> crashes = new CopyOnWriteArrayList<>();
    final Orchestrator orchestrator;

    Sim() {
        this(Duration.ZERO, Duration.ZERO, builder -> { });
    }

    Sim(Duration confirmDelay, Duration propagationDelay, Consumer<Orchestrator.Builder> configure) {
        this(confirmDelay, propagationDelay, null, configure);
    }

    Sim(Duration confirmDelay, Duration propagationDelay, IntFunction<Script> scriptFunction,
        Consumer<Orchestrator.Builder> configure) {
        IntFunction<Script> byIndex = scriptFunction != null ? scriptFunction
                : index -> scripts.getOrDefault(index, Script.healthy());
        launcher = new SimulatedLauncher(clock, byIndex);
        router = new SimulatedRouter(clock, confirmDelay, propagationDelay);
        checker = new InvariantChecker(router, launcher);
        Orchestrator.Builder builder = Orchestrator.builder("web", launcher, router)
                .scheduler(clock)
                .executor(Runnable::run)
                .meterRegistry(registry)
                .launchTimeout(LAUNCH_TIMEOUT)
                .readyTimeout(READY_TIMEOUT)
                .attachTimeout(Duration.ofSeconds(2))
                .detachTimeout(Duration.ofSeconds(2))
                .drainTimeout(DRAIN_TIMEOUT)
                .forceTimeout(Duration.ofSeconds(5))
                .destroyTimeout(Duration.ofSeconds(5))
                .verifyTimeout(Duration.ofSeconds(5))
                .listener(launcher)
                .listener(checker)
                .listener(new SwapListener() {
                    @Override
                    public void onStep(SwapEvent event) {
                        events.add(event);
                        if (event.phase() == SwapEvent.Phase.STARTED) {
                            crashesAt(event);
                        }
                    }

                    @Override
                    public void onSwapEnd(SwapResult result) {
                        ended.add(result);
                    }
                });
        configure.accept(builder);
        orchestrator = builder.build();
        checker.group(orchestrator::instances);
    }

    /**
     * Crashes an instance (an old one, typically) when a step starts: one of its own (steps 4 to 7, READMIT), or, for
     * steps 1 to 3, that step of any instance (its replacement's, in a one-for-one swap).
     *
     * @param step     the step
     * @param instance the instance to crash
     * @param delay    how long after the step starts
     */
    void crashWhen(SwapStep step, SimulatedInstance instance, Duration delay) {
        crashes.add(new Crash(step, instance, delay));
    }

    void crashWhen(SwapStep step, SimulatedInstance instance) {
        crashWhen(step, instance, Duration.ZERO);
    }

    private void crashesAt(SwapEvent event) {
        boolean anyInstance = event.step().number() >= 1 && event.step().number() <= 3;
        for (Crash crash : crashes) {
            if (crash.step() == event.step() && (anyInstance || crash.instance().id().equals(event.instanceId()))
                    && crashes.remove(crash)) {
                if (crash.delay().isZero()) {
                    crash.instance().crash();
                } else {
                    clock.schedule(crash.delay(), crash.instance()::crash);
                }
            }
        }
    }

    private record Crash(SwapStep step, SimulatedInstance instance, Duration delay) {
    }

    /** Starts instances by script, attaches them, adopts them into the group. */
    List<SimulatedInstance> adopt(int count, Script script) {
        List<SimulatedInstance> adopted = new ArrayList<>();
        for (int i = 1; i <= count; i++) {
            SimulatedInstance instance = SimulatedInstance.launch("old-" + i, clock, script);
            clock.runUntil(instance.started());
            clock.runUntil(instance.whenReady());
            clock.runUntil(router.attach(instance));
            checker.watch(instance);
            adopted.add(instance);
        }
        orchestrator.adopt(adopted.toArray(new SimulatedInstance[0]));
        this.adopted.addAll(adopted);
        return adopted;
    }

    SwapResult swap(Plan plan) {
        return clock.runUntil(orchestrator.swap(plan));
    }

    /** @return "STEP PHASE instance" for each event, in order */
    List<String> log() {
        List<String> lines = new ArrayList<>();
        for (SwapEvent event : events) {
            lines.add(event.step() + " " + event.phase() + " " + event.instanceId());
        }
        return lines;
    }

    boolean happened(SwapStep step, SwapEvent.Phase phase) {
        return events.stream().anyMatch(event -> event.step() == step && event.phase() == phase);
    }

    double swaps(String outcome) {
        Counter counter = registry.find(HandoffMetrics.SWAPS).tag(HandoffMetrics.TAG_OUTCOME, outcome).counter();
        return counter == null ? 0 : counter.count();
    }

    double abandoned() {
        Counter counter = registry.find(HandoffMetrics.WORK_ABANDONED).counter();
        return counter == null ? 0 : counter.count();
    }

    double destroyFailures() {
        Counter counter = registry.find(HandoffMetrics.DESTROY_FAILURES).counter();
        return counter == null ? 0 : counter.count();
    }

    long stepCount(SwapStep step, String result) {
        Timer timer = registry.find(HandoffMetrics.STEP_DURATION)
                .tag(HandoffMetrics.TAG_STEP, step.name().toLowerCase(java.util.Locale.ROOT))
                .tag(HandoffMetrics.TAG_RESULT, result).timer();
        return timer == null ? 0 : timer.count();
    }
}
