package dev.handoff.jetty.haproxy;

import dev.handoff.jetty.internal.Addresses;
import dev.handoff.jetty.internal.Checks;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.net.Inet6Address;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.net.UnknownHostException;
import java.nio.ByteBuffer;
import java.nio.channels.SelectionKey;
import java.nio.channels.Selector;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.regex.Pattern;

/**
 * A small client of HAProxy's Runtime API over its admin socket ({@code stats socket <path> level admin}): one
 * command per connection, each bounded by the timeout given at creation. Every name is validated before it is
 * sent, so that no command can be smuggled in through a backend or server name.
 *
 * <p>Commands that HAProxy answers with an empty text on success ({@code enable server}, {@code set server})
 * throw a {@link HaproxyException} quoting the command and HAProxy's answer when the answer is not empty.
 *
 * <p>Thread-safe: it holds no connection between calls.
 */
public final class HaproxyRuntimeApi {

    /** HAProxy's own rule for proxy and server names: letters, digits, '-', '_', '.' and ':'. */
    private static final Pattern NAME = Pattern.compile("[A-Za-z0-9_.:-]{1,64}");
    private static final String SERVER_ADDED = "New server registered.";
    private static final String SERVER_DELETED = "Server deleted.";
    private static final String SERVER_BUSY = "Server still has connections attached to it";
    private static final String SERVER_NOT_IN_MAINTENANCE = "Only servers in maintenance mode can be deleted.";
    /** An IPv4 or IPv6 literal: digits and dots, or hex digits and colons; never a host name to resolve. */
    private static final Pattern IP_LITERAL = Pattern.compile("[0-9.]+|[0-9A-Fa-f:.]*:[0-9A-Fa-f:.]*");
    private static final int MAX_ANSWER_BYTES = 16 * 1024 * 1024;

    private final Path socket;
    private final Duration timeout;

    private HaproxyRuntimeApi(Path socket, Duration timeout) {
        this.socket = socket;
        this.timeout = timeout;
    }

    /**
     * @param socket  the admin socket ({@code stats socket ... level admin})
     * @param timeout the bound on each command, connection included
     * @return a client; nothing is connected until the first command
     * @throws NullPointerException     when an argument is null
     * @throws IllegalArgumentException when {@code timeout} is not positive
     */
    public static HaproxyRuntimeApi create(Path socket, Duration timeout) {
        Objects.requireNonNull(socket, "socket must not be null");
        Checks.positive("timeout", timeout);
        return new HaproxyRuntimeApi(socket, timeout);
    }

    /** @return the admin socket this client talks to */
    public Path socket() {
        return socket;
    }

    /** @return the bound on each command */
    public Duration timeout() {
        return timeout;
    }

    /**
     * Checks a backend or server name against HAProxy's naming rule, which also keeps command separators
     * (space, ';', newline) out of the commands built from it.
     *
     * @param field the name of the argument, for the message
     * @param value the name to check
     * @return {@code value}
     * @throws NullPointerException     when {@code value} is null
     * @throws IllegalArgumentException when {@code value} is not a valid HAProxy name
     */
    public static String requireValidName(String field, String value) {
        Objects.requireNonNull(value, () -> field + " must not be null");
        if (!NAME.matcher(value).matches()) {
            throw new IllegalArgumentException(field + " must be 1 to 64 characters among [A-Za-z0-9_.:-], but was '"
                    + value.replace("\n", "\\n").replace("\r", "\\r") + "'");
        }
        return value;
    }

    /**
     * Sends one command and returns HAProxy's whole answer.
     *
     * @param command one Runtime API command, without line break or ';'
     * @return the answer, as text
     * @throws IllegalArgumentException when the command holds a line break or a ';'
     * @throws HaproxyException         when the socket cannot be reached or the answer does not arrive in time
     */
    public String execute(String command) {
        Objects.requireNonNull(command, "command must not be null");
        if (command.isBlank() || command.indexOf('\n') >= 0 || command.indexOf('\r') >= 0
                || command.indexOf(';') >= 0) {
            throw new IllegalArgumentException("command must be one non-blank line without ';', but was '"
                    + command.replace("\n", "\\n").replace("\r", "\\r") + "'");
        }
        long deadline = System.nanoTime() + timeout.toNanos();
        try (SocketChannel channel = SocketChannel.open(StandardProtocolFamily.UNIX);
             Selector selector = Selector.open()) {
            channel.configureBlocking(false);
            if (!channel.connect(UnixDomainSocketAddress.of(socket))) {
                channel.register(selector, SelectionKey.OP_CONNECT);
                awaitReady(selector, deadline, command);
                channel.finishConnect();
            }
            ByteBuffer request = ByteBuffer.wrap((command + "\n").getBytes(StandardCharsets.US_ASCII));
            SelectionKey key = channel.register(selector, SelectionKey.OP_WRITE);
            while (request.hasRemaining()) {
                if (channel.write(request) == 0) {
                    awaitReady(selector, deadline, command);
                }
            }
            key.interestOps(SelectionKey.OP_READ);
            ByteArrayOutputStream answer = new ByteArrayOutputStream();
            ByteBuffer buffer = ByteBuffer.allocate(16 * 1024);
            while (true) {
                int read = channel.read(buffer);
                if (read < 0) {
                    return answer.toString(StandardCharsets.UTF_8);
                }
                if (read == 0) {
                    awaitReady(selector, deadline, command);
                    continue;
                }
                answer.write(buffer.array(), 0, buffer.position());
                buffer.clear();
                if (answer.size() > MAX_ANSWER_BYTES) {
                    throw new HaproxyException("'" + command + "' on " + socket + ": answer longer than "
                            + MAX_ANSWER_BYTES + " bytes");
                }
            }
        } catch (IOException e) {
            throw new HaproxyException("'" + command + "' on " + socket + " failed: " + e, e);
        }
    }

