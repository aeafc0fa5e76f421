package dev.handoff.examples.webswap;

import java.io.BufferedInputStream;
import java.io.Closeable;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Locale;

/**
 * One HTTP/1.1 connection over a plain socket, for a load client that must see every failure: it never retries
 * and never reconnects by itself, so a failed attempt surfaces as the exact {@link IOException} (refused, reset,
 * EOF, timeout) that {@link FailureKind#classify} sorts. Common HTTP clients retry some of these silently
 * (the JDK's {@code HttpClient} resends an idempotent request once when a pooled connection turns out closed),
 * which would hide the failures this tool measures.
 *
 * <p>Not thread-safe: one client thread owns it.
 */
final class RawHttpConnection implements Closeable {

    private final Socket socket;
    private final InputStream in;
    private final OutputStream out;
    private final StringBuilder line = new StringBuilder(64);
    private int exchanges;
    private boolean closeRequested;

    private RawHttpConnection(Socket socket) throws IOException {
        this.socket = socket;
        this.in = new BufferedInputStream(socket.getInputStream(), 4096);
        this.out = socket.getOutputStream();
    }

    /**
     * @param address        where to connect
     * @param connectTimeout the bound on the connection
     * @param readTimeout    the bound on each read of a response
     * @return an open connection
     * @throws IOException when the connection fails (refused, timed out)
     */
    static RawHttpConnection open(InetSocketAddress address, Duration connectTimeout, Duration readTimeout)
            throws IOException {
        Socket socket = new Socket();
        try {
            socket.setTcpNoDelay(true);
            socket.connect(address, (int) connectTimeout.toMillis());
            socket.setSoTimeout((int) readTimeout.toMillis());
            return new RawHttpConnection(socket);
        } catch (IOException e) {
            socket.close();
            throw e;
        }
    }

    /** @return whether this connection has already carried a request */
    boolean isReused() {
        return exchanges > 0;
    }

    /** @return whether another request may be sent: the server did not ask to close and the socket is open */
    boolean isUsable() {
        return !closeRequested && !socket.isClosed();
    }

    /**
     * Sends {@code GET path} and reads the whole response.
     *
     * @param path        the request target
     * @param lastRequest whether to send {@code Connection: close}
     * @return the response status
     * @throws IOException          when the exchange fails; the connection must then be closed
     * @throws PrematureEofException when the server closes the connection before the response is complete
     */
    int exchange(String path, boolean lastRequest) throws IOException {
        return exchange("GET", path, "Host: 127.0.0.1\r\n", lastRequest);
    }

    /**
     * Sends one request and reads the whole response (none after a 2xx to {@code CONNECT}: the connection is then
     * a tunnel, marked for closing).
     *
     * @param method      the method
     * @param target      the request target
     * @param headers     the header lines, each ending with CRLF, the Host header included
     * @param lastRequest whether to send {@code Connection: close}
     * @return the response status
     * @throws IOException when the exchange fails; the connection must then be closed
     */
    int exchange(String method, String target, String headers, boolean lastRequest) throws IOException {
        String request = method + " " + target + " HTTP/1.1\r\n" + headers
                + (lastRequest ? "Connection: close\r\n" : "") + "\r\n";
        exchanges++;
        out.write(request.getBytes(StandardCharsets.US_ASCII));
        out.flush();
        String statusLine = readLine("status line");
        if (!statusLine.startsWith("HTTP/1.") || statusLine.length() < 12) {
            throw new IOException("malformed status line: '" + statusLine + "'");
        }
        int status = parseStatus(statusLine);
        long contentLength = -1;
        boolean chunked = false;
        boolean close = lastRequest || statusLine.startsWith("HTTP/1.0");
        for (String header = readLine("headers"); !header.isEmpty(); header = readLine("headers")) {
            int colon = header.indexOf(':');
            if (colon <= 0) {
                throw new IOException("malformed header: '" + header + "'");
            }
            String name = header.substring(0, colon).trim().toLowerCase(Locale.ROOT);
            String value = header.substring(colon + 1).trim().toLowerCase(Locale.ROOT);
            switch (name) {
                case "content-length" -> contentLength = Long.parseLong(value);
                case "transfer-encoding" -> chunked = value.contains("chunked");
                case "connection" -> close |= value.contains("close");
                default -> { }
            }
        }
        if (method.equals("CONNECT") && status >= 200 && status < 300) {
            close = true;
        } else if (chunked) {
            readChunkedBody();
        } else if (contentLength >= 0) {
            skipExactly(contentLength);
        } else {
            close = true;
            while (in.read() >= 0) {
                // a body delimited by the end of the connection
            }
        }
        closeRequested = close;
        return status;
    }

    private static int parseStatus(String statusLine) throws IOException {
        try {
            return Integer.parseInt(statusLine.substring(9, 12));
        } catch (NumberFormatException e) {
            throw new IOException("malformed status line: '" + statusLine + "'", e);
        }
    }

    private void readChunkedBody() throws IOException {
        while (true) {
            String sizeLine = readLine("chunk size");
            int extension = sizeLine.indexOf(';');
            long size = Long.parseLong((extension >= 0 ? sizeLine.substring(0, extension) : sizeLine).trim(), 16);
            if (size == 0) {
                for (String trailer = readLine("trailer"); !trailer.isEmpty(); trailer = readLine("trailer")) {
                    // trailers are not used
                }
                return;
            }
            skipExactly(size);
            readLine("chunk end");
        }
    }

    private void skipExactly(long count) throws IOException {
        for (long remaining = count; remaining > 0; remaining--) {
            if (in.read() < 0) {
                throw new PrematureEofException("connection closed with " + remaining + " body bytes missing");
            }
        }
    }

    private String readLine(String where) throws IOException {
        line.setLength(0);
        while (true) {
            int b = in.read();
            if (b < 0) {
                throw new PrematureEofException("connection closed in the " + where);
            }
            if (b == '\n') {
                int length = line.length();
                if (length > 0 && line.charAt(length - 1) == '\r') {
                    line.setLength(length - 1);
                }
                return line.toString();
            }
            line.append((char) b);
        }
    }

    @Override
    public void close() throws IOException {
        socket.close();
    }
}
