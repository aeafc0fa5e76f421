package dev.handoff.core;

/**
 * Every meter name, tag and unit of handoff, in one place: one name per quantity, whichever module registers
 * it. The orchestrator registers its meters when its builder is given a Micrometer {@code MeterRegistry}; an
 * instance's meters are bound, and removed again, by a binder: {@link LifecycleMetrics} for any
 * {@link InstanceLifecycle}, {@code JettyHandoffMetrics}, {@code HandoffConsumerMetrics} and
 * {@code KafkaHandoffConsumerMetrics} for the adapters (each adds its own meters to the lifecycle's). Every meter
 * has a description, and a base unit where it counts something.
 *
 * <table>
 *   <caption>Orchestrator meters</caption>
 *   <tr><th>name</th><th>type</th><th>tags</th><th>what it counts</th></tr>
 *   <tr><td>{@value #SWAPS}</td><td>counter ({@value #UNIT_SWAPS})</td>
 *       <td>{@value #TAG_GROUP}, {@value #TAG_PLAN}, {@value #TAG_OUTCOME}, {@value #TAG_RELEASE}</td>
 *       <td>swaps ended, by outcome</td></tr>
 *   <tr><td>{@value #SWAP_DURATION}</td><td>timer</td>
 *       <td>{@value #TAG_GROUP}, {@value #TAG_PLAN}, {@value #TAG_OUTCOME}, {@value #TAG_RELEASE}</td>
 *       <td>from the start of a swap to its end (the last old instance destroyed)</td></tr>
 *   <tr><td>{@value #STEP_DURATION}</td><td>timer</td>
 *       <td>{@value #TAG_GROUP}, {@value #TAG_STEP}, {@value #TAG_RESULT}</td>
 *       <td>each step of each swap; result {@value #RESULT_OK} or {@value #RESULT_FAILED}</td></tr>
 *   <tr><td>{@value #WORK_ABANDONED}</td><td>counter ({@value #UNIT_WORK})</td><td>{@value #TAG_GROUP}</td>
 *       <td>units of work abandoned when an instance was forced to stop at its drain deadline</td></tr>
 *   <tr><td>{@value #DESTROY_FAILURES}</td><td>counter ({@value #UNIT_FAILURES})</td><td>{@value #TAG_GROUP}</td>
 *       <td>destroys that threw, failed or timed out (old instances, rolled-back and late-arriving new ones, and
 *       the instances destroyed by {@link Orchestrator#close()})</td></tr>
 *   <tr><td>{@value #MEMBERS_FAILED}</td><td>counter ({@value #UNIT_INSTANCES})</td><td>{@value #TAG_GROUP}</td>
 *       <td>members that failed between swaps: detached, and replaced unless the orchestrator only reports
 *       (replacements run as {@code plan=start})</td></tr>
 * </table>
 *
 * <table>
 *   <caption>Instance meters</caption>
 *   <tr><th>name</th><th>type</th><th>tags</th><th>what it counts</th><th>bound by</th></tr>
 *   <tr><td>{@value #IN_FLIGHT}</td><td>gauge ({@value #UNIT_WORK})</td>
 *       <td>{@value #TAG_INSTANCE}, {@value #TAG_TRACKER}</td>
 *       <td>work admitted and not yet finished, per tracker of an instance (Jetty: {@code requests}, and
 *       {@value #TRACKER_LATE_REQUESTS} for requests that arrived on a keep-alive connection after the intake
 *       closed; a queue consumer: {@code jobs})</td><td>{@link LifecycleMetrics}</td></tr>
 *   <tr><td>{@value #RELEASE_ERRORS}</td><td>function counter ({@value #UNIT_ERRORS})</td>
 *       <td>{@value #TAG_INSTANCE}, {@value #TAG_TRACKER}</td>
 *       <td>releases a tracker refused: a unit released twice, or released without being admitted (a bug in
 *       the code that counts)</td><td>{@link LifecycleMetrics}</td></tr>
 *   <tr><td>{@value #LIFECYCLE_STATE}</td><td>gauge</td><td>{@value #TAG_INSTANCE}, {@value #TAG_STATE}</td>
 *       <td>1 for the instance's current state, 0 for the others</td><td>{@link LifecycleMetrics}</td></tr>
 *   <tr><td>{@value #JETTY_CONNECTIONS_OPEN}</td><td>gauge ({@value #UNIT_CONNECTIONS})</td>
 *       <td>{@value #TAG_INSTANCE}</td><td>a Jetty instance's application connections that may still bring a
 *       request (a drain waits for 0)</td><td>{@code JettyHandoffMetrics}</td></tr>
 *   <tr><td>{@value #QUEUE_JOBS}</td><td>function counter ({@value #UNIT_JOBS})</td>
 *       <td>{@value #TAG_INSTANCE}, {@value #TAG_OUTCOME}</td><td>jobs a consumer settled, by outcome:
 *       {@code acked}, {@code given_back}, {@code retried}, {@code dead_lettered}, {@code discarded},
 *       {@code forced}, {@code ack_failed}</td><td>{@code HandoffConsumerMetrics}</td></tr>
 *   <tr><td>{@value #KAFKA_REDELIVERED}, {@value #KAFKA_COMMITS} (by {@value #TAG_KIND}),
 *       {@value #KAFKA_COMMIT_FAILURES}, {@value #KAFKA_REBALANCES}</td><td>function counters</td>
 *       <td>{@value #TAG_INSTANCE}</td><td>a Kafka consumer's records an earlier owner had started, offset commits
 *       ({@value #KIND_PERIODIC}, {@value #KIND_HANDOVER}, {@value #KIND_FINAL}) and failed ones, assignments
 *       received</td><td>{@code KafkaHandoffConsumerMetrics}</td></tr>
 *   <tr><td>{@value #KAFKA_PARTITIONS}</td><td>gauge ({@value #UNIT_PARTITIONS})</td>
 *       <td>{@value #TAG_INSTANCE}, {@value #TAG_STATE}</td><td>partitions assigned to a Kafka consumer
 *       ({@value #STATE_ASSIGNED}) or kept paused by it ({@value #STATE_PAUSED})</td>
 *       <td>{@code KafkaHandoffConsumerMetrics}</td></tr>
 * </table>
 *
 * <p>Tag values: {@value #TAG_PLAN} is {@code one-for-one}, {@code rolling}, {@code blue-green}, {@code canary}, or
 * {@code start} for {@link Orchestrator#start(int)} (which is counted and timed like a swap);
 * {@value #TAG_OUTCOME} is {@code committed}, {@code rolled_back} or {@code forced}; {@value #TAG_STEP} is the
 * {@link dev.handoff.api.SwapStep} in lower case ({@code launch}, {@code await_ready}, ... {@code readmit}).
 * {@value #TAG_STATE} is a {@link dev.handoff.api.LifecycleState} in lower case ({@code ready}, {@code draining}...).
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
    /** Counter: members that failed between swaps and were taken out of the group (and replaced, by default). */
    public static final String MEMBERS_FAILED = "handoff.members.failed";
    /** Gauge: work in flight in one tracker of one instance. */
    public static final String IN_FLIGHT = "handoff.inflight";
    /** Function counter: releases refused by one tracker of one instance. */
    public static final String RELEASE_ERRORS = "handoff.inflight.release.errors";
    /** Gauge: 1 when the instance is in the state named by the {@value #TAG_STATE} tag, 0 otherwise. */
    public static final String LIFECYCLE_STATE = "handoff.lifecycle.state";
    /** Gauge: a Jetty instance's application connections that may still bring a request. */
    public static final String JETTY_CONNECTIONS_OPEN = "handoff.jetty.connections.open";
    /** Function counter: jobs a queue consumer settled, by outcome. */
    public static final String QUEUE_JOBS = "handoff.queue.jobs";

    /** Function counter: records started that an earlier owner had started without committing them. */
    public static final String KAFKA_REDELIVERED = "handoff.kafka.jobs.redelivered";
    /** Function counter: offset commits that succeeded, by {@value #TAG_KIND}. */
    public static final String KAFKA_COMMITS = "handoff.kafka.commits";
    /** Function counter: offset commits that failed. */
    public static final String KAFKA_COMMIT_FAILURES = "handoff.kafka.commit.failures";
    /** Function counter: assignments the member received. */
    public static final String KAFKA_REBALANCES = "handoff.kafka.rebalances";
    /** Gauge: partitions assigned to the member, or kept paused by it, by {@value #TAG_STATE}. */
    public static final String KAFKA_PARTITIONS = "handoff.kafka.partitions";

    /** Tag of {@value #KAFKA_COMMITS}: why the commit was made. */
    public static final String TAG_KIND = "kind";
    /** {@value #TAG_KIND} of the asynchronous commits made every commit interval. */
    public static final String KIND_PERIODIC = "periodic";
    /** {@value #TAG_KIND} of the synchronous commits of revoked partitions. */
    public static final String KIND_HANDOVER = "handover";
    /** {@value #TAG_KIND} of the synchronous commits made when leaving the group (drain, close). */
    public static final String KIND_FINAL = "final";
    /** {@value #TAG_STATE} of {@value #KAFKA_PARTITIONS}: assigned to the member. */
    public static final String STATE_ASSIGNED = "assigned";
    /** {@value #TAG_STATE} of {@value #KAFKA_PARTITIONS}: kept paused by the member. */
    public static final String STATE_PAUSED = "paused";

    /** Base unit of {@value #KAFKA_COMMITS}. */
    public static final String UNIT_COMMITS = "commits";
    /** Base unit of {@value #KAFKA_REBALANCES}. */
    public static final String UNIT_REBALANCES = "rebalances";
    /** Base unit of {@value #KAFKA_PARTITIONS}. */
    public static final String UNIT_PARTITIONS = "partitions";

    /** Tag: the orchestrator's group name. */
    public static final String TAG_GROUP = "group";
    /** Tag: the plan kind. */
    public static final String TAG_PLAN = "plan";
    /** Tag: the label of the release a swap deployed. */
    public static final String TAG_RELEASE = "release";
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
    /** Tag: the instance's id. */
    public static final String TAG_INSTANCE = "instance";
    /** Tag: the tracker's name ({@link InFlightTracker#name()}). */
    public static final String TAG_TRACKER = "tracker";
    /** Tag: a lifecycle state in lower case. */
    public static final String TAG_STATE = "state";
    /** The {@value #TAG_TRACKER} of a Jetty instance's late requests. */
    public static final String TRACKER_LATE_REQUESTS = "late-requests";

    /** Base unit of {@value #SWAPS}. */
    public static final String UNIT_SWAPS = "swaps";
    /** Base unit of {@value #WORK_ABANDONED} and {@value #IN_FLIGHT}. */
    public static final String UNIT_WORK = "units";
    /** Base unit of {@value #MEMBERS_FAILED}. */
    public static final String UNIT_INSTANCES = "instances";
    /** Base unit of {@value #RELEASE_ERRORS}. */
    public static final String UNIT_ERRORS = "errors";
    /** Base unit of {@value #JETTY_CONNECTIONS_OPEN}. */
    public static final String UNIT_CONNECTIONS = "connections";
    /** Base unit of {@value #QUEUE_JOBS}. */
    public static final String UNIT_JOBS = "jobs";
    /** Base unit of {@value #DESTROY_FAILURES}. */
    public static final String UNIT_FAILURES = "failures";

    private HandoffMetrics() {
    }
}
