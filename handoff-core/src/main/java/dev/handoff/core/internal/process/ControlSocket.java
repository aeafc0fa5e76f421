package dev.handoff.core.internal.process;

import java.io.IOException;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.MessageDigest;
import java.security.SecureRandom;
import java.util.HexFormat;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * The parent's end of one child's control channel before the child connects: a Unix domain socket in a fresh
 * folder that only the current user can enter (mode 0700), and a random token the child must present.
 *
 * <p>Nothing on the network can reach a Unix domain socket, the folder's mode keeps other users out, and the
 * token (passed to the child in its environment) keeps out other processes of the same user that might find the
 * path. The parent accepts exactly one connection, then {@link #close()} removes the socket and its folder, so
 * nobody can connect afterwards.
 *
 * <p>Thread-safety: {@link #accept()} by one thread; {@link #close()} from any thread, idempotent, and it ends a
 * blocked {@code accept}.
 */
public final class ControlSocket implements AutoCloseable {

    private static final SecureRandom RANDOM = new SecureRandom();

    private final Path folder;
    private final Path path;
    private final ServerSocketChannel server;
    private final byte[] token;
    private final AtomicBoolean closed = new AtomicBoolean();

    private ControlSocket(Path folder, Path path, ServerSocketChannel server, byte[] token) {
        this.folder = folder;
        this.path = path;
        this.server = server;
        this.token = token;
    }

    /**
     * @param parentFolder where to create the private folder, e.g. {@code java.io.tmpdir}
     * @return a bound socket waiting for the child
     * @throws IOException when the folder or the socket cannot be created (also on a file system without POSIX
     *                     permissions: the channel must stay private)
     */
    public static ControlSocket open(Path parentFolder) throws IOException {
        Path folder;
        try {
            folder = Files.createTempDirectory(parentFolder, "handoff-",
                    PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwx------")));
        } catch (UnsupportedOperationException e) {
            throw new IOException("cannot create a private folder (mode 0700) in " + parentFolder
                    + ": the file system has no POSIX permissions", e);
        }
        Path path = folder.resolve("control.sock");
        ServerSocketChannel server = ServerSocketChannel.open(StandardProtocolFamily.UNIX);
        try {
            server.bind(UnixDomainSocketAddress.of(path), 1);
        } catch (IOException | RuntimeException e) {
            server.close();
            Files.deleteIfExists(folder);
            throw e;
        }
        byte[] token = new byte[32];
        RANDOM.nextBytes(token);
        return new ControlSocket(folder, path, server, HexFormat.of().formatHex(token)
                .getBytes(StandardCharsets.US_ASCII));
    }

    /** @return the socket's path, for the child's {@link Protocol#SOCKET_ENV} */
    public Path path() {
        return path;
    }

    /** @return the token, for the child's {@link Protocol#TOKEN_ENV} */
    public String token() {
        return new String(token, StandardCharsets.US_ASCII);
    }

    /**
     * @param presented the token a child sent
     * @return whether it is this socket's token; compared in constant time
     */
    public boolean tokenMatches(String presented) {
        return MessageDigest.isEqual(token, presented.getBytes(StandardCharsets.US_ASCII));
    }

    /**
     * Waits for the child to connect; ended by {@link #close()}.
     *
     * @return the connection, in blocking mode
     * @throws IOException when the socket was closed or failed
     */
    public SocketChannel accept() throws IOException {
        return server.accept();
    }

    /** Stops listening and deletes the socket and its folder. Idempotent. */
    @Override
    public void close() {
        if (!closed.compareAndSet(false, true)) {
            return;
        }
        try {
            server.close();
        } catch (IOException e) {
            // The descriptor is released regardless; the files are removed below.
        }
        try {
            Files.deleteIfExists(path);
            Files.deleteIfExists(folder);
        } catch (IOException e) {
            // A leftover empty private folder in the temporary folder harms nobody; keep closing.
        }
    }
}
