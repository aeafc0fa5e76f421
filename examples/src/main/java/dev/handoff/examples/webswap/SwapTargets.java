package dev.handoff.examples.webswap;

/** Builds the server side of each mode. */
final class SwapTargets {

    private SwapTargets() {
    }

    static SwapTarget create(Mode mode) {
        return switch (mode) {
            case NAIVE -> new RestartTarget(false);
            case JETTY_GRACEFUL -> new RestartTarget(true);
            case PROXY -> HandoffTarget.proxy();
            case REUSEPORT -> HandoffTarget.reusePort();
            case HAPROXY -> HandoffTarget.haproxy();
        };
    }
}
