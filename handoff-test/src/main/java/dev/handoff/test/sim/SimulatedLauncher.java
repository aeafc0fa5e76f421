package dev.handoff.test.sim;

import dev.handoff.api.SwapStep;
import dev.handoff.api.event.SwapEvent;
import dev.handoff.api.event.SwapListener;
import dev.handoff.api.Lifecycle;
import dev.handoff.api.spi.Launcher;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.NoSuchElementException;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.IntFunction;

/**
 * Launches {@link SimulatedInstance}s on a {@link VirtualClock}, each following the script chosen for its launch
 * index (0 for the first launch, counting every launch, including an orchestrator's {@code start(n)}).
 *
 * <p>Register it as a listener of the orchestrator too ({@code builder.listener(launcher)}) for scripts with
 * {@link SimulatedInstance.Script.Builder#crashAt(SwapStep)}: an instance crashes when that step starts in the swap
 * that launched it. Steps 1 to 3, VERIFY and ROLLBACK match the instance's own id; steps 4 to 7 and READMIT match
 * its partner, the old instance whose detach is the first to start after the new instance was attached.
 *
 * <p>Thread-safe.
 */
public final class SimulatedLauncher implements Launcher, SwapListener {

    private static final Set<SwapStep> OWN_STEPS =
            EnumSet.of(SwapStep.LAUNCH, SwapStep.AWAIT_READY, SwapStep.ATTACH, SwapStep.VERIFY, SwapStep.ROLLBACK);

    private final VirtualClock clock;
    private final IntFunction<SimulatedInstance.Script> scripts;
    private final Map<String, SimulatedInstance> launched = new LinkedHashMap<>();
    private final Map<String, List<String>> launchedBySwap = new HashMap<>();
    private final Map<String, String> partners = new HashMap<>();
    private final Map<String, Boolean> attachedInSwap = new HashMap<>();
    private final List<Runnable> observers = new CopyOnWriteArrayList<>();

    /** @param clock the clock; every instance is healthy, with no delays */
    public SimulatedLauncher(VirtualClock clock) {
        this(clock, index -> SimulatedInstance.Script.healthy());
    }

    /**
     * @param clock   the clock
     * @param scripts the script of the n-th launch (from 0); must not return null
     * @throws NullPointerException when an argument is null
     */
    public SimulatedLauncher(VirtualClock clock, IntFunction<SimulatedInstance.Script> scripts) {
        this.clock = Objects.requireNonNull(clock, "clock must not be null");
        this.scripts = Objects.requireNonNull(scripts, "scripts must not be null");
    }

    @Override
    public CompletionStage<Lifecycle> launch(String instanceId) {
        SimulatedInstance.Script script;
        synchronized (this) {
            script = Objects.requireNonNull(scripts.apply(launched.size()),
                    () -> "the script function returned null for launch " + launched.size());
        }
        SimulatedInstance instance = SimulatedInstance.launch(instanceId, clock, script);
        for (Runnable observer : observers) {
            instance.addObserver(observer);
        }
        synchronized (this) {
            launched.put(instanceId, instance);
        }
        for (Runnable observer : observers) {
            observer.run();
        }
        if (script.crashAt().orElse(null) == SwapStep.LAUNCH) {
            instance.crash();
        }
        return instance.started();
    }

    /**
     * {@inheritDoc} The instance launched with that id, when it is still alive (not crashed, not destroyed): a
     * simulated instance outlives the orchestrator that launched it, as a child process under a state directory does.
     */
    @Override
    public CompletionStage<Lifecycle> reattach(String instanceId) {
        SimulatedInstance instance;
        synchronized (this) {
            instance = launched.get(instanceId);
        }
        if (instance == null || !instance.isAlive()) {
            return CompletableFuture.failedFuture(new IllegalStateException("instance " + instanceId + " is "
                    + (instance == null ? "unknown" : "gone")));
        }
        return CompletableFuture.completedFuture(instance);
    }

    /** @return every instance launched, in launch order */
    public synchronized List<SimulatedInstance> launched() {
        return List.copyOf(launched.values());
    }

    /**
     * @param instanceId an id
     * @return the instance launched with it
     * @throws NoSuchElementException when none was
     */
    public synchronized SimulatedInstance instance(String instanceId) {
        SimulatedInstance instance = launched.get(instanceId);
        if (instance == null) {
            throw new NoSuchElementException("no instance '" + instanceId + "' was launched; launched: "
                    + launched.keySet());
        }
        return instance;
    }

    /** Crashes instances scripted to crash at the step that starts. */
    @Override
    public void onStep(SwapEvent event) {
        List<SimulatedInstance> toCrash = new ArrayList<>();
        synchronized (this) {
            List<String> ofSwap = launchedBySwap.computeIfAbsent(event.swapId(), key -> new ArrayList<>());
            if (event.step() == SwapStep.LAUNCH && event.phase() == SwapEvent.Phase.STARTED) {
                ofSwap.add(event.instanceId());
            }
            if (event.step() == SwapStep.ATTACH && event.phase() == SwapEvent.Phase.COMPLETED) {
                attachedInSwap.put(event.instanceId(), Boolean.TRUE);
            }
            if (event.step() == SwapStep.DETACH && event.phase() == SwapEvent.Phase.STARTED) {
                for (String candidate : ofSwap) {
                    if (attachedInSwap.containsKey(candidate) && !partners.containsKey(candidate)) {
                        partners.put(candidate, event.instanceId());
                        break;
                    }
                }
            }
            if (event.phase() != SwapEvent.Phase.STARTED) {
                return;
            }
            for (String candidate : ofSwap) {
                SimulatedInstance instance = launched.get(candidate);
                if (instance == null || instance.script().crashAt().orElse(null) != event.step()) {
                    continue;
                }
                boolean own = OWN_STEPS.contains(event.step()) && candidate.equals(event.instanceId());
                boolean partner = !OWN_STEPS.contains(event.step())
                        && event.instanceId().equals(partners.get(candidate));
                if (own || partner) {
                    toCrash.add(instance);
                }
            }
        }
        for (SimulatedInstance instance : toCrash) {
            instance.crash();
        }
    }

    void addObserver(Runnable observer) {
        observers.add(observer);
        for (SimulatedInstance instance : launched()) {
            instance.addObserver(observer);
        }
    }
}
