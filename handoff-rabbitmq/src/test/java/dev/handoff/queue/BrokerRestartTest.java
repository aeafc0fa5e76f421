package dev.handoff.queue;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.locks.LockSupport;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import com.rabbitmq.client.Channel;
import com.rabbitmq.client.Connection;
import com.rabbitmq.client.ConnectionFactory;

import dev.handoff.api.Lifecycle;
import dev.handoff.api.Plan;
import dev.handoff.api.SwapOutcome;
import dev.handoff.api.SwapResult;
import dev.handoff.api.event.MemberFailure;
import dev.handoff.api.event.SwapListener;
import dev.handoff.core.Orchestrator;
import dev.handoff.rabbitmq.RabbitMqJobSource;
import dev.handoff.test.rabbitmq.RabbitNode;

/**
 * The RabbitMQ node stops while two supervised consumers have jobs in flight, and starts again: the orchestrator
 * replaces the consumers (they failed when their connections closed) with no call from the user, backing off while
 * the broker is down; nothing published is lost, the only duplicates are jobs whose acknowledgement the stop cut off,
 * and the next swap commits.
 */
class BrokerRestartTest {

    private static final Duration WAIT = Duration.ofSeconds(60);
    private static final String QUEUE = "restart-jobs";
    private static final int CONCURRENCY = 4;
    private static final int PREFETCH = 20;
    private static final int BEFORE = 4_000;
    private static final int AFTER = 1_000;

    private static RabbitNode node;

    private final Ledger ledger = new Ledger();
    private final Map<String, HandoffConsumer> consumers = new ConcurrentHashMap<>();
    private final List<MemberFailure> memberFailures = new CopyOnWriteArrayList<>();
    private final List<SwapResult> heals = new CopyOnWriteArrayList<>();
    /** Closed while the node stops: every handler holds its job, so the stop cuts into work in flight. */
    private final CountDownLatch release = new CountDownLatch(1);
    private final AtomicInteger held = new AtomicInteger();
    private volatile boolean holding;
    private Orchestrator orchestrator;

    @BeforeAll
    static void startNode() {
        node = RabbitNode.start(Path.of("target", "rabbitmq"));
    }

    @AfterAll
    static void closeNode() {
        if (node != null) {
            node.close();
        }
    }

    @AfterEach
    void closeOrchestrator() {
        if (orchestrator != null) {
            orchestrator.close();
        }
        consumers.values().forEach(HandoffConsumer::close);
    }

    /** A connection of the test's own, never recovered by the client: it dies with the node. */
    private static Connection connect(String name) throws Exception {
        ConnectionFactory factory = node.connectionFactory();
        factory.setAutomaticRecoveryEnabled(false);
        return factory.newConnection(name);
    }

    /** Publishes jobs {@code from..to-1} as persistent messages and waits for the broker's confirms. */
    private static void publish(int from, int to) throws Exception {
        try (Connection connection = connect("publisher"); Channel channel = connection.createChannel()) {
            channel.confirmSelect();
            for (int i = from; i < to; i++) {
                String jobId = SwapScenarios.jobId(i);
                RabbitMqJobSource.publish(channel, QUEUE, jobId, jobId.getBytes(StandardCharsets.UTF_8));
            }
            channel.waitForConfirmsOrDie(30_000);
        }
    }

    private static long consumersOnTheQueue() throws Exception {
        try (Connection connection = connect("admin"); Channel channel = connection.createChannel()) {
            return channel.queueDeclarePassive(QUEUE).getConsumerCount();
        }
    }

    private static long messagesInTheQueue() throws Exception {
        try (Connection connection = connect("admin"); Channel channel = connection.createChannel()) {
            return channel.queueDeclarePassive(QUEUE).getMessageCount();
        }
    }

    private boolean twoConsuming() {
        List<Lifecycle> members = orchestrator.instances();
        return members.size() == 2 && members.stream().allMatch(member -> ((HandoffConsumer) member).isConsuming());
    }

    @Test
    void the_group_consumes_again_after_the_broker_restarts_and_loses_nothing() throws Exception {
        // given: a durable queue, two supervised consumers (the client's own recovery left at its default, on, with
        // a short interval: were it used, the consumers would come back by themselves beside their replacements)
        try (Connection connection = connect("declare"); Channel channel = connection.createChannel()) {
            RabbitMqJobSource.declareQueue(channel, QUEUE);
        }
        ConnectionFactory factory = node.connectionFactory();
        factory.setNetworkRecoveryInterval(100);
        ConsumerLauncher launcher = new ConsumerLauncher(id -> {
            HandoffConsumer consumer = HandoffConsumer.builder(id)
                    .source(() -> RabbitMqJobSource.connect(factory, QUEUE))
                    .handler(job -> {
                        ledger.record(job);
                        if (holding && release.getCount() > 0) {
                            held.incrementAndGet();
                            if (!release.await(WAIT.toSeconds(), TimeUnit.SECONDS)) {
                                throw new IllegalStateException("job " + job.id() + " not released within " + WAIT);
                            }
                        }
                        // a millisecond of simulated work (not a wait for anything)
                        LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(1));
                    })
                    .concurrency(CONCURRENCY)
                    .prefetch(PREFETCH)
                    .build();
            consumers.put(id, consumer);
            return consumer;
        });
        orchestrator = Orchestrator.builder("workers", launcher, new SubscriptionRouter())
                .replaceBackoff(Duration.ofMillis(200), Duration.ofSeconds(2))
                .listener(new SwapListener() {
                    @Override
                    public void onMemberFailure(MemberFailure failure) {
                        memberFailures.add(failure);
                    }

                    @Override
                    public void onSwapEnd(SwapResult result) {
                        if (result.swapId().contains("/heal-")) {
                            heals.add(result);
                        }
                    }
                })
                .build();
        orchestrator.startAndWait(2, WAIT);
        List<String> first = orchestrator.instances().stream().map(Lifecycle::id).toList();
        publish(0, BEFORE);
        await().atMost(WAIT).until(() -> ledger.distinct() >= 200);
        holding = true;
        await().atMost(WAIT).until(() -> held.get() == 2 * CONCURRENCY);

