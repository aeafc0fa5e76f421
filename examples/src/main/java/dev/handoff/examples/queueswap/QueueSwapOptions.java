package dev.handoff.examples.queueswap;

import dev.handoff.examples.common.OptionParser;
import dev.handoff.examples.common.ReportFile;
import java.net.URI;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import java.util.Set;

/**
 * The options of {@code queue-swap}, parsed and validated. Immutable.
 *
 * @param broker        {@code memory}, {@code rabbitmq} or {@code kafka}
 * @param modes         the modes to run, in order
 * @param messages      jobs published per mode
 * @param swaps         swaps per mode, spread evenly over the processing
 * @param forceDrain    whether each handoff drain is made to miss its deadline
 * @param jobMinMillis  shortest job
 * @param jobMaxMillis  longest job
 * @param prefetch      deliveries held per consumer
 * @param concurrency   handler threads per consumer
 * @param drainMillis   drain deadline of the handoff mode (and the bound of cancel-and-finish)
 * @param timeoutSeconds bound on each mode's run
 * @param rabbitUri     the broker to use with {@code --broker=rabbitmq}; empty: start a throwaway node
 * @param help          whether --help was asked (the other fields then hold defaults)
 * @param report        where the HTML report goes; null for none
 * @param partitions    Kafka: the topic's partitions
 * @param groupProtocol Kafka: the handoff consumers' group protocol, {@code classic} or {@code consumer}
 */
