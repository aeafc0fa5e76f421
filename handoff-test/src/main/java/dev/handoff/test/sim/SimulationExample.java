package dev.handoff.test.sim;

import dev.handoff.api.Plan;
import dev.handoff.api.SwapResult;
import dev.handoff.api.SwapStep;
import dev.handoff.api.event.SwapEvent;
import dev.handoff.api.event.SwapListener;
import dev.handoff.core.Orchestrator;
import java.io.PrintStream;
import java.time.Duration;
import java.util.Locale;

/**
 * A runnable tour of the simulation kit: a group of three simulated instances serving steady traffic is rolled
 * over to a new version, then a second release whose new instance crashes after the old one was told to stop
 * accepting is rolled back by re-admitting the old one. Prints a timeline on the virtual clock and checks the
 * invariants. Runs in milliseconds.
 *
 * <pre>
 * java -cp handoff-core.jar:handoff-api.jar:... dev.handoff.test.sim.SimulationExample
 * </pre>
 */
public final class SimulationExample {

    private SimulationExample() {
    }

    /**
     * @param args ignored
     */
    public static void main(String[] args) {
        run(System.out);
    }

    /**
     * Runs the example.
     *
     * @param out where the timeline goes
     * @throws AssertionError when an invariant did not hold
     */
    public static void run(PrintStream out) {
        VirtualClock clock = new VirtualClock();
        SimulatedLauncher launcher = new SimulatedLauncher(clock, index -> {
            SimulatedInstance.Script.Builder script = SimulatedInstance.Script.builder()
                    .startDelay(Duration.ofMillis(800)).readyDelay(Duration.ofSeconds(2));
            // Launches 0-2 are the first version, 3-5 the second; the third release's new instance crashes.
            return index == 6 ? script.crashAt(SwapStep.DRAIN).build() : script.build();
        });
        SimulatedRouter router = new SimulatedRouter(clock, Duration.ofMillis(50), Duration.ofMillis(500));
        InvariantChecker checker = new InvariantChecker(router, launcher);
        Orchestrator orchestrator = Orchestrator.builder("web", launcher, router)
                .scheduler(clock)
                .executor(Runnable::run)
                .drainTimeout(Duration.ofSeconds(30))
                .listener(launcher)
                .listener(checker)
                .listener(timeline(clock, out))
                .build();

        out.println("# start 3 instances, then route one request every 100 ms (each takes 1.5 s)");
        clock.runUntil(orchestrator.start(3));
        router.startTraffic(Duration.ofMillis(100), Duration.ofMillis(1500));

        out.println("# release 2: rolling(maxSurge=1, maxUnavailable=0)");
        report(out, clock.runUntil(orchestrator.swap(Plan.rolling(1, 0))));

        out.println("# release 3: one instance; its replacement crashes while the old one drains");
        report(out, clock.runUntil(orchestrator.swap(Plan.rolling(1, 0))));

        router.stopTraffic();
        clock.runUntilIdle();
        orchestrator.close();
        checker.assertHolds();
        out.printf(Locale.ROOT, "# invariants hold; %d requests routed, group now %s, virtual time %s%n",
                router.routed(), router.attached(), clock.elapsed());
    }

    private static void report(PrintStream out, SwapResult result) {
        out.printf(Locale.ROOT, "  => %s %s in %s, launched %s, retired %s, abandoned %d%s%n", result.swapId(),
                result.outcome(), result.duration(), result.launched(), result.retired(), result.abandoned(),
                result.cause().map(cause -> ", cause: " + cause.getMessage()).orElse(""));
    }

    private static SwapListener timeline(VirtualClock clock, PrintStream out) {
        return new SwapListener() {
            @Override
            public void onStep(SwapEvent event) {
                if (event.phase() == SwapEvent.Phase.STARTED && event.step() != SwapStep.READMIT
                        && event.step() != SwapStep.ROLLBACK) {
                    return;
                }
                Duration at = clock.elapsed();
                out.printf(Locale.ROOT, "  t=%8.3fs  %-13s %-9s %s%s%n", at.toNanos() / 1e9, event.step(),
                        event.phase(), event.instanceId(),
                        event.failure().map(cause -> "  (" + cause.getMessage() + ")").orElse(""));
            }
        };
    }
}
