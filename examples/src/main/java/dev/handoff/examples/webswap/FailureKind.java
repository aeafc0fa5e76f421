package dev.handoff.examples.webswap;

import java.io.IOException;
import java.net.ConnectException;
import java.net.SocketException;
import java.net.SocketTimeoutException;
import java.util.Locale;

/** Why one request attempt failed, as seen by a client that never retries. */
public enum FailureKind {
    /** The connection was refused: nothing listened on the port. */
    REFUSED,
    /** The connection was reset (RST), or a write hit a closed connection (broken pipe). */
    RESET,
    /** The server closed a keep-alive connection that had already carried a request, before answering this one. */
    EOF_REUSED,
    /** The server closed a new connection before answering its first request. */
    EOF_FRESH,
    /** No connection or no answer within the client's timeout. */
    TIMEOUT,
    /** An answer arrived, with a status other than 2xx (a 503 from a shutting-down server, a 502 from a proxy). */
    NON_2XX,
    /** Any other I/O failure. */
    OTHER;

    /** @return the name printed in the breakdown line, e.g. {@code eof_reused} */
    public String label() {
        return name().toLowerCase(Locale.ROOT);
    }

    /**
     * Classifies a failed attempt. Pure function: the same inputs always give the same kind.
     *
     * @param failure          what the client caught
     * @param reusedConnection whether the attempt was sent on a connection that had already carried a request
     * @return the kind of failure
     */
    public static FailureKind classify(IOException failure, boolean reusedConnection) {
        if (failure instanceof SocketTimeoutException) {
            return TIMEOUT;
        }
        if (failure instanceof ConnectException) {
            String message = String.valueOf(failure.getMessage()).toLowerCase(Locale.ROOT);
            return message.contains("timed out") ? TIMEOUT : REFUSED;
        }
        if (failure instanceof PrematureEofException) {
            return reusedConnection ? EOF_REUSED : EOF_FRESH;
        }
        if (failure instanceof SocketException) {
            String message = String.valueOf(failure.getMessage()).toLowerCase(Locale.ROOT);
            if (message.contains("reset") || message.contains("broken pipe")) {
                return RESET;
            }
        }
        return OTHER;
    }
}
