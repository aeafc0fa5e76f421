package dev.handoff.examples.readme;

import dev.handoff.api.Plan;
import dev.handoff.core.Orchestrator;
import dev.handoff.kafka.KafkaHandoffConsumer;
import dev.handoff.queue.ConsumerLauncher;
import dev.handoff.queue.SubscriptionRouter;

import java.time.Duration;
import java.util.Map;
import java.util.function.Consumer;

/**
 * The README's Kafka example, run by {@code KafkaExampleTest} against an in-process broker: a group of two
 * {@link KafkaHandoffConsumer}s started, each member replaced once, the group closed. The README shows exactly the
 * code between the markers.
 */
public final class KafkaExample {

    private final Consumer<byte[]> billing;

    private KafkaExample(Consumer<byte[]> billing) {
        this.billing = billing;
    }

    /**
     * Runs the example.
     *
     * @param bootstrap the brokers' addresses, e.g. {@code localhost:9092}
     * @param billing   called with the body of each record of topic {@code invoices}
     */
    public static void run(String bootstrap, Consumer<byte[]> billing) {
        new KafkaExample(billing).run(bootstrap);
    }

    private void bill(byte[] invoice) {
        billing.accept(invoice);
    }

    private void run(String bootstrap) {
        // README:begin
        Map<String, Object> kafka = Map.of(
                "bootstrap.servers", bootstrap, "group.id", "billing",
                "auto.offset.reset", "earliest",       // a new group starts at the oldest record, not the next one
                "heartbeat.interval.ms", "100");       // members learn of a rebalance at their next heartbeat (3 s by default)
        ConsumerLauncher launcher = new ConsumerLauncher(id -> KafkaHandoffConsumer.builder(id, kafka, "invoices")
                .handler(job -> bill(job.body()))     // the queue module's JobHandler; job.id() is the record's key
                .concurrency(4)                       // partitions run in parallel, each in order
                .maxAttempts(3)                       // then invoices.dead-letter (FailurePolicy.DEAD_LETTER)
                .build());
        try (Orchestrator billing = Orchestrator.builder("billing", launcher, new SubscriptionRouter()).build()) {
            billing.startAndWait(2, Duration.ofSeconds(60));                       // two members join the group
            billing.swapAndWait(Plan.rolling(1, 0), Duration.ofSeconds(120));     // each replaced: nothing lost or redone
        }
        // README:end
    }
}
