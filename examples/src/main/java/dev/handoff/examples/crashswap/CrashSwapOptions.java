package dev.handoff.examples.crashswap;

import dev.handoff.examples.common.OptionParser;

import java.util.Set;

/**
 * The options of {@code crash-swap}, parsed and validated. Exactly one of {@code kills}, {@code memberKills} and
 * {@code brokerRestarts} is positive (unless {@code help}). Immutable.
 *
 * @param kills              kills of the orchestrator's JVM mid-swap; 0 for the other modes
 * @param memberKills        members to kill with SIGKILL, alternating web and queue; 0 for the broker mode
 * @param brokerRestarts     restarts of the RabbitMQ node; 0 for the member mode
 * @param clients            web clients (member mode)
 * @param jobsPerSecond      jobs published per second
 * @param healTimeoutSeconds bound on each heal: the group back at its size (and consuming, after a broker restart)
 * @param help               whether --help was asked (the other fields then hold defaults)
 */
public record CrashSwapOptions(int kills, int memberKills, int brokerRestarts, int clients, int jobsPerSecond,
                               int healTimeoutSeconds, boolean help) {

    static final int MAX_KILLS = 1_000;
    static final int MAX_RESTARTS = 100;

    /** A command line that cannot be run; the message names the option and the value received. */
    public static final class UsageException extends Exception {
        private static final long serialVersionUID = 1L;

        /** @param message what is wrong, naming the option and value */
        public UsageException(String message) {
            super(message);
        }
    }

    /** @return whether this run kills the orchestrator */
    boolean killsOrchestrator() {
        return kills > 0;
    }

    /** @return whether this run kills members (else it restarts the broker) */
    boolean killsMembers() {
        return memberKills > 0;
    }

    /**
     * @param args the arguments after {@code crash-swap}
     * @return the options
     * @throws UsageException when an option is unknown, repeated, lacks its value or has a value out of range, or
     *                        when not exactly one of {@code --kills}, {@code --member-kills} and
     *                        {@code --broker-restarts} is
     */
    public static CrashSwapOptions parse(String[] args) throws UsageException {
        int kills = 0;
        int memberKills = 0;
        int brokerRestarts = 0;
        int clients = 4;
        int jobsPerSecond = 400;
        int healTimeout = 30;
        boolean modeGiven = false;
        OptionParser<UsageException> parser = new OptionParser<>(args, Set.of(), UsageException::new);
        while (parser.hasNext()) {
            OptionParser.Option option = parser.next();
            if (option.help()) {
                return new CrashSwapOptions(0, 0, 0, clients, jobsPerSecond, healTimeout, true);
            }
            String name = option.name();
            String value = option.value();
            switch (name) {
                case "member-kills" -> memberKills = parser.intValue(name, value, 1, MAX_KILLS);
                case "broker-restarts" -> brokerRestarts = parser.intValue(name, value, 1, MAX_RESTARTS);
                case "kills" -> kills = parser.intValue(name, value, 1, MAX_KILLS);
                case "clients" -> clients = parser.intValue(name, value, 1, 256);
                case "jobs-per-second" -> jobsPerSecond = parser.intValue(name, value, 1, 10_000);
                case "heal-timeout-seconds" -> healTimeout = parser.intValue(name, value, 1, 600);
                default -> throw new UsageException("unknown option --" + name);
            }
            if (name.equals("kills") || name.equals("member-kills") || name.equals("broker-restarts")) {
                if (modeGiven) {
                    throw new UsageException("--kills, --member-kills and --broker-restarts are separate runs: give"
                            + " one");
                }
                modeGiven = true;
            }
        }
        if (!modeGiven) {
            throw new UsageException("give --kills=N, --member-kills=N or --broker-restarts=N");
        }
        return new CrashSwapOptions(kills, memberKills, brokerRestarts, clients, jobsPerSecond, healTimeout, false);
    }

    /** @return the text of {@code --help} */
    static String usage() {
        return String.join("\n",
                "usage: java -jar handoff-examples.jar crash-swap (--kills=N | --member-kills=N | --broker-restarts=N)"
                        + " [options]",
                "",
                "Kills members of supervised groups, or restarts their broker, while clients that never retry run,",
                "and counts what the orchestrator's supervisor healed and what the clients lost. Everything runs on",
                "127.0.0.1 and is stopped by PID at the end (child JVMs, HAProxy, the RabbitMQ node, their folders).",
                "",
                "  queue group: 2 child consumer JVMs (ChildConsumer, ChildSubscriptionRouter) on a throwaway RabbitMQ",
                "               node (rabbitmq-server from /usr/lib/rabbitmq/bin), fed persistent jobs; each child",
                "               writes every job it starts to a ledger file, read back into a job ledger",
                "  web group:   2 child web JVMs (the haproxy-children child app) behind a throwaway HAProxy",
                "               (/usr/sbin/haproxy, retries 3 with redispatch on connection failures; none after a",
                "               request was sent), driven by raw-socket clients that never retry (member mode only)",
                "  both groups: replaceBackoff 250 ms to 4 s (a replacement alive 4 s counts as healthy)",
                "",
                "modes (give exactly one):",
                "  --member-kills=N     N times: SIGKILL by PID to the oldest member of one group, alternating web",
                "                       (kills 1, 3, 5...) and queue (kills 2, 4, 6...), then wait until the group has",
                "                       2 members again, none of them the killed one, all READY and attached. Prints",
                "                       RESULT crash-swap member_kills=N healed=H failed=F lost=L cut=C orphans=O",
                "  --broker-restarts=N  N times, while the consumers work through a backlog: stop the RabbitMQ node,",
                "                       start it again on the same port and data, then wait until the queue group",
                "                       has 2 members launched since the stop, all READY, and a job was run by one.",
                "                       The publisher pauses while the node is down (its last batch confirmed) and",
                "                       reconnects after. Prints",
                "                       RESULT crash-swap broker_restarts=N healed=H lost=L orphans=O",
                "  --kills=N            the orchestrator runs in a JVM of its own with a state directory per group",
                "                       (lease 20 s); N times: a rolling(1, 0) swap of one group (alternating web",
                "                       and queue), SIGKILL to the orchestrator's JVM at a random step of it (one of",
                "                       its first 24 step events), and a new orchestrator JVM on the same state",
                "                       directories, which recovers; then wait until both groups have 2 READY",
                "                       members. Prints",
                "                       RESULT crash-swap kills=N recovered=R failed=F lost=L orphans=O",
                "                       (recovered: kills after which the half-done swap ended COMMITTED or",
                "                       ROLLED_BACK, or had ended before the kill, and both groups were whole;",
                "                       failed: every failed request, as no member is killed in this mode)",
                "",
                "options:",
                "  --clients=C               web clients (default 4)",
                "  --jobs-per-second=J       jobs published per second (default 400)",
                "  --heal-timeout-seconds=S  bound on each heal; a kill or restart healed later counts as not healed",
                "                            (default 30)",
                "  --help                    this text",
                "",
                "figures:",
                "  healed   kills (restarts) after which the group was whole again within the bound",
                "  cut      work that was inside the killed member when it died: a request that failed (a 502 from",
                "           HAProxy, a reset or an early EOF) and was in flight at some moment between the SIGKILL",
                "           and the killed process's exit as seen by this JVM (the surviving member serves on, so",
                "           such a failure is the kill's), plus a job the killed child had started and that ran",
                "           again, marked redelivered, in another member",
                "  failed   every other failed request, whatever its kind: refused, reset, EOF, timeout, non-2xx",
                "  lost     jobs the broker confirmed to the publisher and no member ever started, once the queue",
                "           is drained at the end (bounded)",
                "  orphans  processes still alive at the end that this run started: JVMs whose command line names",
                "           dev.handoff and that descend from this JVM or carry its marker",
                "           (-Dhandoff.crash-swap.parent=PID), other than this JVM; plus HAProxy and the RabbitMQ",
                "           node when alive",
                "",
                "exit status: 0 when every kill or restart healed and nothing failed or was lost (and no orphan),",
                "1 otherwise, 2 for a bad command line",
                "");
    }
}
