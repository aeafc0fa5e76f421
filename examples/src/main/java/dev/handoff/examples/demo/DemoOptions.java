package dev.handoff.examples.demo;

import dev.handoff.examples.common.OptionParser;
import dev.handoff.examples.common.ReportFile;
import java.nio.file.Path;
import java.util.Set;

/**
 * The options of {@code demo}, parsed and validated. Immutable.
 *
 * @param webSwaps   swaps of the web app whose new instance runs in this JVM
 * @param childSwaps swaps of the web app whose new instance is a child JVM
 * @param queueSwaps swaps of the queue worker (in this JVM)
 * @param clients    concurrent HTTP clients
 * @param jobs       jobs the producer publishes, spread evenly over the run
 * @param seconds    how long the load runs; the swaps are spread evenly over it
 * @param verbose    whether the library's own INFO log lines are shown (on stderr)
 * @param help       whether --help was asked (the other fields then hold defaults)
 * @param report     where the HTML report goes; null for a new file in the temporary folder
 */
public record DemoOptions(int webSwaps, int childSwaps, int queueSwaps, int clients, int jobs, int seconds,
                          boolean verbose, boolean help, Path report) {

    static final int DEFAULT_WEB_SWAPS = 3;
    static final int DEFAULT_CHILD_SWAPS = 3;
    static final int DEFAULT_QUEUE_SWAPS = 4;
    static final int DEFAULT_CLIENTS = 4;
    static final int DEFAULT_JOBS = 3000;
    static final int DEFAULT_SECONDS = 30;
    static final int MAX_SWAPS = 100;
    static final int MAX_CLIENTS = 64;
    static final int MAX_JOBS = 1_000_000;
    static final int MAX_SECONDS = 3600;

    /** A command line that cannot be run; the message names the option and the value received. */
    public static final class UsageException extends Exception {
        private static final long serialVersionUID = 1L;

        /** @param message what is wrong, naming the option and value */
        public UsageException(String message) {
            super(message);
        }
    }

    /** @return the options of a run with no arguments */
    public static DemoOptions defaults() {
        return new DemoOptions(DEFAULT_WEB_SWAPS, DEFAULT_CHILD_SWAPS, DEFAULT_QUEUE_SWAPS, DEFAULT_CLIENTS,
                DEFAULT_JOBS, DEFAULT_SECONDS, false, false, null);
    }

    /**
     * @param args the arguments after {@code demo}: {@code --name=value} or {@code --name value}, and the flags
     *             {@code --verbose} and {@code --help}
     * @return the options
     * @throws UsageException when an option is unknown, repeated, lacks its value or has a value out of range,
     *                        or when no swap at all is asked
     */
    public static DemoOptions parse(String[] args) throws UsageException {
        int webSwaps = DEFAULT_WEB_SWAPS;
        int childSwaps = DEFAULT_CHILD_SWAPS;
        int queueSwaps = DEFAULT_QUEUE_SWAPS;
        int clients = DEFAULT_CLIENTS;
        int jobs = DEFAULT_JOBS;
        int seconds = DEFAULT_SECONDS;
        boolean verbose = false;
        Path report = null;
        OptionParser<UsageException> parser = new OptionParser<>(args, Set.of("verbose"), UsageException::new);
        while (parser.hasNext()) {
            OptionParser.Option option = parser.next();
            if (option.help()) {
                return defaults().withHelp();
            }
            String name = option.name();
            String value = option.value();
            switch (name) {
                case "verbose" -> {
                    if (value != null) {
                        throw new UsageException("--verbose takes no value, but was given '" + value + "'");
                    }
                    verbose = true;
                }
                case "web-swaps" -> webSwaps = parser.intValue(name, value, 0, MAX_SWAPS);
                case "child-swaps" -> childSwaps = parser.intValue(name, value, 0, MAX_SWAPS);
                case "queue-swaps" -> queueSwaps = parser.intValue(name, value, 0, MAX_SWAPS);
                case "clients" -> clients = parser.intValue(name, value, 1, MAX_CLIENTS);
                case "jobs" -> jobs = parser.intValue(name, value, 1, MAX_JOBS);
                case "seconds" -> seconds = parser.intValue(name, value, 1, MAX_SECONDS);
                case "report" -> report = ReportFile.parse(value, UsageException::new);
                default -> throw new UsageException("unknown option --" + name + " (see --help)");
            }
        }
        if (webSwaps + childSwaps + queueSwaps == 0) {
            throw new UsageException("--web-swaps, --child-swaps and --queue-swaps must not all be 0: "
                    + "there would be nothing to show");
        }
        return new DemoOptions(webSwaps, childSwaps, queueSwaps, clients, jobs, seconds, verbose, false, report);
    }

    private DemoOptions withHelp() {
        return new DemoOptions(webSwaps, childSwaps, queueSwaps, clients, jobs, seconds, verbose, true, report);
    }

    /** @return the total number of swaps asked */
    public int swaps() {
        return webSwaps + childSwaps + queueSwaps;
    }

    /** @return the --help text */
    public static String usage() {
        return "usage: java -jar handoff-examples.jar demo [--web-swaps=N] [--child-swaps=N] [--queue-swaps=N]\n"
                + "                                             [--clients=C] [--jobs=J] [--seconds=S] [--verbose]\n"
                + "                                             [--report=FILE]\n"
                + "\n"
                + "Runs handoff end to end on the embedded defaults, with no external server, everything on\n"
                + "127.0.0.1:\n"
                + "  web    a Jetty web app behind the embedded front door (ProxyRouter), under load from C HTTP\n"
                + "         clients that never retry. It is swapped one for one, alternately to a new instance in\n"
                + "         this JVM and to a new child JVM (this jar, started by ChildProcessLauncher, driven over\n"
                + "         a private Unix socket by its ChildAgent).\n"
                + "  queue  a queue worker (HandoffConsumer) on the in-memory job queue, fed J jobs with unique ids\n"
                + "         by a producer; a ledger records every job id processed. Its swaps stay in this JVM: the\n"
                + "         in-memory queue lives in this JVM, and consumers in child processes need a broker\n"
                + "         between processes (queue-swap --broker=rabbitmq swaps those).\n"
                + "Every step of every swap is printed as it ends, with the time since the start and its\n"
                + "duration. Then a report: requests sent and failed (by kind), jobs produced, processed, lost and\n"
                + "duplicated, and each swap's timeline. Child JVMs are destroyed at the end, and on any failure.\n"
                + "\n"
                + "options:\n"
                + "  --web-swaps=N    web swaps to a new instance in this JVM (0.." + MAX_SWAPS + ", default "
                + DEFAULT_WEB_SWAPS + ")\n"
                + "  --child-swaps=N  web swaps to a new child JVM (0.." + MAX_SWAPS + ", default "
                + DEFAULT_CHILD_SWAPS + ")\n"
                + "  --queue-swaps=N  queue worker swaps, in this JVM (0.." + MAX_SWAPS + ", default "
                + DEFAULT_QUEUE_SWAPS + ")\n"
                + "  --clients=C      concurrent HTTP clients (1.." + MAX_CLIENTS + ", default " + DEFAULT_CLIENTS
                + ")\n"
                + "  --jobs=J         jobs published, spread over the run (1.." + MAX_JOBS + ", default "
                + DEFAULT_JOBS + ")\n"
                + "  --seconds=S      how long the load runs, the swaps spread evenly over it (1.." + MAX_SECONDS
                + ", default " + DEFAULT_SECONDS + ");\n"
                + "                   a swap that is late starts as soon as the one before it has ended\n"
                + "  --report=FILE    write the HTML report there (one page, no network: each swap's seven steps\n"
                + "                   per instance, the request and job rates with every failure, the work in\n"
                + "                   flight per instance); default: a new handoff-demo-*.html in the temporary\n"
                + "                   folder. Its path is printed before the RESULT line\n"
                + "  --verbose        also show the library's INFO log lines (stderr); by default WARN and above\n"
                + "  --help           this text\n"
                + "The swaps must not all be 0.\n"
                + "\n"
                + "The last line is\n"
                + "  RESULT demo swaps=N requests=R failed=F jobs=J lost=L duplicated=D\n"
                + "where swaps counts the swaps that ended COMMITTED, failed the HTTP requests that failed (any\n"
                + "kind: refused, reset, eof_reused, eof_fresh, timeout, non_2xx, other), lost the jobs published\n"
                + "and never processed, duplicated the extra runs of jobs processed more than once.\n"
                + "Exit status: 0 when every swap COMMITTED and failed, lost and duplicated are 0; 1 otherwise;\n"
                + "2 on a bad option.\n";
    }
}
