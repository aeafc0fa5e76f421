package dev.handoff.jetty;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;

/**
 * A backend over plain sockets, for tests that need a server's connection behaviour Jetty would not show: it
 * answers {@code GET /bad} with 400 and closes the connection without a {@code Connection: close} header (as a
 * server does with a request it cannot read), and any other request with 200 {@code ok}, keeping the connection.
 * Requests must have no body.
 */
final class RawHttpBackend implements AutoCloseable {

    private final ServerSocket listener;

    RawHttpBackend() throws IOException {
        listener = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
        Thread acceptor = new Thread(this::accept, "raw-backend");
        acceptor.setDaemon(true);
        acceptor.start();
    }

    InetSocketAddress address() {
        return new InetSocketAddress("127.0.0.1", listener.getLocalPort());
    }

    private void accept() {
        while (!listener.isClosed()) {
            try {
                Socket socket = listener.accept();
                Thread connection = new Thread(() -> serve(socket), "raw-backend-connection");
                connection.setDaemon(true);
                connection.start();
            } catch (IOException closed) {
                return;
            }
        }
    }

    private static void serve(Socket socket) {
        try (socket) {
            InputStream in = socket.getInputStream();
            OutputStream out = socket.getOutputStream();
            for (String head = readHead(in); head != null; head = readHead(in)) {
                if (head.startsWith("GET /bad ")) {
                    out.write("HTTP/1.1 400 Bad Request\r\nContent-Length: 3\r\n\r\nbad"
                            .getBytes(StandardCharsets.US_ASCII));
                    out.flush();
                    return;
                }
                out.write("HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok".getBytes(StandardCharsets.US_ASCII));
                out.flush();
            }
        } catch (IOException gone) {
            // The proxy closed the connection.
        }
    }

    /** @return the request head up to the empty line, or null at the end of the stream */
    private static String readHead(InputStream in) throws IOException {
        ByteArrayOutputStream head = new ByteArrayOutputStream();
        int matched = 0;
        for (int next = in.read(); next != -1; next = in.read()) {
            head.write(next);
            matched = next == "\r\n\r\n".charAt(matched) ? matched + 1 : (next == '\r' ? 1 : 0);
            if (matched == 4) {
                return head.toString(StandardCharsets.US_ASCII);
            }
        }
        return null;
    }

    @Override
    public void close() throws IOException {
        listener.close();
    }
}
