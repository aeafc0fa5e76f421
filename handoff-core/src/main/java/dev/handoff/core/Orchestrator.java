package dev.handoff.core;

import dev.handoff.api.HandoffException;
import dev.handoff.api.Member;
import dev.handoff.api.OrphanPolicy;
import dev.handoff.api.Plan;
import dev.handoff.api.Release;
import dev.handoff.api.SwapInProgressException;
import dev.handoff.api.SwapResult;
import dev.handoff.api.WaitTimeoutException;
import dev.handoff.api.event.SwapListener;
import dev.handoff.api.Lifecycle;
import dev.handoff.api.spi.Launcher;
import dev.handoff.api.spi.Router;
import dev.handoff.core.internal.Durations;
import dev.handoff.core.internal.swap.Settings;
import dev.handoff.core.internal.swap.SwapEngine;
import io.micrometer.core.instrument.MeterRegistry;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Executor;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Drives swaps of one group of instances through the seven steps of the contract (launch, await ready, attach,
 * detach old, drain, await drained, destroy), by a {@link Plan}, with a deadline on every wait.
 *
 * <pre>{@code
 * Orchestrator orchestrator = Orchestrator.builder("web", Release.of("1.0", launcherOf10), router)
 *         .drainTimeout(Duration.ofSeconds(30))
 *         .listener(event -> log.info("{}", event))
 *         .build();
 * orchestrator.adopt(running);                      // or orchestrator.start(1)
 * orchestrator.swap(Release.of("1.1", launcherOf11), Plan.oneForOne())
 *         .thenAccept(result -> log.info("{}", result.outcome()));
 * // or, blocking: SwapResult result = orchestrator.swapAndWait(Release.of("1.1", ...), Plan.oneForOne(), timeout);
 * orchestrator.swapBack(Plan.oneForOne());          // back to 1.0
 * orchestrator.close();                             // destroys the instances it launched
 * }</pre>
 *
 * <p><b>Releases.</b> A swap names the {@link Release} it deploys (a label and its launcher); {@link #swap(Plan)}
 * deploys the release the group runs again (a restart of every instance). The orchestrator knows which release each
 * member runs ({@link #members()}), keeps the last {@value #RELEASE_HISTORY} releases the group was switched to
 * ({@link #releases()}: a swap that committed or was forced, i.e. whose cut-over happened), and
 * {@link #swapBack(Plan)} deploys the one before the current one, like {@code kubectl rollout undo}: twice in a row
 * returns to where it started. A rolling or canary plan that halts after some instances were replaced leaves a mixed
 * group on the previous release: {@code swap(release(), plan)} makes it whole again. Events carry the release of the
 * instance they concern, results and the {@value HandoffMetrics#SWAPS} meters the release deployed, and log lines the
 * MDC key {@code handoff.release}.
 *
 * <p><b>Outcomes.</b> Every swap ends {@code COMMITTED}, {@code ROLLED_BACK} or {@code FORCED}; the stage returned by
 * {@link #swap(Plan)} completes normally with the {@link SwapResult} in every case (it completes exceptionally only
 * when the swap never started, see below).
 * <ul>
 *   <li>A failure before the cut-over (the new instance fails to start, is not ready in time, fails, cannot be
 *       attached, a canary's gate says no) rolls back: the new instance is detached, drained if it served (after the
 *       propagation delay, as an old instance is), and destroyed; the old one was never touched and still serves. A new instance that arrives after its launch
 *       deadline is destroyed when it arrives.</li>
 *   <li>Step 4 tells the old instance to stop accepting, has the router detach it (confirmed, bounded), then
 *       waits the propagation delay (the router's plus {@link Builder#propagationDelay(Duration)}). If step 4 fails,
 *       or the new instance fails after the old one was told to stop accepting but before the old one is destroyed,
 *       the old one is <b>re-admitted</b> (it resumes accepting and is attached again), the new one is detached and
 *       destroyed, and the swap ends {@code ROLLED_BACK}. The re-admission window also closes when the group's next
 *       swap starts: from then on the group belongs to that swap. A re-admission holds the group like steps 1 to 4
 *       do (a swap asked for meanwhile fails fast or waits), so the next swap sees the group as re-admitted.</li>
 *   <li>A <b>dead old instance</b> (its {@link Lifecycle#failure()} completed, or it is FAILED, or STOPPED without
 *       the orchestrator having destroyed it) is already retired. Found dead when its retirement starts (step 4), or
 *       dying during steps 4 to 6, it is never asked to stop accepting, drain or resume accepting: the router detaches
 *       it (bounded; unless the detach was confirmed already), it is destroyed (bounded; a failure reported as below)
 *       and counted in {@link SwapResult#retired()}, and its new instance stays. The swap goes on and, if nothing
 *       else failed, ends {@code COMMITTED} (or {@code FORCED}, if it died after being forced), its cause a
 *       {@link dev.handoff.api.InstanceFailedException} naming the dead instance. A healthy new instance is never
 *       rolled back because its old one is dead: a blue-green or rolling plan that rolls back for another reason
 *       keeps an attached new instance whose old one is dead. If the new instance fails too before the old one's
 *       destroy starts, the re-admission rule applies with nothing to re-admit: the new one is rolled back, the old
 *       one detached and destroyed, {@code ROLLED_BACK}. A dead old instance whose replacement fails in steps 1 to 3
 *       is left as any old instance then is, a member still: the next swap retires it.</li>
 *   <li>At the drain deadline the old instance is forced to stop; the abandoned work is counted in
 *       {@link SwapResult#abandoned()} and the outcome is {@code FORCED}.</li>
 *   <li>A destroy that throws, fails or times out is reported, never swallowed: in the result's cause (or
 *       suppressed in it), as a {@code FAILED} step event, in the {@value HandoffMetrics#DESTROY_FAILURES} counter
 *       and in an ERROR log line. The outcome still tells whether the cut-over happened.</li>
 * </ul>
 *
 * <p><b>Serialization.</b> Swaps of the group are serialized from step 1 to step 4: a swap asked for while another is
 * between those steps fails fast with {@link SwapInProgressException}, or, with {@code swap(plan, true)}, waits its
 * turn (first come, first served). Steps 5 to 7 of the old instances run on and may overlap the next swap, so a long
 * drain never blocks the next release. Each swap keeps its own instances alive within its plan's bound
 * ({@code N + maxSurge}; instances a previous swap is still draining are that swap's).
 *
 * <p><b>Plans.</b> See {@link Plan}. A rolling plan keeps Kubernetes' semantics, with the bounds
 * {@link Plan#maxSurge(int)} and {@link Plan#maxUnavailable(int)} of the group's size N: it launches new instances
 * first (each then retires one old instance) while at most {@code N + maxSurge} instances of the swap are alive
 * (draining ones count), and beyond that retires up to {@code maxUnavailable} old instances first, each replaced once
 * it is destroyed, so that never fewer than {@code N - maxUnavailable} ready instances are attached. If the
 * replacement of an old instance retired first fails, the group is left one instance short and the swap is
 * {@code ROLLED_BACK}. A rolling or canary plan halts at the first instance swap that rolls back: none starts after
 * it, one that has not cut over yet is rolled back, the ones that have stay replaced. Blue-green is all or nothing
 * until the first old instance is destroyed, which happens only after every old one has drained.
 *
 * <p><b>Deadlines.</b> Every wait is bounded: each SPI call by its timeout on the {@link Scheduler}, the propagation
 * delay by itself, and a rolling plan's wait for room under {@code N + maxSurge} by the drain, force and destroy
 * timeouts of the old instance it waits for. No wait polls or sleeps.
 *
 * <p><b>Events, logs, metrics.</b> Each step emits {@code STARTED} and then {@code COMPLETED} or {@code FAILED} to the
 * listeners, in order, on the orchestrator's executor; each swap ends with {@link SwapListener#onSwapEnd}. A
 * listener that throws is logged and ignored. Log lines (logger {@code dev.handoff.core.Orchestrator}) carry the
 * swap id in the MDC key {@code handoff.swap} and the release it deploys in {@code handoff.release}. With a {@link MeterRegistry} the meters of {@link HandoffMetrics} are
 * recorded.
 *
 * <p><b>Blocking forms.</b> {@link #startAndWait(int, Duration)} and {@link #swapAndWait(Plan, Duration)} wait for
 * the result, bounded by the caller's timeout, and throw unchecked exceptions ({@link WaitTimeoutException} when the
 * wait gives up: the swap is not cancelled, it goes on and ends by its own deadlines).
 *
 * <p><b>Supervision.</b> Between swaps the orchestrator watches every member ({@link Lifecycle#failure()}: a process
 * that exited, a lifecycle gone FAILED, a consumer that lost its broker, a child whose control channel broke; and a
 * member that left READY for longer than {@link Builder#readinessLossThreshold(Duration)}). A
 * member that fails is taken out of the group and detached from the router at once, destroyed, reported (an ERROR
 * line, {@value HandoffMetrics#MEMBERS_FAILED}, {@link SwapListener#onMemberFailure}) and, by default, replaced: a run
 * of {@link Plan#start()} with id {@code <group>/heal-<n>} launches the release the group runs until the group has
 * its size again (set by {@code start}, grown by {@code join} and {@code adopt}). Replacements that fail, or die young,
 * back off (see {@link Builder#replaceBackoff(Duration, Duration)}), so a crash loop or a broker that is down does
 * not spin; once the broker is back, the replacement connects and the group consumes again with no call from you.
 * {@link Builder#onMemberFailure(OnMemberFailure)} can make it only report. While a swap runs (up to its last old
 * instance destroyed) its own failure watch has the say (it re-admits an old instance when a new one fails); the
 * supervisor looks again when the swap has ended.
 *
 * <p><b>State directory: the orchestrator is not a single point of failure.</b> With
 * {@link Builder#stateDirectory(Path)} the orchestrator takes an exclusive lock on the directory for its group (a
 * second live orchestrator of the group is refused), raises the group's epoch, and keeps a write-ahead journal
 * there: the instances it owns, the router's bindings, each swap's intent and each step's completion, each written
 * and forced to disk before the step acts. Its launchers are {@linkplain Launcher#bind bound} to the directory:
 * instances that can (child processes) then outlive the orchestrator, serving, for the
 * {@linkplain Builder#orphanLease(Duration, OrphanPolicy) orphan lease}. An orchestrator built later on the same
 * directory first <b>recovers</b> ({@link #recovery()}): it re-attaches the instances the journal names, and from what
 * it observes (each instance's own state, the router's routes) keeps the ready ones up to the group's size, ends a
 * half-done swap {@code COMMITTED} or {@code ROLLED_BACK}, retires the rest and lets the supervisor restore the size.
 * Swaps asked for meanwhile fail fast or wait, as behind a running swap. See {@code docs/architecture.md}.
 *
 * <p><b>Closing.</b> {@link #close()} destroys the instances the orchestrator launched (see
 * {@link Builder#onClose(OnClose)}), bounded by the destroy timeout; with a state directory it leaves them running
 * by default, for the next orchestrator.
 *
 * <p><b>Threads.</b> Every SPI call and continuation runs on the configured executor, one at a time per
 * orchestrator; deadlines and delays run on the configured {@link Scheduler}. No method blocks but the blocking
 * forms and {@link #close()}, each bounded as documented. Thread-safe.
 */
public final class Orchestrator implements AutoCloseable {

    /** How many releases {@link #releases()} keeps. */
    public static final int RELEASE_HISTORY = 10;

    private final SwapEngine engine;
    private final String group;

    private Orchestrator(Settings settings) {
        this.engine = new SwapEngine(settings);
        this.group = settings.group();
    }

    /**
     * @param group   the group's name, used in instance ids, logs and metric tags; not blank
     * @param release the release the group runs at first: {@link #start(int)} launches it, and instances given to
     *                {@link #adopt(Lifecycle...)} are taken to run it
     * @param router  attaches and detaches instances (steps 3 and 4)
     * @return a builder with the default settings
     * @throws NullPointerException     when an argument is null
     * @throws IllegalArgumentException when {@code group} is blank
     */
    public static Builder builder(String group, Release release, Router router) {
        return new Builder(group, release, router);
    }

    /**
     * For a group that deploys one release only (tests, demos): the same as
     * {@code builder(group, Release.of("initial", launcher), router)}.
     *
     * @param group    the group's name, used in instance ids, logs and metric tags; not blank
     * @param launcher starts new instances (step 1)
     * @param router   attaches and detaches instances (steps 3 and 4)
     * @return a builder with the default settings
     * @throws NullPointerException     when an argument is null
     * @throws IllegalArgumentException when {@code group} is blank
     */
    public static Builder builder(String group, Launcher launcher, Router router) {
        return new Builder(group, Release.of("initial", Objects.requireNonNull(launcher, "launcher must not be null")),
                router);
    }

    /** @return the group's name */
    public String group() {
        return group;
    }

    /**
     * Joins instances that already run (a server or a consumer your program started) to the group: waits until each
     * is ready (the ready timeout), has the router attach it (the attach timeout), then makes it a member running
     * {@link #release()}: build the orchestrator with the release the instances run (its label and a launcher of it),
     * so that {@link #members()} tells the truth and {@link #swapBack(Plan)} can return to it. Holds the group meanwhile, like a swap's steps 1 to 4. All or nothing: when one is not ready
     * in time or cannot be attached, the ones attached are detached again and every instance is left to its owner
     * (nothing is destroyed). Members joined this way are adopted ones: {@link #close()} leaves them by default.
     *
     * @param timeout how long to wait; positive
     * @param instances the instances, not attached to the router yet
     * @throws HandoffException         when an instance could not join (the message names it and why)
     * @throws WaitTimeoutException     when the join has not ended within {@code timeout} (it goes on and ends by
     *                                  its own deadlines)
     * @throws NullPointerException     when an argument, an instance or its id is null
     * @throws IllegalArgumentException when an instance's id is already in the group (or given twice), or the
     *                                  timeout is not positive
     * @throws IllegalStateException    when the orchestrator is closed
     * @throws SwapInProgressException  when a swap holds the group
     */
    public void joinAndWait(Duration timeout, Lifecycle... instances) {
        Durations.positive("timeout", timeout);
        Objects.requireNonNull(instances, "instances must not be null");
        SwapEngine.Joining joining = engine.join(Arrays.asList(instances));
        String what = joining.id();
        try {
            joining.joined().toCompletableFuture().get(Durations.saturatedNanos(timeout), TimeUnit.NANOSECONDS);
        } catch (TimeoutException e) {
            throw new WaitTimeoutException(what, timeout);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new HandoffException("interrupted while waiting for " + what + "; it goes on", e);
        } catch (ExecutionException e) {
            throw e.getCause() instanceof RuntimeException runtime ? runtime
                    : new HandoffException(what + " failed: " + e.getCause(), e.getCause());
        }
    }

    /**
     * Asynchronous form of {@link #joinAndWait(Duration, Lifecycle...)}.
     *
     * @param instances the instances, not attached to the router yet
     * @return completes when they are members; exceptionally (a {@link HandoffException} naming why) when they could
     *     not join, and then they are left to their owner, detached
     * @throws NullPointerException     when the array, an instance or its id is null
     * @throws IllegalArgumentException when an instance's id is already in the group (or given twice)
     * @throws IllegalStateException    when the orchestrator is closed
     * @throws SwapInProgressException  when a swap holds the group
     */
    public CompletionStage<Void> join(Lifecycle... instances) {
        Objects.requireNonNull(instances, "instances must not be null");
        return engine.join(Arrays.asList(instances)).joined();
    }

    /**
     * Registers instances that already run <em>and are already attached to the router</em> as the group's members,
     * at once (for instances you attached yourself; {@link #join(Lifecycle...)} attaches them for you).
     *
     * @param instances the instances
     * @throws NullPointerException     when the array, an instance or its id is null
     * @throws IllegalArgumentException when an instance's id is already in the group (or given twice)
     * @throws IllegalStateException    when the orchestrator is closed or a swap holds the group
     */
    public void adopt(Lifecycle... instances) {
        Objects.requireNonNull(instances, "instances must not be null");
        engine.adopt(Arrays.asList(instances));
    }

    /**
     * Launches the group's first instances, waits until they are ready and attaches them: steps 1 to 3 of a swap for
     * each instance, all at once, run like a swap of plan {@link Plan#start()} (id {@code <group>/start-<n>}): the same
     * deadlines, step events, {@link SwapListener#onSwapEnd} result with each step's timing, metrics (tag
     * {@code plan=start}), MDC, and watch for a new instance that fails before the start ends. All or nothing: when
     * one fails, the others are detached, drained if they served, and destroyed, and the stage completes exceptionally
     * (the group stays empty; the listeners still get the {@code ROLLED_BACK} result). The group is held like a swap
     * holds it until the start ends. The started instances are then {@link #instances()}.
     *
     * @param count how many instances; at least 1
     * @return completes with the {@code COMMITTED} result when every instance is ready and attached; completes
     *     exceptionally with a {@link HandoffException} ({@code "starting group '<group>' failed: ..."}, the first
     *     failure as its cause) when the start rolled back
     * @throws IllegalArgumentException when {@code count < 1}
     * @throws IllegalStateException    when the group already has instances, or the orchestrator is closed
     * @throws SwapInProgressException  when a swap or a start holds the group
     */
    public CompletionStage<SwapResult> start(int count) {
        return engine.start(count);
    }

    /** @return the group's instances now: attached and serving (a snapshot, in the order they joined) */
    public List<Lifecycle> instances() {
        return engine.instances();
    }

    /** @return the group's members now, each with the release it runs (a snapshot, in the order they joined) */
    public List<Member> members() {
        return engine.members();
    }

    /**
     * @return the release the group runs: the last one a swap switched it to (its cut-over happened), or the one
     *     the orchestrator was built with
     */
    public Release release() {
        return engine.currentRelease();
    }

    /**
     * @return the releases the group was switched to, oldest first, at most {@value #RELEASE_HISTORY}; the last one
     *     is {@link #release()}
     */
    public List<Release> releases() {
        return engine.releases();
    }

    /**
     * Same as {@link #swap(Plan, boolean) swap(plan, false)}: fails fast when the group is busy.
     *
     * @param plan how to replace the instances
     * @return completes with the result when the swap ends (after step 7 of its last old instance)
     * @throws NullPointerException     when {@code plan} is null
     * @throws IllegalArgumentException when the plan does not fit the group (one-for-one on a group of more than one
     *                                  instance; rolling with a {@code maxUnavailable} of the group's size or more,
     *                                  which could leave it empty)
     * @throws IllegalStateException    when the group is empty or the orchestrator is closed
     * @throws SwapInProgressException  when another swap of the group is between steps 1 and 4 (or re-admitting an
     *                                  old instance)
     */
    public CompletionStage<SwapResult> swap(Plan plan) {
        return engine.swap(null, plan, false);
    }

    /**
     * Deploys {@code release} by {@code plan}; fails fast when the group is busy. See {@link #swap(Plan)} for the
     * exceptions.
     *
     * @param release what the new instances run
     * @param plan    how to replace the instances
     * @return completes with the result when the swap ends
     * @throws NullPointerException when {@code release} or {@code plan} is null
     */
    public CompletionStage<SwapResult> swap(Release release, Plan plan) {
        return engine.swap(Objects.requireNonNull(release, "release must not be null"), plan, false);
    }

    /**
     * Deploys the release before the current one (see {@link #releases()}) by {@code plan}: the way back from a
     * release that turned out bad, in one call. Fails fast when the group is busy; see {@link #swap(Plan)} for the
     * other exceptions.
     *
     * @param plan how to replace the instances
     * @return completes with the result when the swap ends
     * @throws IllegalStateException when the group has run one release only (the message names it)
     */
    public CompletionStage<SwapResult> swapBack(Plan plan) {
        return engine.swap(engine.previousRelease(), plan, false);
    }

    /**
     * Starts a swap of the whole group by {@code plan}. Nothing is started when an exception is thrown. A queued swap
     * (when {@code waitIfBusy}) is validated again when its turn comes; if the group no longer fits the plan, or the
     * orchestrator was closed meanwhile, its stage completes exceptionally with the same exceptions.
     *
     * @param plan       how to replace the instances
     * @param waitIfBusy when another swap is between steps 1 and 4 (or re-admitting an old instance): {@code true}
     *                   to queue behind it, {@code false} to fail fast
     * @return completes with the result when the swap ends (after step 7 of its last old instance)
     * @throws NullPointerException     when {@code plan} is null
     * @throws IllegalArgumentException when the plan does not fit the group
     * @throws IllegalStateException    when the group is empty or the orchestrator is closed
     * @throws SwapInProgressException  when the group is busy and {@code waitIfBusy} is false
     */
    public CompletionStage<SwapResult> swap(Plan plan, boolean waitIfBusy) {
        return engine.swap(null, plan, waitIfBusy);
    }

    /**
     * Deploys {@code release} by {@code plan}; see {@link #swap(Plan, boolean)}.
     *
     * @param release    what the new instances run
     * @param plan       how to replace the instances
     * @param waitIfBusy {@code true} to queue behind a swap that holds the group, {@code false} to fail fast
     * @return completes with the result when the swap ends
     * @throws NullPointerException when {@code release} or {@code plan} is null
     */
    public CompletionStage<SwapResult> swap(Release release, Plan plan, boolean waitIfBusy) {
        return engine.swap(Objects.requireNonNull(release, "release must not be null"), plan, waitIfBusy);
    }

    /**
     * Blocking form of {@link #start(int)}: starts the group's first instances and waits until the start ends, at most
     * {@code timeout} (on the system clock). Nothing starts when an argument is invalid.
     *
     * @param count   how many instances; at least 1
     * @param timeout how long to wait; positive. A start needs up to the launch, ready and attach timeouts (and, when
     *                it rolls back, the detach, drain and destroy ones)
     * @return the {@code COMMITTED} result; the started instances are then {@link #instances()}
     * @throws HandoffException         when the start rolled back ({@code "starting group '<group>' failed: ..."});
     *                                  nothing it launched is left
     * @throws WaitTimeoutException     when the start has not ended within {@code timeout}: it is not cancelled, it
     *                                  goes on and ends by its own deadlines, holding the group until then
     * @throws HandoffException         when interrupted while waiting (the interrupt flag is set again; the start goes
     *                                  on)
     * @throws NullPointerException     when {@code timeout} is null
     * @throws IllegalArgumentException when {@code count < 1} or {@code timeout} is not positive
     * @throws IllegalStateException    when the group already has instances, or the orchestrator is closed
     * @throws SwapInProgressException  when a swap or a start holds the group
     */
    public SwapResult startAndWait(int count, Duration timeout) {
        Durations.positive("timeout", timeout);
        return await(engine.startRun(count), timeout);
    }

    /**
     * Blocking form of {@link #swap(Plan) swap(plan)}: starts the swap (failing fast when the group is busy) and
     * waits until it ends, at most {@code timeout} (on the system clock). Nothing starts when an argument is invalid.
     *
     * @param plan    how to replace the instances
     * @param timeout how long to wait; positive. A swap needs up to the sum of its steps' timeouts per instance swap
     *                it runs one after another
     * @return the result, whatever the outcome: {@code COMMITTED}, {@code ROLLED_BACK} or {@code FORCED}, as
     *     {@link #swap(Plan)} completes
     * @throws WaitTimeoutException     when the swap has not ended within {@code timeout}: it is not cancelled, it
     *                                  goes on and ends by its own deadlines ({@code COMMITTED}, {@code ROLLED_BACK}
     *                                  or {@code FORCED}), holding the group until its cut-over; its result reaches
     *                                  the listeners
     * @throws HandoffException         when interrupted while waiting (the interrupt flag is set again; the swap goes
     *                                  on)
     * @throws NullPointerException     when {@code plan} or {@code timeout} is null
     * @throws IllegalArgumentException when the plan does not fit the group, or {@code timeout} is not positive
     * @throws IllegalStateException    when the group is empty or the orchestrator is closed
     * @throws SwapInProgressException  when another swap of the group is between steps 1 and 4 (or re-admitting an
     *                                  old instance)
     */
    public SwapResult swapAndWait(Plan plan, Duration timeout) {
        Objects.requireNonNull(plan, "plan must not be null");
        Durations.positive("timeout", timeout);
        return await(engine.swapNow(null, plan), timeout);
    }

    /**
     * Blocking form of {@link #swap(Release, Plan)}; see {@link #swapAndWait(Plan, Duration)}.
     *
     * @param release what the new instances run
     * @param plan    how to replace the instances
     * @param timeout how long to wait; positive
     * @return the result, whatever the outcome
     * @throws NullPointerException when an argument is null
     */
    public SwapResult swapAndWait(Release release, Plan plan, Duration timeout) {
        Objects.requireNonNull(release, "release must not be null");
        Objects.requireNonNull(plan, "plan must not be null");
        Durations.positive("timeout", timeout);
        return await(engine.swapNow(release, plan), timeout);
    }

    private static SwapResult await(SwapEngine.Submitted submitted, Duration timeout) {
        try {
            return submitted.result().toCompletableFuture().get(Durations.saturatedNanos(timeout), TimeUnit.NANOSECONDS);
        } catch (TimeoutException e) {
            throw new WaitTimeoutException(submitted.id(), timeout);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new HandoffException("interrupted while waiting for " + submitted.id() + "; it is not cancelled: it"
                    + " goes on and ends by its own deadlines", e);
        } catch (ExecutionException e) {
            Throwable cause = e.getCause();
            if (cause instanceof RuntimeException runtime) {
                throw runtime;
            }
            if (cause instanceof Error error) {
                throw error;
            }
            throw new HandoffException(submitted.id() + " failed: " + cause, cause);
        }
    }

    /**
     * The recovery a restarted orchestrator runs first (see {@link Builder#stateDirectory(Path)}).
     *
     * @return completes once the recovery has decided (the members are attached, a half-done swap has ended; the
     *     instances it retires may still be draining): with the half-done swap's result (outcome {@code COMMITTED}
     *     or {@code ROLLED_BACK}, also given to {@link SwapListener#onSwapEnd}), or empty when no swap was half done.
     *     Without a state directory, or with an empty one, completes at once, empty. Never completes exceptionally.
     */
    public CompletionStage<Optional<SwapResult>> recovery() {
        return engine.recovery();
    }

    /**
     * Rejects further swaps and starts, and fails the queued ones; swaps already running finish by their own
     * deadlines. Then the instances named by {@link Builder#onClose(OnClose)} are destroyed, all at once, each bounded
     * by the destroy timeout: by default ({@link OnClose#DESTROY_LAUNCHED}) the members this orchestrator launched,
     * so that a program whose instances it launched can end; adopted ones are left to whoever created them. They are
     * destroyed, not drained or detached first: close the router too, or retire them by a swap, if it outlives the
     * orchestrator. A destroy that fails or times out is reported in an ERROR log line and the
     * {@value HandoffMetrics#DESTROY_FAILURES} counter. The default executor (if this orchestrator created it) is
     * shut down once the destroys have ended.
     *
     * <p>Blocks at most the destroy timeout, waiting for those destroys when nothing runs; when a swap or a start
     * still runs, returns at once and the destroys follow its end. Do not call it from a listener (it would wait for
     * destroys queued behind the listener, up to the destroy timeout). Interrupted, it returns with the interrupt flag
     * set; the destroys go on. Idempotent.
     */
    @Override
    public void close() {
        engine.close();
    }

    @Override
    public String toString() {
        return "Orchestrator[" + group + "]";
    }

    /** What {@link #close()} does with the group's instances. */
    /** What the orchestrator does with a member that fails between swaps. */
    public enum OnMemberFailure {
        /**
         * Take it out of the group, detach and destroy it, report it, and launch a replacement (of the release the
         * group runs) to restore the group's size, backing off while replacements fail or die young.
         */
        REPLACE,
        /** Take it out of the group, detach and destroy it, and report it; replace nothing. */
        REPORT
    }

    public enum OnClose {
        /**
         * The default: destroy the members this orchestrator launched (by {@link #start(int)} or a swap); leave the
         * adopted ones (and re-admitted adopted ones) to whoever created them.
         */
        DESTROY_LAUNCHED,
        /** Destroy every member, the adopted ones too. */
        DESTROY_ALL,
        /** Leave every instance running: the application stops them (and until then, they keep a program alive). */
        LEAVE_RUNNING
    }

    /**
     * Configures an {@link Orchestrator}. Each setter validates its value at once; {@link #build()} copies, so the
     * orchestrator never changes afterwards. Not thread-safe.
     */
    public static final class Builder {
        private final String group;
        private final Release release;
        private final Router router;
        private Scheduler scheduler = Scheduler.system();
        private Executor executor;
        private MeterRegistry registry;
        private final List<SwapListener> listeners = new ArrayList<>();
        private Duration launchTimeout = Duration.ofSeconds(60);
        private Duration readyTimeout = Duration.ofSeconds(60);
        private Duration attachTimeout = Duration.ofSeconds(10);
        private Duration detachTimeout = Duration.ofSeconds(10);
        private Duration propagationDelay = Duration.ZERO;
        private Duration drainTimeout = Duration.ofSeconds(30);
        private Duration forceTimeout = Duration.ofSeconds(10);
        private Duration destroyTimeout = Duration.ofSeconds(30);
        private Duration verifyTimeout = Duration.ofSeconds(60);
        private OnClose onClose = OnClose.DESTROY_LAUNCHED;
        private OnMemberFailure onMemberFailure = OnMemberFailure.REPLACE;
        private Duration replaceBackoffMin = Duration.ofSeconds(1);
        private Duration replaceBackoffMax = Duration.ofSeconds(30);
        private Duration readinessLossThreshold = Duration.ofSeconds(30);
        private Path stateDirectory;
        private Duration orphanLease = Duration.ofSeconds(60);
        private OrphanPolicy orphanPolicy = OrphanPolicy.TERMINATE_GRACEFULLY;
        private boolean onCloseSet;

        private Builder(String group, Release release, Router router) {
            Objects.requireNonNull(group, "group must not be null");
            if (group.isBlank()) {
                throw new IllegalArgumentException("group must not be blank, but was '" + group + "'");
            }
            this.group = group;
            this.release = Objects.requireNonNull(release, "release must not be null");
            this.router = Objects.requireNonNull(router, "router must not be null");
        }

        /**
         * @param scheduler time and deadlines; default {@link Scheduler#system()}
         * @return this builder
         * @throws NullPointerException when null
         */
        public Builder scheduler(Scheduler scheduler) {
            this.scheduler = Objects.requireNonNull(scheduler, "scheduler must not be null");
            return this;
        }

        /**
         * @param executor where SPI calls and continuations run (one at a time per orchestrator). Default: a cached
         *                 pool of daemon threads owned (and shut down on close) by the orchestrator. Tests on the
         *                 virtual clock pass {@code Runnable::run}.
         * @return this builder
         * @throws NullPointerException when null
         */
        public Builder executor(Executor executor) {
            this.executor = Objects.requireNonNull(executor, "executor must not be null");
            return this;
        }

        /**
         * @param registry where the meters of {@link HandoffMetrics} are registered; default none
         * @return this builder
         * @throws NullPointerException when null
         */
        public Builder meterRegistry(MeterRegistry registry) {
            this.registry = Objects.requireNonNull(registry, "registry must not be null");
            return this;
        }

        /**
         * @param listener told of every step and every swap's end; may be called several times to add several
         * @return this builder
         * @throws NullPointerException when null
         */
        public Builder listener(SwapListener listener) {
            listeners.add(Objects.requireNonNull(listener, "listener must not be null"));
            return this;
        }

        /**
         * @param timeout bound on step 1 (the launcher's stage); default 60 s
         * @return this builder
         * @throws NullPointerException     when null
         * @throws IllegalArgumentException when not positive
         */
        public Builder launchTimeout(Duration timeout) {
            this.launchTimeout = Durations.positive("launchTimeout", timeout);
            return this;
        }

        /**
         * @param timeout bound on step 2 (the new instance's readiness); default 60 s
         * @return this builder
         * @throws NullPointerException     when null
         * @throws IllegalArgumentException when not positive
         */
        public Builder readyTimeout(Duration timeout) {
            this.readyTimeout = Durations.positive("readyTimeout", timeout);
            return this;
        }

        /**
         * @param timeout bound on step 3 and on each call of a re-admission; default 10 s
         * @return this builder
         * @throws NullPointerException     when null
         * @throws IllegalArgumentException when not positive
         */
        public Builder attachTimeout(Duration timeout) {
            this.attachTimeout = Durations.positive("attachTimeout", timeout);
            return this;
        }

        /**
         * @param timeout bound on each call of step 4 (stop accepting, then the router's detach) and on a
         *                rollback's detach; default 10 s
         * @return this builder
         * @throws NullPointerException     when null
         * @throws IllegalArgumentException when not positive
         */
        public Builder detachTimeout(Duration timeout) {
            this.detachTimeout = Durations.positive("detachTimeout", timeout);
            return this;
        }

        /**
         * @param delay extra wait after a confirmed detach, added to {@link Router#propagationDelay()}, for routers
         *              that cannot confirm; default zero
         * @return this builder
         * @throws NullPointerException     when null
         * @throws IllegalArgumentException when negative
         */
        public Builder propagationDelay(Duration delay) {
            this.propagationDelay = Durations.nonNegative("propagationDelay", delay);
            return this;
        }

        /**
         * @param timeout bound on step 6 (drain-complete); then the instance is forced to stop; default 30 s
         * @return this builder
         * @throws NullPointerException     when null
         * @throws IllegalArgumentException when not positive
         */
        public Builder drainTimeout(Duration timeout) {
            this.drainTimeout = Durations.positive("drainTimeout", timeout);
            return this;
        }

        /**
         * @param timeout bound on the force-stop after a missed drain deadline; when it passes, the work in flight
         *                is counted as abandoned and the destroy follows; default 10 s
         * @return this builder
         * @throws NullPointerException     when null
         * @throws IllegalArgumentException when not positive
         */
        public Builder forceTimeout(Duration timeout) {
            this.forceTimeout = Durations.positive("forceTimeout", timeout);
            return this;
        }

        /**
         * @param timeout bound on step 7 and on a rollback's destroy; default 30 s
         * @return this builder
         * @throws NullPointerException     when null
         * @throws IllegalArgumentException when not positive
         */
        public Builder destroyTimeout(Duration timeout) {
            this.destroyTimeout = Durations.positive("destroyTimeout", timeout);
            return this;
        }

        /**
         * @param timeout bound on a canary plan's verification gate; default 60 s
         * @return this builder
         * @throws NullPointerException     when null
         * @throws IllegalArgumentException when not positive
         */
        public Builder verifyTimeout(Duration timeout) {
            this.verifyTimeout = Durations.positive("verifyTimeout", timeout);
            return this;
        }

        /**
         * @param policy what {@link Orchestrator#close()} does with the group's instances; default
         *               {@link OnClose#DESTROY_LAUNCHED}
         * @return this builder
         * @throws NullPointerException when null
         */
        public Builder onClose(OnClose policy) {
            this.onClose = Objects.requireNonNull(policy, "policy must not be null");
            this.onCloseSet = true;
            return this;
        }

        /**
         * @param policy what to do with a member that fails between swaps; default {@link OnMemberFailure#REPLACE}
         * @return this builder
         * @throws NullPointerException when null
         */
        public Builder onMemberFailure(OnMemberFailure policy) {
            this.onMemberFailure = Objects.requireNonNull(policy, "onMemberFailure must not be null");
            return this;
        }

        /**
         * @param min the wait before another replacement after one failed, or died within {@code max} of its start
         *            (a crash loop, a broker that is down); it doubles at each such failure; default 1 s
         * @param max the longest wait; a replacement that lives longer than this counts as healthy and the wait
         *            starts again from zero; default 30 s
         * @return this builder
         * @throws NullPointerException     when an argument is null
         * @throws IllegalArgumentException when not positive, or {@code min > max}
         */
        public Builder replaceBackoff(Duration min, Duration max) {
            Durations.positive("replaceBackoff min", min);
            Durations.positive("replaceBackoff max", max);
            if (min.compareTo(max) > 0) {
                throw new IllegalArgumentException("replaceBackoff min must be <= max, but was " + min + " > " + max);
            }
            this.replaceBackoffMin = min;
            this.replaceBackoffMax = max;
            return this;
        }

        /**
         * @param threshold how long a member may stay out of READY between swaps (its lifecycle moved to DRAINING,
         *                  say, by someone other than this orchestrator) before the supervisor counts it as failed;
         *                  default 30 s. Pull-based readiness checks ({@code isReady()} false while the state is
         *                  READY) are a probe's business, not counted here.
         * @return this builder
         * @throws NullPointerException     when null
         * @throws IllegalArgumentException when not positive
         */
        public Builder readinessLossThreshold(Duration threshold) {
            this.readinessLossThreshold = Durations.positive("readinessLossThreshold", threshold);
            return this;
        }

        /**
         * Keeps the group's journal in {@code directory} (created if needed), so that the group outlives this
         * orchestrator: see the class comment. {@link #build()} takes the directory's lock, raises the epoch, binds
         * the release's launcher ({@link Launcher#bind}) and, when the journal names instances, starts the recovery
         * ({@link Orchestrator#recovery()}). The directory belongs on a local disk, and to one group. Default: none
         * (nothing is written, and the instances end with the orchestrator as documented for each launcher). With a
         * directory, {@link #onClose(OnClose)} defaults to {@link OnClose#LEAVE_RUNNING}.
         *
         * @param directory the state directory
         * @return this builder
         * @throws NullPointerException when null
         */
        public Builder stateDirectory(Path directory) {
            this.stateDirectory = Objects.requireNonNull(directory, "stateDirectory must not be null");
            return this;
        }

        /**
         * @param lease  with a state directory: how long a launched instance that lost its orchestrator keeps serving
         *               and waits to be re-adopted; default 60 s. An instance that was draining when orphaned
         *               finishes its drain and exits at once
         * @param policy what it does when the lease runs out; default {@link OrphanPolicy#TERMINATE_GRACEFULLY}, so
         *               that nothing is orphaned forever
         * @return this builder
         * @throws NullPointerException     when an argument is null
         * @throws IllegalArgumentException when the lease is not positive
         */
        public Builder orphanLease(Duration lease, OrphanPolicy policy) {
            this.orphanLease = Durations.positive("orphanLease", lease);
            this.orphanPolicy = Objects.requireNonNull(policy, "orphanPolicy must not be null");
            return this;
        }

        /**
         * @return a new orchestrator with these settings and an empty group, or, with a state directory that names
         *     instances, one that recovers them first
         * @throws IllegalStateException when another live orchestrator holds the state directory (the message names
         *                               it and the holder's pid), or the directory holds another group's journal
         * @throws java.io.UncheckedIOException when the state directory cannot be read or written, or its journal is
         *                               corrupted anywhere but in its last record
         */
        public Orchestrator build() {
            boolean owns = executor == null;
            Executor chosen = owns ? defaultExecutor(group) : executor;
            OnClose closing = stateDirectory != null && !onCloseSet ? OnClose.LEAVE_RUNNING : onClose;
            try {
                return new Orchestrator(new Settings(group, release, router, scheduler, chosen, owns, registry,
                        listeners, launchTimeout, readyTimeout, attachTimeout, detachTimeout, propagationDelay,
                        drainTimeout, forceTimeout, destroyTimeout, verifyTimeout, closing, onMemberFailure,
                        replaceBackoffMin, replaceBackoffMax, readinessLossThreshold, stateDirectory, orphanLease,
                        orphanPolicy));
            } catch (RuntimeException e) {
                if (owns && chosen instanceof ExecutorService service) {
                    service.shutdown();
                }
                throw e;
            }
        }

        private static ExecutorService defaultExecutor(String group) {
            AtomicInteger count = new AtomicInteger();
            return Executors.newCachedThreadPool(runnable -> {
                Thread thread = new Thread(runnable, "handoff-" + group + "-" + count.incrementAndGet());
                thread.setDaemon(true);
                return thread;
            });
        }
    }
}
