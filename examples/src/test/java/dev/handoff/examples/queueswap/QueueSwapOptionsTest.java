package dev.handoff.examples.queueswap;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.net.URI;
import java.util.List;

import org.junit.jupiter.api.Test;

class QueueSwapOptionsTest {

    @Test
    void defaults_are_the_reviewers_run() throws Exception {
        QueueSwapOptions options = QueueSwapOptions.parse(new String[0]);

        assertThat(options.broker()).isEqualTo("memory");
        assertThat(options.modes()).containsExactly(Mode.HANDOFF);
        assertThat(options.messages()).isEqualTo(20_000);
        assertThat(options.swaps()).isEqualTo(5);
        assertThat(options.forceDrain()).isFalse();
        assertThat(options.rabbitUri()).isEmpty();
    }

    @Test
    void every_option_is_parsed() throws Exception {
        QueueSwapOptions options = QueueSwapOptions.parse(new String[] {"--broker=rabbitmq", "--messages", "5000",
            "--swaps=3", "--force-drain", "--mode=all", "--job-ms=2-20", "--prefetch=50", "--concurrency=8",
            "--drain-timeout-ms=500", "--timeout=60", "--rabbit-uri=amqp://guest:guest@127.0.0.1:5673/"});

        assertThat(options.modes()).containsExactly(Mode.HANDOFF, Mode.NAIVE, Mode.CANCEL_AND_FINISH);
        assertThat(List.of(options.messages(), options.swaps(), options.jobMinMillis(), options.jobMaxMillis(),
                options.prefetch(), options.concurrency(), options.timeoutSeconds()))
                .containsExactly(5000, 3, 2, 20, 50, 8, 60);
        assertThat(options.forceDrain()).isTrue();
        assertThat(options.drainMillis()).isEqualTo(500);
        assertThat(options.rabbitUri()).contains(URI.create("amqp://guest:guest@127.0.0.1:5673/"));
    }

    @Test
    void kafka_takes_its_own_modes_partitions_and_job_durations() throws Exception {
        QueueSwapOptions options = QueueSwapOptions.parse(new String[] {"--mode=all", "--broker=kafka",
            "--partitions=3", "--group-protocol=consumer"});
        assertThat(options.modes()).containsExactly(Mode.HANDOFF, Mode.NAIVE, Mode.COOPERATIVE, Mode.PLAIN);
        assertThat(options.partitions()).isEqualTo(3);
        assertThat(options.groupProtocol()).isEqualTo("consumer");
        assertThat(options.jobMinMillis()).isEqualTo(2);
        assertThat(options.jobMaxMillis()).isEqualTo(20);
    }

    @Test
    void bad_input_names_the_option_and_the_value() {
        assertThatThrownBy(() -> QueueSwapOptions.parse(new String[] {"--messages=0"}))
                .hasMessage("--messages must be between 1 and 10000000, but was 0");
        assertThatThrownBy(() -> QueueSwapOptions.parse(new String[] {"--broker=pulsar"}))
                .hasMessage("--broker must be memory, rabbitmq or kafka, but was 'pulsar'");
        assertThatThrownBy(() -> QueueSwapOptions.parse(new String[] {"--mode=cooperative"}))
                .hasMessage("--mode must be handoff, naive, cancel-and-finish or all, but was 'cooperative'");
        assertThatThrownBy(() -> QueueSwapOptions.parse(new String[] {"--broker=kafka", "--mode=cancel-and-finish"}))
                .hasMessage("--mode must be handoff, naive, cooperative, plain or all with --broker=kafka, but was"
                        + " 'cancel-and-finish'");
        assertThatThrownBy(() -> QueueSwapOptions.parse(new String[] {"--partitions=3"}))
                .hasMessage("--partitions needs --broker=kafka, but the broker is memory");
        assertThatThrownBy(() -> QueueSwapOptions.parse(new String[] {"--broker=kafka", "--group-protocol=eager"}))
                .hasMessage("--group-protocol must be classic or consumer, but was 'eager'");
        assertThatThrownBy(() -> QueueSwapOptions.parse(new String[] {"--mode=fast"}))
                .hasMessage("--mode must be handoff, naive, cancel-and-finish or all, but was 'fast'");
        assertThatThrownBy(() -> QueueSwapOptions.parse(new String[] {"--job-ms=9-2"}))
                .hasMessage("--job-ms must be MIN-MAX with MIN <= MAX, but was '9-2'");
        assertThatThrownBy(() -> QueueSwapOptions.parse(new String[] {"--prefetch=x"}))
                .hasMessage("--prefetch must be a whole number, but was 'x'");
        assertThatThrownBy(() -> QueueSwapOptions.parse(new String[] {"--rabbit-uri=http://x"}))
                .hasMessage("--rabbit-uri must be an amqp:// URI, but was 'http://x'");
        assertThatThrownBy(() -> QueueSwapOptions.parse(new String[] {"--rabbit-uri=amqp://x"}))
                .hasMessage("--rabbit-uri needs --broker=rabbitmq, but the broker is memory");
        assertThatThrownBy(() -> QueueSwapOptions.parse(new String[] {"--swaps=1", "--swaps=2"}))
                .hasMessage("--swaps given twice");
        assertThatThrownBy(() -> QueueSwapOptions.parse(new String[] {"--color=red"}))
                .hasMessage("unknown option --color (see --help)");
    }

    @Test
    void the_help_documents_every_option() {
        String usage = QueueSwapOptions.usage();

        assertThat(usage).contains("--broker=memory|rabbitmq|kafka", "--rabbit-uri", "--messages", "--swaps", "--mode",
                "--force-drain", "--job-ms", "--prefetch", "--concurrency", "--drain-timeout-ms", "--timeout",
                "--help", "RESULT broker=B swaps=N published=M processed=P lost=L duplicated=D forced=F max_drain_ms=");
    }
}