    private void awaitReady(Selector selector, long deadline, String command) throws IOException {
        long remaining = deadline - System.nanoTime();
        if (remaining <= 0) {
            throw new HaproxyException("'" + command + "' on " + socket + ": no answer within " + timeout);
        }
        selector.select(Math.max(1, TimeUnit.NANOSECONDS.toMillis(remaining)));
        selector.selectedKeys().clear();
    }

    /**
     * {@code add server <backend>/<server> <address>[ check]}: the server is created in maintenance.
     *
     * @param backend     the backend, which must use a dynamic balance algorithm
     * @param server      the new server's name, unique in the backend
     * @param address     an IP address and port, resolved or an unresolved IP literal (HAProxy does not resolve
     *                    the names of dynamic servers)
     * @param healthCheck whether the server gets a health check (enable it with {@link #enableHealth})
     * @throws IllegalArgumentException when a name is invalid or the address is unresolved
     * @throws HaproxyException         when HAProxy refuses, quoting its answer
     */
    public void addServer(String backend, String server, InetSocketAddress address, boolean healthCheck) {
        String reference = reference(backend, server);
        InetAddress ip = ipAddress(Objects.requireNonNull(address, "address must not be null"));
        String host = ip.getHostAddress();
        String target = (ip instanceof Inet6Address ? "ipv6@" + host : host) + ":" + address.getPort();
        String command = "add server " + reference + " " + target + (healthCheck ? " check" : "");
        expectAnswer(command, SERVER_ADDED);
    }

    /** HAProxy does not resolve the names of dynamic servers: only IP literals are accepted, never looked up. */
    private static InetAddress ipAddress(InetSocketAddress address) {
        if (!address.isUnresolved()) {
            return address.getAddress();
        }
        String host = address.getHostString();
        if (IP_LITERAL.matcher(host).matches()) {
            try {
                return InetAddress.getByName(host);
            } catch (UnknownHostException e) {
                throw new IllegalArgumentException("address must be an IP address and port, but was " + Addresses.text(address), e);
            }
        }
        throw new IllegalArgumentException("address must be an IP address and port, but was " + Addresses.text(address));
    }

    /**
     * {@code enable server <backend>/<server>}: out of maintenance.
     *
     * @param backend the backend
     * @param server  the server
     * @throws HaproxyException when HAProxy refuses, quoting its answer
     */
    public void enableServer(String backend, String server) {
        expectEmptyAnswer("enable server " + reference(backend, server));
    }

    /**
     * {@code enable health <backend>/<server>}: starts the health check of a server added with one.
     *
     * @param backend the backend
     * @param server  the server
     * @throws HaproxyException when HAProxy refuses, quoting its answer
     */
    public void enableHealth(String backend, String server) {
        expectEmptyAnswer("enable health " + reference(backend, server));
    }

    /**
     * {@code set server <backend>/<server> state ready|drain|maint}.
     *
     * @param backend the backend
     * @param server  the server
     * @param state   the administrative state to force
     * @throws HaproxyException when HAProxy refuses, quoting its answer
     */
    public void setServerState(String backend, String server, ServerAdminState state) {
        Objects.requireNonNull(state, "state must not be null");
        expectEmptyAnswer("set server " + reference(backend, server) + " state " + state.keyword());
    }

    /**
     * {@code del server <backend>/<server>}.
     *
     * @param backend the backend
     * @param server  the server, in maintenance
     * @return true when the server was deleted; false when HAProxy refused because it still has sessions, queued
     *     requests or idle connections (try again later)
     * @throws HaproxyException when HAProxy refuses for another reason (not in maintenance, no such server),
     *                          quoting its answer
     */
    public boolean deleteServer(String backend, String server) {
        String command = "del server " + reference(backend, server);
        String answer = execute(command).strip();
        if (answer.equals(SERVER_DELETED)) {
            return true;
        }
        if (answer.startsWith(SERVER_BUSY)) {
            return false;
        }
        if (answer.equals(SERVER_NOT_IN_MAINTENANCE)) {
            throw new HaproxyException("'" + command + "' refused: server is not in maintenance; HAProxy said: '"
                    + answer + "'");
        }
        throw unexpected(command, answer);
    }

