package dev.handoff.spring.boot.internal;

/**
 * The connections of one embedded web server, as the drain moves clients off it. Not API. Thread-safe.
 */
public interface ServerConnections {

    /**
     * Stop-accepting: later responses close their connection, HTTP/2 connections get a graceful GOAWAY, and
     * HTTP/1.x connections idle for at least the threshold are closed (called again on every sweep).
     */
    void tellClientsToLeave();

    /** Re-admission: connections are kept alive again. */
    void resumeKeepAlive();

    /** @return application connections open now */
    int openConnections();

    /** Cuts every application connection (a forced stop). */
    void closeAll();

    /** The server's kind, in logs: {@code "tomcat"} or {@code "jetty"}. */
    String kind();
}
