package dev.handoff.examples.webswap;

/** The clients of one web-swap run: started, stopped, then their records read. */
interface Load {

    /** Starts the clients. */
    void start();

    /**
     * Stops the clients after their current request and waits for them (bounded).
     *
     * @throws InterruptedException when interrupted while waiting
     */
    void stop() throws InterruptedException;

    /** @return every client's records, merged; call after {@link #stop()} */
    LoadGenerator.LoadRecords records();
}