    /**
     * {@code show stat <backend> 4 -1}: the servers of one backend.
     *
     * @param backend the backend
     * @return one row per server, in HAProxy's order
     * @throws HaproxyException when HAProxy refuses or the CSV lacks a needed column, quoting its answer
     */
    public List<ServerStat> showStat(String backend) {
        requireValidName("backend", backend);
        String command = "show stat " + backend + " 4 -1";
        String answer = execute(command);
        if (!answer.startsWith("# ")) {
            throw unexpected(command, answer.strip());
        }
        String[] lines = answer.split("\n");
        List<String> header = splitCsv(lines[0].substring(2));
        List<ServerStat> stats = new ArrayList<>();
        for (int i = 1; i < lines.length; i++) {
            if (lines[i].isBlank()) {
                continue;
            }
            Map<String, String> row = zip(header, splitCsv(lines[i]));
            stats.add(new ServerStat(row.get("pxname"), row.get("svname"), field(command, row, "status"),
                    row.getOrDefault("check_status", ""),
                    number(command, row, "qcur"), number(command, row, "scur"), number(command, row, "stot"),
                    number(command, row, "idle_conn_cur") + number(command, row, "safe_conn_cur")));
        }
        return stats;
    }

    /**
     * @param backend the backend
     * @param server  the server
     * @return the server's row of {@code show stat}, or empty when the backend has no such server
     * @throws HaproxyException when HAProxy refuses, quoting its answer
     */
    public Optional<ServerStat> serverStat(String backend, String server) {
        requireValidName("server", server);
        return showStat(backend).stream().filter(stat -> stat.server().equals(server)).findFirst();
    }

    /**
     * {@code show servers state <backend>}: the state dump HAProxy can reload from, one map per server keyed by
     * the column names of the dump ({@code srv_name}, {@code srv_op_state}, {@code srv_admin_state}...).
     *
     * @param backend the backend
     * @return one map per server
     * @throws HaproxyException when HAProxy refuses, quoting its answer
     */
    public List<Map<String, String>> showServersState(String backend) {
        requireValidName("backend", backend);
        String command = "show servers state " + backend;
        String answer = execute(command);
        String[] lines = answer.split("\n");
        if (lines.length < 2 || !lines[1].startsWith("# ")) {
            throw unexpected(command, answer.strip());
        }
        List<String> header = List.of(lines[1].substring(2).trim().split(" "));
        List<Map<String, String>> servers = new ArrayList<>();
        for (int i = 2; i < lines.length; i++) {
            if (!lines[i].isBlank() && !lines[i].startsWith("#")) {
                servers.add(zip(header, List.of(lines[i].trim().split(" "))));
            }
        }
        return servers;
    }

    private static String reference(String backend, String server) {
        return requireValidName("backend", backend) + "/" + requireValidName("server", server);
    }

    private void expectAnswer(String command, String expected) {
        String answer = execute(command).strip();
        if (!answer.equals(expected)) {
            throw unexpected(command, answer);
        }
    }

    private void expectEmptyAnswer(String command) {
        String answer = execute(command).strip();
        if (!answer.isEmpty()) {
            throw unexpected(command, answer);
        }
    }

    private HaproxyException unexpected(String command, String answer) {
        return new HaproxyException("'" + command + "' refused by HAProxy at " + socket + ": '" + answer + "'");
    }

    private static Map<String, String> zip(List<String> header, List<String> values) {
        Map<String, String> row = new HashMap<>();
        for (int i = 0; i < header.size() && i < values.size(); i++) {
            row.put(header.get(i), values.get(i));
        }
        return row;
    }

    private static String field(String command, Map<String, String> row, String name) {
        String value = row.get(name);
        if (value == null) {
            throw new HaproxyException("'" + command + "': no column '" + name + "' in HAProxy's answer");
        }
        return value;
    }

    private static long number(String command, Map<String, String> row, String name) {
        String value = field(command, row, name);
        if (value.isEmpty()) {
            return 0;
        }
        try {
            return Long.parseLong(value);
        } catch (NumberFormatException e) {
            throw new HaproxyException("'" + command + "': column '" + name + "' is not a number: '" + value + "'",
                    e);
        }
    }

    /** Splits one CSV line as HAProxy writes it: fields holding a comma or a quote are quoted, quotes doubled. */
    static List<String> splitCsv(String line) {
        List<String> fields = new ArrayList<>();
        StringBuilder field = new StringBuilder();
        boolean quoted = false;
        for (int i = 0; i < line.length(); i++) {
            char c = line.charAt(i);
            if (quoted) {
                if (c == '"' && i + 1 < line.length() && line.charAt(i + 1) == '"') {
                    field.append('"');
                    i++;
                } else if (c == '"') {
                    quoted = false;
                } else {
                    field.append(c);
                }
            } else if (c == '"') {
                quoted = true;
            } else if (c == ',') {
                fields.add(field.toString());
                field.setLength(0);
            } else {
                field.append(c);
            }
        }
        fields.add(field.toString());
        return fields;
    }
}
