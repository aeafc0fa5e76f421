package dev.handoff.core.internal.journal;

import java.io.IOException;
import java.nio.file.Path;

/**
 * A journal file is damaged where recovery must not guess: before its last frame, in a snapshot, in a file's header,
 * or in the chain of sequence numbers. The message names the file and the byte offset; the directory is left as it
 * was, for a person to look at.
 */
public final class JournalCorruptedException extends IOException {

    private static final long serialVersionUID = 1L;

    /** The file, kept as a string: {@link Path} is not serializable. */
    private final String file;
    private final long offset;

    /**
     * @param file   the damaged file
     * @param offset the offset in bytes of the damaged frame or field
     * @param reason what is wrong there
     */
    public JournalCorruptedException(Path file, long offset, String reason) {
        super("journal file " + file + " is corrupt at offset " + offset + ": " + reason);
        this.file = file.toString();
        this.offset = offset;
    }

    /** @return the damaged file */
    public Path file() {
        return Path.of(file);
    }

    /** @return the offset in bytes, from the start of the file, of the damaged frame or field */
    public long offset() {
        return offset;
    }
}
