package dev.handoff.examples.webswap;

import dev.handoff.examples.common.OptionParser;
import dev.handoff.examples.common.ReportFile;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.Set;

/**
 * The options of {@code web-swap}, parsed and validated. Immutable.
 *
 * @param modes   the modes to run, in order
 * @param swaps   swaps per mode, spread evenly over the run
 * @param clients concurrent clients
 * @param seconds duration of each mode's run
 * @param help    whether --help was asked (the other fields then hold defaults)
 * @param report  where the HTML report goes; null for none
 * @param h2c     whether the clients speak HTTP/2 cleartext through one shared Jetty HttpClient (--client=h2c)
 */
public record WebSwapOptions(List<Mode> modes, int swaps, int clients, int seconds, boolean help, Path report,
                             boolean h2c) {

    static final int MAX_SWAPS = 1000;
    static final int MAX_CLIENTS = 256;
    static final int MAX_SECONDS = 3600;

    /** A command line that cannot be run; the message names the option and the value received. */
    public static final class UsageException extends Exception {
        private static final long serialVersionUID = 1L;

        /** @param message what is wrong, naming the option and value */
        public UsageException(String message) {
            super(message);
        }
    }

    /**
     * @param args the arguments after {@code web-swap}: {@code --name=value} or {@code --name value}
     * @return the options
     * @throws UsageException when an option is unknown, repeated, lacks its value or has a value out of range
     */
    public static WebSwapOptions parse(String[] args) throws UsageException {
        List<Mode> modes = List.of(Mode.values());
        int swaps = 5;
        int clients = 8;
        int seconds = 40;
        Path report = null;
        boolean h2c = false;
        OptionParser<UsageException> parser = new OptionParser<>(args, Set.of(), UsageException::new);
        while (parser.hasNext()) {
            OptionParser.Option option = parser.next();
            if (option.help()) {
                return new WebSwapOptions(modes, swaps, clients, seconds, true, report, h2c);
            }
            String value = option.value();
            switch (option.name()) {
                case "mode" -> modes = parseModes(value);
                case "swaps" -> swaps = parser.intValue("swaps", value, 0, MAX_SWAPS);
                case "clients" -> clients = parser.intValue("clients", value, 1, MAX_CLIENTS);
                case "seconds" -> seconds = parser.intValue("seconds", value, 1, MAX_SECONDS);
                case "report" -> report = ReportFile.parse(value, UsageException::new);
                case "client" -> h2c = switch (value) {
                    case "http1" -> false;
                    case "h2c" -> true;
                    default -> throw new UsageException("--client must be http1 or h2c, but was '" + value + "'");
                };
                default -> throw new UsageException("unknown option --" + option.name() + " (see --help)");
            }
        }
        if (h2c && !List.of(Mode.PROXY, Mode.REUSEPORT).containsAll(modes)) {
            throw new UsageException("--client=h2c needs --mode=proxy, reuseport or both (the others serve HTTP/1.1"
                    + " only), but the modes were " + modes.stream().map(Mode::label).toList());
        }
        return new WebSwapOptions(modes, swaps, clients, seconds, false, report, h2c);
    }

    private static List<Mode> parseModes(String value) throws UsageException {
        if (value.equals("all")) {
            return List.of(Mode.values());
        }
        List<Mode> modes = new ArrayList<>();
        for (String label : value.split(",", -1)) {
            Optional<Mode> mode = Mode.byLabel(label);
            if (mode.isEmpty()) {
                throw new UsageException("--mode must be all or a comma-separated list of " + labels()
                        + ", but was '" + value + "'");
            }
            if (!modes.contains(mode.get())) {
                modes.add(mode.get());
            }
        }
        return List.copyOf(modes);
    }

    private static String labels() {
        StringBuilder labels = new StringBuilder();
        for (Mode mode : Mode.values()) {
            labels.append(labels.length() == 0 ? "" : ", ").append(mode.label());
        }
        return labels.toString();
    }

    /** @return the --help text */
    public static String usage() {
        StringBuilder text = new StringBuilder();
        text.append("usage: java -jar handoff-examples.jar web-swap [--mode=MODE] [--swaps=N] [--clients=C]"
                + " [--seconds=S]\n                                                [--client=http1|h2c] [--report=FILE]\n\n");
        text.append("Swaps a Jetty server under load N times and counts every failed request. The clients never\n"
                + "retry: each failed attempt counts once and is classified as refused, reset, eof_reused (EOF on a\n"
                + "reused keep-alive connection), eof_fresh (EOF on a new connection), timeout, non_2xx or other.\n"
                + "Three clients in four keep their connection alive, the fourth opens one per request; one\n"
                + "request in five is slow (5-50 ms of server work). After a failure a client closes its\n"
                + "connection and pauses 10 ms before its next request. One more client sends, as every fourth\n"
                + "request, a probe counted apart (never in requests or failed): alternately a CONNECT (then it\n"
                + "closes its connection) and a GET with forged X-Forwarded-For, X-Forwarded-Host and Forwarded\n"
                + "headers; its other requests count as usual. Everything listens on 127.0.0.1 only.\n\n");
        text.append("options:\n");
        text.append("  --mode=MODE     all (default), or a comma-separated list of:\n");
        for (Mode mode : Mode.values()) {
            text.append(String.format("                    %-15s %s%n", mode.label(), mode.description()));
        }
        text.append("  --swaps=N       swaps per mode, spread evenly over the run (0.." + MAX_SWAPS + ", default 5)\n");
        text.append("  --clients=C     concurrent clients (1.." + MAX_CLIENTS + ", default 8)\n");
        text.append("  --seconds=S     duration of each mode's run in seconds (1.." + MAX_SECONDS
                + ", default 40)\n");
        text.append("  --client=KIND   http1 (default): the raw-socket clients above; h2c: the clients share one\n"
                + "                  Jetty HttpClient over HTTP/2 cleartext, their requests concurrent streams of one\n"
                + "                  connection (modes proxy and reuseport only; no probing client)\n");
        text.append("  --report=FILE   write one HTML page for the whole run: each handoff swap's seven steps per\n"
                + "                  instance, the request rate and every failure over time, work in flight\n");
        text.append("  --help          this text\n\n");
        text.append("output, one line per mode, then the failures by kind:\n");
        text.append("  RESULT mode=MODE swaps=N requests=R failed=F p50_ms=.. p99_ms=.. p99_during_swap_ms=.."
                + " p99_steady_ms=..\n");
        text.append("  FAILURES mode=MODE refused=.. reset=.. eof_reused=.. eof_fresh=.. timeout=.. non_2xx=.."
                + " other=..\n");
        text.append("  PROBES mode=MODE connect_<status>=.. forged_forwarding_<status>=.. (<status> or failed)\n");
        text.append("Latencies are over successful requests; during_swap counts the requests that overlap a swap,\n");
        text.append("steady the others.\n");
        text.append("The haproxy mode needs /usr/sbin/haproxy (apt-get install -y haproxy).\n");
        text.append("Exit status: 0 when every mode ran all its swaps, 1 when a mode or a swap failed (on stderr),\n"
                + "2 on a bad option.\n");
        return text.toString();
    }
}
