package dev.handoff.core.internal.journal;

import java.io.Closeable;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.channels.OverlappingFileLockException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The exclusive hold of one orchestrator on a state directory: an OS file lock ({@link FileChannel#tryLock()}) on
 * the file {@value #FILE_NAME} in it, holding the holder's pid as text for the refusal message of the next one.
 * The OS releases the lock when the process dies, however it dies; the file stays (deleting it would let a second
 * process lock a new file while a third still holds the old one).
 *
 * <p>On Linux the lock is a POSIX record lock, owned by the process: closing <em>any</em> descriptor of the file in
 * this JVM releases it, and a second lock from this JVM is not refused by the OS. So the directories held by this
 * JVM are also kept in a JVM-wide set, checked before the file is opened, and nothing in this JVM may open the lock
 * file while it is held (tests included).
 *
 * <p>Not API. Thread-safe; {@link #close()} is idempotent.
 */
final class DirectoryLock implements Closeable {

    /** The lock file's name in the state directory. */
    static final String FILE_NAME = "lock";

    /** The real paths of the directories this JVM holds. */
    private static final Set<Path> HELD = ConcurrentHashMap.newKeySet();

    private final Path directory;
    private final FileChannel channel;
    private final FileLock lock;
    private boolean closed;

    private DirectoryLock(Path directory, FileChannel channel, FileLock lock) {
        this.directory = directory;
        this.channel = channel;
        this.lock = lock;
    }

    /**
     * Takes the directory, without waiting: a local-disk write (the pid), never a wait for the holder.
     *
     * @param directory an existing directory, given by its real path
     * @return the hold, to close when done
     * @throws IllegalStateException when this JVM or another process holds it; the message names the directory and
     *                               the holder's pid
     * @throws IOException           when the lock file cannot be opened or written
     */
    static DirectoryLock acquire(Path directory) throws IOException {
        if (!HELD.add(directory)) {
            throw refused(directory, Long.toString(ProcessHandle.current().pid()) + ", this JVM");
        }
        FileChannel channel = null;
        try {
            channel = FileChannel.open(directory.resolve(FILE_NAME), StandardOpenOption.CREATE,
                    StandardOpenOption.READ, StandardOpenOption.WRITE);
            FileLock lock;
            try {
                lock = channel.tryLock();
            } catch (OverlappingFileLockException e) {
                // something else in this JVM locked the file without going through this class
                throw refused(directory, ProcessHandle.current().pid() + ", this JVM");
            }
            if (lock == null) {
                throw refused(directory, holder(channel));
            }
            // Not forced: the pid is for the message of a refused opener, who reads it through the page cache.
            channel.truncate(0);
            Frames.writeFully(channel, ByteBuffer.wrap((ProcessHandle.current().pid() + "\n")
                    .getBytes(StandardCharsets.US_ASCII)), 0);
            return new DirectoryLock(directory, channel, lock);
        } catch (IOException | RuntimeException e) {
            if (channel != null) {
                try {
                    channel.close();
                } catch (IOException closing) {
                    e.addSuppressed(closing);
                }
            }
            HELD.remove(directory);
            throw e;
        }
    }

    /** Releases the lock and closes the file; the file stays. Idempotent. */
    @Override
    public synchronized void close() throws IOException {
        if (closed) {
            return;
        }
        closed = true;
        try {
            try {
                lock.release();
            } finally {
                channel.close();
            }
        } finally {
            HELD.remove(directory);
        }
    }

    private static String holder(FileChannel channel) {
        try {
            ByteBuffer buffer = ByteBuffer.allocate(32);
            channel.read(buffer, 0);
            String pid = new String(buffer.array(), 0, buffer.position(), StandardCharsets.US_ASCII).strip();
            return pid.isEmpty() ? "unknown: it has not written it yet" : pid;
        } catch (IOException e) {
            return "unknown: " + e.getMessage();
        }
    }

    private static IllegalStateException refused(Path directory, String pid) {
        return new IllegalStateException("state directory " + directory + " is locked by another orchestrator (pid "
                + pid + "): one orchestrator at a time may hold a group's journal");
    }
}
