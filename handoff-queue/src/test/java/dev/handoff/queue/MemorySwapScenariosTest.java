package dev.handoff.queue;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;

import dev.handoff.queue.spi.JobSource;

/** The swap scenarios on the in-memory queue. */
class MemorySwapScenariosTest extends SwapScenarios {

    @Override
    protected Broker newBroker() {
        InMemoryJobQueue queue = InMemoryJobQueue.create("jobs", 50_000);
        return new Broker() {
            @Override
            public JobSource connect() {
                return queue.connect();
            }

            @Override
            public void publish(String jobId) throws InterruptedException {
                assertThat(queue.publish(jobId, jobId.getBytes(java.nio.charset.StandardCharsets.UTF_8),
                        Duration.ofSeconds(10))).as("published %s", jobId).isTrue();
            }

            @Override
            public void flush() {
                // offer() stores synchronously
            }

            @Override
            public long remaining() {
                return queue.size();
            }

            @Override
            public void crash(JobSource source) {
                ((InMemoryJobQueue.MemorySource) source).sever("simulated crash");
            }

            @Override
            public void close() {
                queue.close();
            }
        };
    }
}
