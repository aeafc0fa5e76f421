package dev.handoff.queue.process;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import java.time.Duration;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import dev.handoff.api.HandoffException;
import dev.handoff.api.LifecycleState;
import dev.handoff.api.Lifecycle;
import dev.handoff.core.InstanceLifecycle;
import dev.handoff.core.process.ChildProcessInstance;
import dev.handoff.queue.HandoffConsumer;
import dev.handoff.queue.InMemoryJobQueue;
import dev.handoff.queue.spi.BrokerConsumer;

/**
 * {@link ChildConsumer} run in this JVM (no parent: standalone) on the in-memory queue, and the argument checks of
 * {@link ChildConsumer} and {@link ChildSubscriptionRouter}. The child-process swaps are in
 * {@link ChildConsumerSwapTest}.
 */
class ChildConsumerTest {

    private static final Duration WAIT = Duration.ofSeconds(10);

    private final InMemoryJobQueue queue = InMemoryJobQueue.create("jobs", 1_000);
    private final Set<String> processed = ConcurrentHashMap.newKeySet();
    private final HandoffConsumer consumer = HandoffConsumer.builder("standalone")
            .source(queue::connect)
            .handler(job -> processed.add(job.id()))
            .build();

    @AfterEach
    void tearDown() {
        consumer.close();
        queue.close();
    }

    private static <T> T get(CompletionStage<T> stage) throws Exception {
        return stage.toCompletableFuture().get(WAIT.toSeconds(), TimeUnit.SECONDS);
    }

    @Test
    void standalone_it_subscribes_at_once_and_its_lifecycle_stops_and_resumes_the_subscription() throws Exception {
        // given: no parent in this JVM's environment
        ChildConsumer<HandoffConsumer> child = ChildConsumer.builder(consumer).terminationOnSigterm(false).start();
        assertThat(child.attachedToParent()).isFalse();
        assertThat(child.termination()).isEmpty();
        assertThat(consumer.isConsuming()).isTrue();

        // when: stop-accepting returns only once the cancel is confirmed
        get(consumer.stopAccepting());

        // then
        assertThat(consumer.state()).isEqualTo(LifecycleState.DRAINING);
        assertThat(consumer.isConsuming()).isFalse();
        assertThat(queue.offer("job-1", new byte[0])).isTrue();
        assertThat(queue.readyCount()).isEqualTo(1);

        // when: resumed, it subscribes again and takes the job
        get(consumer.resumeAccepting());

        // then
        assertThat(consumer.isReady()).isTrue();
        await().atMost(WAIT).until(() -> processed.contains("job-1"));
        get(consumer.drain());
        assertThat(consumer.state()).isEqualTo(LifecycleState.DRAINED);
    }

    @Test
    void standalone_any_broker_consumer_subscribes_and_a_subscription_not_confirmed_in_time_is_an_error_naming_it() {
        // given broker consumers that are not HandoffConsumers: one confirms its subscription, one never does, one
        // is refused by its broker
        BrokerConsumer confirmed = new OtherBrokerConsumer("confirmed", CompletableFuture.completedFuture(null));
        BrokerConsumer unconfirmed = new OtherBrokerConsumer("unconfirmed", new CompletableFuture<>());
        BrokerConsumer refused = new OtherBrokerConsumer("refused",
                CompletableFuture.failedFuture(new IllegalStateException("no such topic")));

        // when each starts standalone
        ChildConsumer<BrokerConsumer> child = ChildConsumer.builder(confirmed).terminationOnSigterm(false).start();

        // then
        assertThat(child.consumer()).isSameAs(confirmed);
        assertThat(confirmed.isReady()).isTrue();
        assertThatThrownBy(() -> ChildConsumer.builder(unconfirmed).terminationOnSigterm(false)
                .subscribeTimeout(Duration.ofMillis(50)).start())
                .isInstanceOf(HandoffException.class)
                .hasMessage("consumer unconfirmed was not subscribed within PT0.05S");
        assertThatThrownBy(() -> ChildConsumer.builder(refused).terminationOnSigterm(false).start())
                .isInstanceOf(IllegalStateException.class).hasMessage("no such topic");
        assertThat(refused.state()).isEqualTo(LifecycleState.FAILED);
    }

