package dev.handoff.core.internal.process;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.CharBuffer;
import java.nio.channels.SocketChannel;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CharsetDecoder;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.Objects;

/**
 * One end of the control channel: bounded UTF-8 lines over a connected, blocking {@link SocketChannel}.
 *
 * <p>It reads and writes the channel directly with byte buffers, not through {@code Channels.newInputStream}
 * and {@code newOutputStream}: on Java 17 both of those lock the channel's blocking lock, so a thread blocked
 * in a read would block every write. A socket channel has separate read and write locks, so one thread may read
 * while others write.
 *
 * <p>Thread-safety: {@link #readLine()} must be called by one thread at a time (the channel's reader);
 * {@link #writeLine(String)} may be called from any thread (writes are serialized).
 */
public final class LineChannel implements AutoCloseable {

    /**
     * How far a line may run past {@link Protocol#MAX_LINE_BYTES} without a terminator before the peer counts as
     * flooding ({@link EndlessLine}): 64 KiB.
     */
    public static final int MAX_DISCARDED_BYTES = 64 * 1024;

    private final SocketChannel channel;
    private final ByteBuffer input = ByteBuffer.allocate(4096).flip();
    private final byte[] line = new byte[Protocol.MAX_LINE_BYTES];
    private final CharsetDecoder decoder = StandardCharsets.UTF_8.newDecoder()
            .onMalformedInput(CodingErrorAction.REPORT)
            .onUnmappableCharacter(CodingErrorAction.REPORT);
    private final Object writeLock = new Object();

    /** @param channel a connected channel in blocking mode */
    public LineChannel(SocketChannel channel) {
        this.channel = Objects.requireNonNull(channel, "channel must not be null");
    }

    /**
     * Reads the next line, without its terminator ({@code \n}, or {@code \r\n}).
     *
     * @return the line, or {@code null} at the end of the stream (a last line without terminator is dropped)
     * @throws ProtocolViolation when the line is longer than {@link Protocol#MAX_LINE_BYTES}, is not valid
     *                           UTF-8 or holds a control character; the whole line has been consumed, so the
     *                           caller may report it and read on
     * @throws EndlessLine       when a line runs past {@link #MAX_DISCARDED_BYTES} without a terminator; the
     *                           channel is then unusable
     * @throws IOException       when the channel fails or is closed
     */
    public String readLine() throws IOException, ProtocolViolation {
        int length = 0;
        boolean tooLong = false;
        long discarded = 0;
        while (true) {
            if (!input.hasRemaining()) {
                input.clear();
                int read = channel.read(input);
                input.flip();
                if (read < 0) {
                    return null;
                }
                continue;
            }
            byte next = input.get();
            if (next == '\n') {
                if (tooLong) {
                    throw new ProtocolViolation("line longer than " + Protocol.MAX_LINE_BYTES + " bytes");
                }
                if (length > 0 && line[length - 1] == '\r') {
                    length--;
                }
                return decode(length);
            }
            if (length == line.length) {
                tooLong = true;
                if (++discarded > MAX_DISCARDED_BYTES) {
                    throw new EndlessLine("a line ran past " + MAX_DISCARDED_BYTES + " bytes without a terminator");
                }
            } else {
                line[length++] = next;
            }
        }
    }

    private String decode(int length) throws ProtocolViolation {
        String text;
        try {
            CharBuffer chars = decoder.reset().decode(ByteBuffer.wrap(line, 0, length));
            text = chars.toString();
        } catch (CharacterCodingException e) {
            throw new ProtocolViolation("line is not valid UTF-8");
        }
        for (int index = 0; index < text.length(); index++) {
            char character = text.charAt(index);
            if (Character.isISOControl(character)) {
                throw new ProtocolViolation("line holds control character U+"
                        + String.format("%04X", (int) character) + " at index " + index);
            }
        }
        return text;
    }

    /**
     * Writes one line and its terminator. The caller passes text made by {@link Protocol}, which keeps it within
     * the line bound and free of control characters.
     *
     * @param text the line, without terminator
     * @throws IOException when the channel fails or is closed
     */
    public void writeLine(String text) throws IOException {
        ByteBuffer bytes = StandardCharsets.UTF_8.encode(text + "\n");
        synchronized (writeLock) {
            while (bytes.hasRemaining()) {
                channel.write(bytes);
            }
        }
    }

    /** Closes the channel; a blocked {@link #readLine()} then ends with an exception. Idempotent. */
    @Override
    public void close() {
        try {
            channel.close();
        } catch (IOException e) {
            // Closing a socket channel releases the descriptor even when it reports an error: nothing to do.
        }
    }

    /** A line ran past {@link #MAX_DISCARDED_BYTES} without a terminator: the peer floods the channel. */
    public static final class EndlessLine extends IOException {
        private static final long serialVersionUID = 1L;

        /** @param message what was received */
        public EndlessLine(String message) {
            super(message);
        }
    }

    /** A line broke the framing rules; the line was consumed and the channel is still usable. */
    public static final class ProtocolViolation extends Exception {
        private static final long serialVersionUID = 1L;

        /** @param message what rule the line broke */
        public ProtocolViolation(String message) {
            super(message);
        }
    }
}
