package dev.handoff.examples.webswap;

import java.util.Arrays;
import java.util.Optional;

/** How the server is replaced during a web-swap run. */
public enum Mode {
    /** Baseline: stop the old server, then start the new one on the same port. */
    NAIVE("naive", "stop the old server, then start the new one on the same port"),
    /** Baseline: Jetty's GracefulHandler and a stop timeout, then start the new server on the same port. */
    JETTY_GRACEFUL("jetty-graceful", "Jetty GracefulHandler + stop timeout, then start the new server"),
    /** handoff: the embedded front proxy on the public port. */
    PROXY("proxy", "handoff: embedded front proxy (ProxyRouter)"),
    /** handoff: the public listening socket handed from the old server to the new one. */
    REUSEPORT("reuseport", "handoff: shared port (SharedPortRouter)"),
    /** handoff: a real haproxy driven through its Runtime API. */
    HAPROXY("haproxy", "handoff: real haproxy driven through its Runtime API (HaproxyRouter)");

    private final String label;
    private final String description;

    Mode(String label, String description) {
        this.label = label;
        this.description = description;
    }

    /** @return the name used on the command line and in the RESULT line */
    public String label() {
        return label;
    }

    /** @return a one-line description for --help */
    public String description() {
        return description;
    }

    /**
     * @param label a command-line name
     * @return the mode of that name
     */
    public static Optional<Mode> byLabel(String label) {
        return Arrays.stream(values()).filter(mode -> mode.label.equals(label)).findFirst();
    }
}
