package dev.handoff.queue.process;

import static dev.handoff.queue.process.FileLedger.jobId;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Deque;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.locks.LockSupport;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import com.rabbitmq.client.Channel;
import com.rabbitmq.client.Connection;

import dev.handoff.api.LifecycleState;
import dev.handoff.api.Plan;
import dev.handoff.api.SwapOutcome;
import dev.handoff.api.SwapResult;
import dev.handoff.api.SwapStep;
import dev.handoff.api.event.SwapEvent;
import dev.handoff.api.event.SwapListener;
import dev.handoff.api.Lifecycle;
import dev.handoff.api.spi.Launcher;
import dev.handoff.core.Orchestrator;
import dev.handoff.core.process.ChildProcessInstance;
import dev.handoff.core.process.ChildProcessLauncher;
import dev.handoff.core.process.ChildStatus;
import dev.handoff.rabbitmq.RabbitMqJobSource;
import dev.handoff.test.rabbitmq.RabbitNode;

/**
 * Queue consumers as real child JVMs ({@link QueueChild}) on a real RabbitMQ node, swapped by the
 * {@link Orchestrator} with {@link ChildProcessLauncher} and {@link ChildSubscriptionRouter}, checked against the
 * ledgers the children write.
 */
class ChildConsumerSwapTest {

    private static final Duration WAIT = Duration.ofSeconds(60);
    private static final AtomicInteger QUEUES = new AtomicInteger();
    private static RabbitNode node;

    @TempDir
    Path ledgers;

    private String queue;
    private Connection admin;
    private Channel adminChannel;
    private Channel publisher;
    private int unconfirmed;
    private Orchestrator orchestrator;
    /** The mode of each child to launch, in order. */
    private final Deque<String> modes = new ArrayDeque<>();
    private final List<ChildProcessInstance> children = Collections.synchronizedList(new ArrayList<>());

    @BeforeAll
    static void startNode() {
        node = RabbitNode.start(Path.of("target", "rabbitmq-children"));
    }

    @AfterAll
    static void stopNode() {
        if (node != null) {
            node.close();
        }
    }

    @BeforeEach
    void declareQueue() throws Exception {
        queue = "children-" + QUEUES.incrementAndGet();
        admin = node.connectionFactory().newConnection("test-admin");
        adminChannel = admin.createChannel();
        RabbitMqJobSource.declareQueue(adminChannel, queue);
        publisher = admin.createChannel();
        publisher.confirmSelect();
    }

    @AfterEach
    void stopEverything() throws Exception {
        if (orchestrator != null) {
            orchestrator.close();
        }
        for (ChildProcessInstance child : List.copyOf(children)) {
            try {
                child.destroy().toCompletableFuture().get(20, TimeUnit.SECONDS);
            } finally {
                // by PID, whatever the destroy did
                child.processHandle().destroyForcibly();
            }
        }
        admin.abort();
    }

    private final Launcher launcher = instanceId -> {
        String mode;
        synchronized (modes) {
            mode = modes.removeFirst();
        }
        return ChildProcessLauncher.builder()
                .mainClass(QueueChild.class.getName(), System.getProperty("java.class.path"))
                .jvmOptions("-Xmx128m", "-XX:TieredStopAtLevel=1")
                .arguments(Integer.toString(node.port()), queue, ledgers.toString(), mode)
                .output(ProcessBuilder.Redirect.appendTo(Path.of("target", instanceId + ".log").toFile()))
                .exitTimeout(Duration.ofSeconds(5))
                .build()
                .launch(instanceId)
                .thenApply(handle -> {
                    children.add((ChildProcessInstance) handle);
                    return handle;
                });
    };

    private Orchestrator orchestrator(SwapListener listener) {
        orchestrator = Orchestrator.builder("queue-children", launcher, new ChildSubscriptionRouter())
                .readyTimeout(Duration.ofSeconds(30))
                .drainTimeout(Duration.ofSeconds(30))
                .listener(listener)
                .build();
        return orchestrator;
    }

    private void publish(int from, int to, long paceMicros) throws Exception {
        for (int i = from; i < to; i++) {
            String id = jobId(i);
            RabbitMqJobSource.publish(publisher, queue, id, id.getBytes(StandardCharsets.UTF_8));
            if (++unconfirmed == 250) {
                flush();
            }
            if (paceMicros > 0) {
                // load shape, not synchronisation: spreads the jobs over the swap
                LockSupport.parkNanos(TimeUnit.MICROSECONDS.toNanos(paceMicros));
            }
        }
        flush();
    }

    private void flush() throws Exception {
        publisher.waitForConfirmsOrDie(10_000);
        unconfirmed = 0;
    }

    private long remaining() throws IOException {
        return adminChannel.queueDeclarePassive(queue).getMessageCount();
    }

    private FileLedger ledger() {
        return FileLedger.read(ledgers);
    }

    private static <T> T get(CompletionStage<T> stage) throws Exception {
        return stage.toCompletableFuture().get(WAIT.toSeconds(), TimeUnit.SECONDS);
    }