public record QueueSwapOptions(String broker, List<Mode> modes, int messages, int swaps, boolean forceDrain,
                               int jobMinMillis, int jobMaxMillis, int prefetch, int concurrency, long drainMillis,
                               int timeoutSeconds, Optional<URI> rabbitUri, boolean help, Path report, int partitions,
                               String groupProtocol) {

    static final int MAX_MESSAGES = 10_000_000;
    static final int MAX_SWAPS = 1_000;

    /** The compact constructor copies the mode list. */
    public QueueSwapOptions {
        modes = List.copyOf(modes);
    }

    /** A command line that cannot be run; the message names the option and the value received. */
    public static final class UsageException extends Exception {
        private static final long serialVersionUID = 1L;

        /** @param message what is wrong, naming the option and value */
        public UsageException(String message) {
            super(message);
        }
    }

    /**
     * @param args the arguments after {@code queue-swap}: {@code --name=value}, {@code --name value}, or the flags
     *             {@code --force-drain} and {@code --help}
     * @return the options
     * @throws UsageException when an option is unknown, repeated, lacks its value or has a value out of range
     */
    public static QueueSwapOptions parse(String[] args) throws UsageException {
        String broker = "memory";
        List<Mode> modes = List.of(Mode.HANDOFF);
        int messages = 20_000;
        int swaps = 5;
        boolean forceDrain = false;
        int jobMin = 1;
        int jobMax = 3;
        int prefetch = 20;
        int concurrency = 4;
        long drainMillis = 30_000;
        int timeout = 600;
        Optional<URI> rabbitUri = Optional.empty();
        Path report = null;
        String modeValue = null;
        boolean jobMillisGiven = false;
        Integer partitions = null;
        String groupProtocol = null;
        OptionParser<UsageException> parser = new OptionParser<>(args, Set.of("force-drain"), UsageException::new);
        while (parser.hasNext()) {
            OptionParser.Option option = parser.next();
            if (option.help()) {
                return new QueueSwapOptions(broker, modes, messages, swaps, forceDrain, jobMin, jobMax, prefetch,
                        concurrency, drainMillis, timeout, rabbitUri, true, report, 6, "classic");
            }
            String name = option.name();
            // --force-drain alone means true
            String value = option.value() == null ? "true" : option.value();
            switch (name) {
                case "broker" -> {
                    if (!value.equals("memory") && !value.equals("rabbitmq") && !value.equals("kafka")) {
                        throw new UsageException("--broker must be memory, rabbitmq or kafka, but was '" + value
                                + "'");
                    }
                    broker = value;
                }
                case "mode" -> modeValue = value;
                case "partitions" -> partitions = parser.intValue("partitions", value, 1, 1_000);
                case "group-protocol" -> {
                    if (!value.equals("classic") && !value.equals("consumer")) {
                        throw new UsageException("--group-protocol must be classic or consumer, but was '" + value
                                + "'");
                    }
                    groupProtocol = value;
                }
                case "messages" -> messages = parser.intValue("messages", value, 1, MAX_MESSAGES);
                case "swaps" -> swaps = parser.intValue("swaps", value, 0, MAX_SWAPS);
                case "force-drain" -> {
                    if (!value.equals("true") && !value.equals("false")) {
                        throw new UsageException("--force-drain takes no value (or true/false), but was '" + value
                                + "'");
                    }
                    forceDrain = Boolean.parseBoolean(value);
                }
                case "job-ms" -> {
                    jobMillisGiven = true;
                    int dash = value.indexOf('-');
                    if (dash < 0) {
                        jobMin = parser.intValue("job-ms", value, 0, 60_000);
                        jobMax = jobMin;
                    } else {
                        jobMin = parser.intValue("job-ms", value.substring(0, dash), 0, 60_000);
                        jobMax = parser.intValue("job-ms", value.substring(dash + 1), 0, 60_000);
                        if (jobMax < jobMin) {
                            throw new UsageException("--job-ms must be MIN-MAX with MIN <= MAX, but was '" + value
                                    + "'");
                        }
                    }
                }
                case "report" -> report = ReportFile.parse(value, UsageException::new);
                case "prefetch" -> prefetch = parser.intValue("prefetch", value, 1, 65_535);
                case "concurrency" -> concurrency = parser.intValue("concurrency", value, 1, 256);
                case "drain-timeout-ms" -> drainMillis = parser.intValue("drain-timeout-ms", value, 1, 3_600_000);
                case "timeout" -> timeout = parser.intValue("timeout", value, 1, 86_400);
                case "rabbit-uri" -> {
                    try {
                        URI uri = URI.create(value);
                        if (!"amqp".equals(uri.getScheme()) && !"amqps".equals(uri.getScheme())) {
                            throw new IllegalArgumentException("scheme must be amqp or amqps");
                        }
                        rabbitUri = Optional.of(uri);
                    } catch (IllegalArgumentException e) {
                        throw new UsageException("--rabbit-uri must be an amqp:// URI, but was '" + value + "'");
                    }
                }
                default -> throw new UsageException("unknown option --" + name + " (see --help)");
            }
        }
        if (rabbitUri.isPresent() && !broker.equals("rabbitmq")) {
            throw new UsageException("--rabbit-uri needs --broker=rabbitmq, but the broker is " + broker);
        }
        if (modeValue != null) {
            modes = Mode.parse(modeValue, broker);
        }
        boolean kafka = broker.equals("kafka");
        if (!kafka && partitions != null) {
            throw new UsageException("--partitions needs --broker=kafka, but the broker is " + broker);
        }
        if (!kafka && groupProtocol != null) {
            throw new UsageException("--group-protocol needs --broker=kafka, but the broker is " + broker);
        }
        if (kafka && !jobMillisGiven) {
            // the setup of the Kafka measurements in issue 12: jobs of 2 to 20 ms
            jobMin = 2;
            jobMax = 20;
        }
        return new QueueSwapOptions(broker, modes, messages, swaps, forceDrain, jobMin, jobMax, prefetch,
                concurrency, drainMillis, timeout, rabbitUri, false, report, partitions == null ? 6 : partitions,
                groupProtocol == null ? "classic" : groupProtocol);
    }

    /** @return the help text */
    public static String usage() {
        return String.join(System.lineSeparator(),
                "usage: java -jar handoff-examples.jar queue-swap [options]",
                "",
                "Publishes jobs with unique ids while queue consumers are swapped, checks every id against a ledger",
                "and prints one line per mode:",
                "  RESULT broker=B swaps=N published=M processed=P lost=L duplicated=D forced=F max_drain_ms=T"
                        + " [mode=X]",
                "processed: distinct ids processed; lost: ids never processed; duplicated: extra runs of an id;",
                "forced: jobs taken from a running handler (handoff: abandoned at the drain deadline; naive: running",
                "when the channel closed); max_drain_ms: longest time from telling an old consumer to stop to its",
                "being gone. A STATS line before it gives throughput and mean drain time. Exit status 0 when nothing",
                "was lost, 1 otherwise, 2 for a bad command line.",
                "",
                "options:",
                "  --broker=memory|rabbitmq|kafka  job source (default memory: the in-process queue); kafka starts",
                "                             a KRaft broker in this JVM (Kafka's test kit) and adds max_stall_ms to",
                "                             RESULT: the longest time a partition had records waiting while no",
                "                             consumer processed it",
                "  --rabbit-uri=amqp://...    RabbitMQ to use with --broker=rabbitmq; without it a throwaway node is",
                "                             started on 127.0.0.1 (needs rabbitmq-server installed) and stopped after",
                "  --messages=M               jobs published per mode (default 20000)",
                "  --swaps=N                  swaps per mode, spread over the processing (default 5)",
                "  --mode=MODE                handoff | naive | cancel-and-finish | all (default handoff); all runs the",
                "                             three, one after the other, on the same broker (a fresh queue each):",
                "                               handoff            HandoffConsumer + Orchestrator: cancel, requeue",
                "                                                  unstarted jobs at once, finish and ack the rest",
                "                               naive              close the old consumer's channel at once",
                "                               cancel-and-finish  cancel, process everything prefetched, then close",
                "                             with --broker=kafka: handoff | naive | cooperative | plain | all:",
                "                               handoff      KafkaHandoffConsumer, a group of 2, one replaced per swap",
                "                               naive        plain consumers, eager assignor, auto-commit; the old one",
                "                                            closed right after the new one joined",
                "                               cooperative  plain consumers, cooperative-sticky, commit on revoke, no",
                "                                            draining of the records in flight",
                "                               plain        plain consumers never swapped: the throughput baseline",
                "                                            (a THROUGHPUT line compares handoff with it)",
                "  --partitions=P             Kafka: the topic's partitions (default 6)",
                "  --group-protocol=classic|consumer  Kafka: the handoff consumers' group protocol (default classic,",
                "                             cooperative-sticky; consumer is KIP-848)",
                "  --force-drain              handoff mode: jobs running when their consumer is told to stop overrun",
                "                             the drain deadline (1 ms) until interrupted, so each drain is forced",
                "  --job-ms=MIN[-MAX]         job duration, uniform in [MIN, MAX] ms (default 1-3; kafka 2-20)",
                "  --prefetch=P               deliveries held per consumer (default 20)",
                "  --concurrency=C            handler threads per consumer (default 4)",
                "  --drain-timeout-ms=T       drain deadline of handoff mode, bound of cancel-and-finish (default 30000)",
                "  --timeout=S                bound on each mode's run, in seconds (default 600)",
                "  --report=FILE              write one HTML page for the whole run: each handoff swap's seven steps",
                "                             per instance, the job rate over time, jobs in flight per consumer",
                "  --help                     show this message",
                "");
    }
}
