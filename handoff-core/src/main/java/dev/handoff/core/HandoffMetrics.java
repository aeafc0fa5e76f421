package dev.handoff.core;

/**
 * The names, tags and units of the meters an {@link Orchestrator} registers when it is given a Micrometer
 * {@code MeterRegistry}. Every meter has a description and a base unit.
 *
 * <table>
 *   <caption>Orchestrator meters</caption>
 *   <tr><th>name</th><th>type</th><th>tags</th><th>what it counts</th></tr>
 *   <tr><td>{@value #SWAPS}</td><td>counter ({@value #UNIT_SWAPS})</td>
 *       <td>{@value #TAG_GROUP}, {@value #TAG_PLAN}, {@value #TAG_OUTCOME}</td><td>swaps ended, by outcome</td></tr>
 *   <tr><td>{@value #SWAP_DURATION}</td><td>timer</td>
 *       <td>{@value #TAG_GROUP}, {@value #TAG_PLAN}, {@value #TAG_OUTCOME}</td>
 *       <td>from the start of a swap to its end (the last old instance destroyed)</td></tr>
 *   <tr><td>{@value #STEP_DURATION}</td><td>timer</td>
 *       <td>{@value #TAG_GROUP}, {@value #TAG_STEP}, {@value #TAG_RESULT}</td>
 *       <td>each step of each swap; result {@value #RESULT_OK} or {@value #RESULT_FAILED}</td></tr>
 *   <tr><td>{@value #WORK_ABANDONED}</td><td>counter ({@value #UNIT_WORK})</td><td>{@value #TAG_GROUP}</td>
 *       <td>units of work abandoned when an instance was forced to stop at its drain deadline</td></tr>
 *   <tr><td>{@value #DESTROY_FAILURES}</td><td>counter ({@value #UNIT_FAILURES})</td><td>{@value #TAG_GROUP}</td>
 *       <td>destroys that threw, failed or timed out (old instances, rolled-back and late-arriving new ones, and
 *       the instances destroyed by {@link Orchestrator#close()})</td></tr>
 * </table>
 *
 * <p>Tag values: {@value #TAG_PLAN} is {@code one-for-one}, {@code rolling}, {@code blue-green}, {@code canary}, or
 * {@code start} for {@link Orchestrator#start(int)} (which is counted and timed like a swap);
 * {@value #TAG_OUTCOME} is {@code committed}, {@code rolled_back} or {@code forced}; {@value #TAG_STEP} is the
 * {@link dev.handoff.api.SwapStep} in lower case ({@code launch}, {@code await_ready}, ... {@code readmit}).
 * The per-instance in-flight gauges are {@link LifecycleMetrics}'.
 *
 * <p>Constants only; thread-safe.
 */
public final class HandoffMetrics {

    /** Counter: swaps ended. */
    public static final String SWAPS = "handoff.swaps";
    /** Timer: duration of a whole swap. */
    public static final String SWAP_DURATION = "handoff.swap.duration";
    /** Timer: duration of one step of a swap. */
    public static final String STEP_DURATION = "handoff.step.duration";
    /** Counter: units of work abandoned at drain deadlines. */
    public static final String WORK_ABANDONED = "handoff.work.abandoned";
    /** Counter: destroys that failed. */
    public static final String DESTROY_FAILURES = "handoff.destroy.failures";

    /** Tag: the orchestrator's group name. */
    public static final String TAG_GROUP = "group";
    /** Tag: the plan kind. */
    public static final String TAG_PLAN = "plan";
    /** Tag: the swap outcome in lower case. */
    public static final String TAG_OUTCOME = "outcome";
    /** Tag: the step in lower case. */
    public static final String TAG_STEP = "step";
    /** Tag: {@value #RESULT_OK} or {@value #RESULT_FAILED}. */
    public static final String TAG_RESULT = "result";
    /** Value of {@value #TAG_RESULT} for a step that succeeded. */
    public static final String RESULT_OK = "ok";
    /** Value of {@value #TAG_RESULT} for a step that failed, timed out or was aborted. */
    public static final String RESULT_FAILED = "failed";

    /** Base unit of {@value #SWAPS}. */
    public static final String UNIT_SWAPS = "swaps";
    /** Base unit of {@value #WORK_ABANDONED}. */
    public static final String UNIT_WORK = "units";
    /** Base unit of {@value #DESTROY_FAILURES}. */
    public static final String UNIT_FAILURES = "failures";

    private HandoffMetrics() {
    }
}