        // when: the node stops while every handler holds a job (and more are delivered, not started, or queued)
        long stopping = System.nanoTime();
        node.stop();
        long stopped = System.nanoTime();

        // then: both consumers failed and were reported; no replacement can connect while the node is down
        await().atMost(WAIT).until(() -> memberFailures.size() == 2);
        assertThat(memberFailures).extracting(MemberFailure::instanceId).containsExactlyInAnyOrderElementsOf(first);
        assertThat(memberFailures).allSatisfy(failure -> assertThat(failure.replacing()).isTrue());
        long startedBeforeStop = ledger.distinct();
        release.countDown();
        await().atMost(WAIT).until(() -> !heals.isEmpty());
        assertThat(orchestrator.instances()).isEmpty();

        // when: the node starts again, and more jobs are published
        node.start();
        long started = System.nanoTime();
        await().atMost(WAIT).until(this::twoConsuming);
        long healed = System.nanoTime();
        await().atMost(WAIT).until(() -> heals.get(heals.size() - 1).outcome() == SwapOutcome.COMMITTED);
        List<SwapResult> healRuns = List.copyOf(heals);
        publish(BEFORE, BEFORE + AFTER);

        // then: the group consumes again with two new members, and every job was processed
        assertThat(orchestrator.instances()).extracting(Lifecycle::id).doesNotContainAnyElementsOf(first);
        await().atMost(WAIT).untilAsserted(() -> assertThat(ledger.lost(BEFORE + AFTER)).as("lost").isZero());
        long ackFailed = consumers.values().stream().mapToLong(consumer -> consumer.stats().ackFailed()).sum();
        // the jobs the handlers held when the node stopped were never acknowledged: the broker redelivered them
        assertThat(ledger.duplicates()).as("duplicated").isEqualTo(2L * CONCURRENCY);
        assertThat(ledger.unmarkedDuplicates()).as("duplicates not marked redelivered").isZero();

        // and: while the node was down the replacements failed and backed off (200 ms doubling up to 2 s): none
        // spun, none waited longer than the bound; the one after the node came back healed the group
        List<SwapResult> failedHeals = healRuns.subList(0, healRuns.size() - 1);
        assertThat(failedHeals).isNotEmpty().allSatisfy(heal ->
                assertThat(heal.outcome()).as("%s", heal).isEqualTo(SwapOutcome.ROLLED_BACK));
        for (int i = 1; i < failedHeals.size(); i++) {
            SwapResult previous = failedHeals.get(i - 1);
            assertThat(Duration.between(previous.start().plus(previous.duration()), failedHeals.get(i).start()))
                    .as("wait between heal attempts %d and %d", i - 1, i)
                    .isBetween(Duration.ofMillis(200), Duration.ofSeconds(3));
        }

        // and: only the two replacements consume (no consumer came back by itself through the client's recovery),
        // and a swap afterwards commits
        assertThat(consumersOnTheQueue()).isEqualTo(2);
        SwapResult swap = orchestrator.swapAndWait(Plan.rolling(1, 0), WAIT);
        assertThat(swap.outcome()).as("%s", swap).isEqualTo(SwapOutcome.COMMITTED);
        assertThat(twoConsuming()).isTrue();
        await().atMost(WAIT).until(() -> consumersOnTheQueue() == 2);
        orchestrator.close();
        assertThat(messagesInTheQueue()).as("left in the queue").isZero();

        List<String> outcomes = new ArrayList<>();
        heals.forEach(heal -> outcomes.add(heal.swapId() + "=" + heal.outcome()));
        System.out.printf("BROKER-RESTART jobs=%d startedBeforeStop=%d heldAtStop=%d duplicates=%d ackFailed=%d"
                        + " stop=%d ms stopToUpAgain=%d ms healedAfterUp=%d ms heals=%s%n", BEFORE + AFTER,
                startedBeforeStop, held.get(), ledger.duplicates(), ackFailed,
                TimeUnit.NANOSECONDS.toMillis(stopped - stopping), TimeUnit.NANOSECONDS.toMillis(started - stopping),
                TimeUnit.NANOSECONDS.toMillis(healed - started), outcomes);
    }
}
