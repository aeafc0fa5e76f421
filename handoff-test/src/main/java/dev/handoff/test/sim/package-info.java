/**
 * The simulation kit: test swaps in-process, deterministically, in milliseconds. Plain Java, no test-framework
 * dependency.
 *
 * <ul>
 *   <li>{@link dev.handoff.test.sim.VirtualClock}: a {@link dev.handoff.core.Scheduler} whose time moves only when
 *       the test says so;</li>
 *   <li>{@link dev.handoff.test.sim.SimulatedInstance}: an instance following a script (start and readiness delays,
 *       faults: fails to start, never ready, crashes while serving, hangs in drain, destroy throws or hangs) and
 *       recording its lifecycle and its work; once crashed it answers like a dead process;</li>
 *   <li>{@link dev.handoff.test.sim.SimulatedLauncher} and {@link dev.handoff.test.sim.SimulatedRouter}: the SPIs on
 *       the virtual clock, with scripted traffic and router faults;</li>
 *   <li>{@link dev.handoff.test.sim.InvariantChecker}: the brief's invariants (capacity, no loss, no intermediate
 *       state, every wait bounded, never empty), asserted after a run.</li>
 * </ul>
 *
 * <pre>{@code
 * VirtualClock clock = new VirtualClock();
 * SimulatedLauncher launcher = new SimulatedLauncher(clock, index -> Script.builder()
 *         .readyDelay(Duration.ofSeconds(2)).build());
 * SimulatedRouter router = new SimulatedRouter(clock);
 * InvariantChecker checker = new InvariantChecker(router, launcher);
 * Orchestrator orchestrator = Orchestrator.builder("web", launcher, router)
 *         .scheduler(clock).executor(Runnable::run).listener(launcher).listener(checker).build();
 * clock.runUntil(orchestrator.start(3));
 * SwapResult result = clock.runUntil(orchestrator.swap(Plan.rolling(1, 0)));
 * checker.assertHolds();
 * }</pre>
 *
 * <p>{@link dev.handoff.test.sim.SimulationExample} is a runnable tour.
 */
package dev.handoff.test.sim;