    @Test
    void standalone_a_subscription_not_confirmed_in_time_leaves_no_consumer_running_that_subscribes_later() {
        // given a broker consumer whose subscription is confirmed only after the start gave up on it
        CompletableFuture<Void> late = new CompletableFuture<>();
        BrokerConsumer slow = new OtherBrokerConsumer("slow", late);

        // when it starts standalone and the start fails for the timeout
        assertThatThrownBy(() -> ChildConsumer.builder(slow).terminationOnSigterm(false)
                .subscribeTimeout(Duration.ofMillis(50)).start())
                .isInstanceOf(HandoffException.class)
                .hasMessage("consumer slow was not subscribed within PT0.05S");
        late.complete(null);

        // then the failed start left nothing started: the consumer is stopped, not taking work
        assertThat(slow.state().isTerminal()).as("state %s", slow.state()).isTrue();
        assertThat(slow.isReady()).isFalse();
    }

    /** A broker consumer whose subscription completes with the given stage. */
    private static final class OtherBrokerConsumer extends InstanceLifecycle implements BrokerConsumer {
        private final CompletableFuture<Void> subscription;

        OtherBrokerConsumer(String id, CompletableFuture<Void> subscription) {
            super(InstanceLifecycle.newBuilder(id));
            this.subscription = subscription;
        }

        @Override
        public void connect() {
            markReady();
        }

        @Override
        protected CompletionStage<Void> onResumeAccepting() {
            return subscription;
        }

        @Override
        public void close() {
            stop();
        }
    }

    @Test
    void bad_arguments_are_refused_with_the_field_and_the_value() {
        assertThatThrownBy(() -> ChildConsumer.builder(null)).isInstanceOf(NullPointerException.class)
                .hasMessage("consumer must not be null");
        assertThatThrownBy(() -> ChildConsumer.builder(consumer).termination(null))
                .isInstanceOf(NullPointerException.class).hasMessage("termination customizer must not be null");
        assertThatThrownBy(() -> ChildConsumer.builder(consumer).subscribeTimeout(Duration.ZERO))
                .isInstanceOf(IllegalArgumentException.class).hasMessage("subscribeTimeout must be > 0, but was PT0S");
    }

    @Test
    void the_router_detaches_a_live_child_that_reported_failed_at_once_without_asking_it_to_stop_accepting()
            throws Exception {
        // given a child process still alive whose consumer lost its broker: the child reported FAILED
        List<String> calls = new java.util.concurrent.CopyOnWriteArrayList<>();
        ChildProcessInstance failed = (ChildProcessInstance) java.lang.reflect.Proxy.newProxyInstance(
                getClass().getClassLoader(), new Class<?>[] {ChildProcessInstance.class}, (proxy, method, args) -> {
                    calls.add(method.getName());
                    switch (method.getName()) {
                        case "state":
                            return LifecycleState.FAILED;
                        case "processHandle":
                            return ProcessHandle.current();
                        case "stopAccepting":
                            return CompletableFuture.failedFuture(new IllegalStateException(
                                    "illegal transition of instance 'c' from FAILED to DRAINING"));
                        case "toString":
                            return "failed child";
                        default:
                            throw new UnsupportedOperationException(method.getName());
                    }
                });

        // when the supervisor has the router detach it
        get(new ChildSubscriptionRouter().detach(failed));

        // then the detach completed at once: a FAILED child has no subscription left to cancel
        assertThat(calls).doesNotContain("stopAccepting");
    }

    @Test
    void the_router_refuses_an_instance_that_is_not_a_child_process() {
        Lifecycle inProcess = InstanceLifecycle.newBuilder("in-process").build();
        ChildSubscriptionRouter router = new ChildSubscriptionRouter();

        for (CompletionStage<Void> stage : List.of(router.attach(inProcess), router.detach(inProcess))) {
            assertThatThrownBy(() -> stage.toCompletableFuture().get(1, TimeUnit.SECONDS))
                    .isInstanceOf(ExecutionException.class)
                    .hasCauseInstanceOf(IllegalArgumentException.class)
                    .hasRootCauseMessage(
                            "ChildSubscriptionRouter routes ChildProcessInstances only, but got " + inProcess);
        }
        assertThat(router.propagationDelay()).isZero();
    }
}
