package dev.handoff.jetty.haproxy;

import java.util.Locale;

/** The administrative states {@code set server <backend>/<server> state} accepts. */
public enum ServerAdminState {
    /** Normal mode: the server takes its share of new requests. */
    READY,
    /** Removed from load balancing; requests already running on it finish. */
    DRAIN,
    /** No traffic and no health checks; the state {@code del server} requires. */
    MAINT;

    /** @return the word HAProxy expects on the command line */
    public String keyword() {
        return name().toLowerCase(Locale.ROOT);
    }
}