    /** Retires the last instances as a swap would, then checks every child JVM has exited. */
    private void retireAllAndCheckNoChildIsLeft() throws Exception {
        for (Lifecycle instance : orchestrator.instances()) {
            get(instance.stopAccepting());
            get(instance.drain());
            get(instance.destroy());
        }
        for (ChildProcessInstance child : List.copyOf(children)) {
            get(child.onExit());
            assertThat(child.processHandle().isAlive()).as("child %s alive", child.id()).isFalse();
        }
    }

    @Test
    void five_thousand_jobs_across_three_swaps_of_child_processes_are_each_processed_exactly_once()
            throws Exception {
        // given: one child consumer, busy
        int chunk = 1_000;
        int swaps = 3;
        int messages = chunk * (swaps + 2);
        for (int i = 0; i <= swaps; i++) {
            modes.add("work");
        }
        orchestrator(new SwapListener() { });
        get(orchestrator.start(1));
        publish(0, chunk, 500);

        // when: each swap starts, then a chunk of jobs is published while it runs; a last chunk after the last
        List<SwapResult> results = new ArrayList<>();
        for (int swap = 1; swap <= swaps; swap++) {
            CompletableFuture<SwapResult> running = orchestrator.swap(Plan.oneForOne()).toCompletableFuture();
            publish(swap * chunk, (swap + 1) * chunk, 500);
            results.add(get(running));
        }
        publish((swaps + 1) * chunk, messages, 500);
        await().atMost(WAIT).until(() -> ledger().distinct() == messages);
        retireAllAndCheckNoChildIsLeft();

        // then
        FileLedger ledger = ledger();
        assertThat(results).hasSize(swaps).allSatisfy(result -> {
            assertThat(result.outcome()).as("%s", result).isEqualTo(SwapOutcome.COMMITTED);
            assertThat(result.abandoned()).isZero();
        });
        assertThat(ledger.lost(messages)).as("lost").isZero();
        assertThat(ledger.duplicates()).as("duplicated").isZero();
        assertThat(remaining()).as("left in the queue").isZero();
        assertThat(children).hasSize(swaps + 1);
        for (ChildProcessInstance child : children) {
            assertThat(get(child.onExit())).as("exit status of %s", child.id()).isZero();
            assertThat(ledger.startedBy(child.id())).as("jobs of %s", child.id()).isPositive();
        }
    }

    @Test
    void a_child_consumer_killed_with_sigkill_mid_drain_loses_nothing_and_only_redelivered_jobs_run_twice()
            throws Exception {
        // given: the first child works 200 jobs, then its four handlers block on the next four
        int messages = 2_000;
        int worked = 200;
        modes.add("stall-after:" + worked);
        modes.add("work");
        CompletableFuture<Void> draining = new CompletableFuture<>();
        orchestrator(new SwapListener() {
            @Override
            public void onStep(SwapEvent event) {
                if (event.step() == SwapStep.AWAIT_DRAINED && event.phase() == SwapEvent.Phase.STARTED) {
                    draining.complete(null);
                }
            }
        });
        get(orchestrator.start(1));
        ChildProcessInstance old = (ChildProcessInstance) orchestrator.instances().get(0);
        publish(0, messages, 0);
        await().atMost(WAIT).until(() -> ledger().startedBy(old.id()) == worked + QueueChild.CONCURRENCY);

        // when: swapped; once the old child has cancelled, requeued its buffer and waits for its four
        // handlers, it is killed
        CompletableFuture<SwapResult> swap = orchestrator.swap(Plan.oneForOne()).toCompletableFuture();
        get(draining);
        ChildStatus status = get(old.status());
        assertThat(status.state()).isEqualTo(LifecycleState.DRAINING);
        assertThat(status.inFlight()).isEqualTo(QueueChild.CONCURRENCY);
        assertThat(old.processHandle().destroyForcibly()).as("SIGKILL sent").isTrue();
        SwapResult result = get(swap);
        await().atMost(WAIT).until(() -> ledger().distinct() == messages);
        retireAllAndCheckNoChildIsLeft();

        // then
        FileLedger ledger = ledger();
        assertThat(get(old.onExit())).as("killed by SIGKILL").isEqualTo(128 + 9);
        // a dead old instance is already retired: the cut-over stands, the crash is the cause, nothing was forced
        assertThat(result.outcome()).as("%s", result).isEqualTo(SwapOutcome.COMMITTED);
        assertThat(result.cause()).get().asString().contains(old.id()).contains("found dead");
        assertThat(result.abandoned()).isZero();
        assertThat(ledger.lost(messages)).as("lost").isZero();
        assertThat(ledger.duplicates()).as("duplicated: the four jobs the killed child held")
                .isEqualTo(QueueChild.CONCURRENCY);
        assertThat(ledger.unmarkedDuplicates()).as("duplicates not marked redelivered").isZero();
        assertThat(ledger.duplicated()).allSatisfy(id -> assertThat(ledger.instancesOf(id)).contains(old.id()));
        assertThat(remaining()).as("left in the queue").isZero();
    }
}
