package dev.handoff.jetty.haproxy;

import java.util.Objects;

/**
 * One server's row of HAProxy's {@code show stat} CSV: the counters a router needs to confirm an attach or a
 * detach. Immutable and thread-safe.
 *
 * @param backend         the backend ({@code pxname})
 * @param server          the server ({@code svname})
 * @param status          the status column as HAProxy prints it: {@code UP}, {@code DOWN}, {@code DRAIN},
 *                        {@code MAINT}, {@code no check}, or a transition such as {@code UP 1/3}
 * @param checkStatus     the last health check's status ({@code L4OK}, {@code L7OK}, {@code L4CON}...), or empty
 *                        when the server has no check
 * @param queued          requests waiting in this server's queue ({@code qcur})
 * @param sessions        sessions currently attached to this server ({@code scur})
 * @param totalSessions   sessions ever attached to this server ({@code stot})
 * @param idleConnections idle connections pooled to this server ({@code idle_conn_cur + safe_conn_cur})
 */
public record ServerStat(String backend, String server, String status, String checkStatus, long queued,
                         long sessions, long totalSessions, long idleConnections) {

    /**
     * Checks the text fields.
     *
     * @param backend         the backend
     * @param server          the server
     * @param status          the status column
     * @param checkStatus     the last check's status, or empty
     * @param queued          {@code qcur}
     * @param sessions        {@code scur}
     * @param totalSessions   {@code stot}
     * @param idleConnections {@code idle_conn_cur + safe_conn_cur}
     * @throws NullPointerException when a text field is null
     */
    public ServerStat {
        Objects.requireNonNull(backend, "backend must not be null");
        Objects.requireNonNull(server, "server must not be null");
        Objects.requireNonNull(status, "status must not be null");
        Objects.requireNonNull(checkStatus, "checkStatus must not be null");
    }

    /**
     * @return whether HAProxy balances new requests to this server now: it is up without a check, or up with its
     *     last health check passed
     */
    public boolean isTakingTraffic() {
        if ("no check".equals(status)) {
            return true;
        }
        return status.startsWith("UP") && checkStatus.startsWith("L") && checkStatus.endsWith("OK");
    }

    /** @return whether the server is administratively in drain: no new request is balanced to it */
    public boolean isDraining() {
        return status.startsWith("DRAIN");
    }

    /** @return whether the server is in maintenance: no traffic at all */
    public boolean isInMaintenance() {
        return status.startsWith("MAINT");
    }

    /** @return whether nothing is attached to, queued for, or pooled to this server */
    public boolean isIdle() {
        return sessions == 0 && queued == 0 && idleConnections == 0;
    }
}
