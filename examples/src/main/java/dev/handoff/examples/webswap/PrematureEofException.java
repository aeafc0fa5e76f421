package dev.handoff.examples.webswap;

import java.io.IOException;

/** The server closed the connection before the whole response arrived (an orderly FIN, not a reset). */
public final class PrematureEofException extends IOException {
    private static final long serialVersionUID = 1L;

    /** @param message where in the response the connection ended */
    public PrematureEofException(String message) {
        super(message);
    }
}
