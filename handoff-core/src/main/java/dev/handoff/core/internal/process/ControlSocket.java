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
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
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
 * <p>The folder is removed on every path: when the child connects, when the child ends before it connected (the
 * owner closes the socket then), and when this JVM shuts down with sockets still open ({@link #closeAll()}, called
 * by the hook that destroys the children). Only a parent killed without running hooks leaves one behind; the
 * child's agent then removes it when it finds nobody listening.
 *
 * <p>Thread-safety: {@link #accept()} by one thread; {@link #close()} from any thread, idempotent, and it ends a
 * blocked {@code accept}.
 */
public final class ControlSocket implements AutoCloseable {

    /** The socket folder's name starts with this; the child's agent checks it before removing a dead socket. */
    public static final String FOLDER_PREFIX = "handoff-";
    /** The socket's file name in its folder. */
    public static final String SOCKET_NAME = "control.sock";

    private static final SecureRandom RANDOM = new SecureRandom();
    private static final Set<ControlSocket> OPEN = ConcurrentHashMap.newKeySet();

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
            folder = Files.createTempDirectory(parentFolder, FOLDER_PREFIX,
                    PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwx------")));
        } catch (UnsupportedOperationException e) {
            throw new IOException("cannot create a private folder (mode 0700) in " + parentFolder
                    + ": the file system has no POSIX permissions", e);
        }
        Path path = folder.resolve(SOCKET_NAME);
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
        ControlSocket socket = new ControlSocket(folder, path, server, HexFormat.of().formatHex(token)
                .getBytes(StandardCharsets.US_ASCII));
        OPEN.add(socket);
        return socket;
    }

    /** Closes every socket of this JVM still open, removing their folders; for the JVM's shutdown. */
    public static void closeAll() {
        List.copyOf(OPEN).forEach(ControlSocket::close);
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
        if (closed.compareAndSet(false, true)) {
            try {
                server.close();
            } catch (IOException e) {
                // The descriptor is released regardless; the files are removed below.
            }
        }
        // Every call removes the files, and the socket leaves OPEN only once they are gone: a close racing with the
        // JVM's end (a child's exit handled on a daemon thread) cannot leave them behind, since closeAll() in the
        // shutdown hook still finds the socket and removes them itself.
        try {
            Files.deleteIfExists(path);
            Files.deleteIfExists(folder);
        } catch (IOException e) {
            // A leftover empty private folder in the temporary folder harms nobody; keep closing.
        }
        OPEN.remove(this);
    }
}
