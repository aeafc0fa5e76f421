package dev.handoff.core.process;

import dev.handoff.api.HandoffException;
import dev.handoff.api.Lifecycle;
import dev.handoff.core.internal.Durations;
import dev.handoff.core.internal.process.AgentSession;
import dev.handoff.core.internal.process.Protocol;

import java.time.Duration;
import java.util.Objects;
import java.util.Optional;

/**
 * What a child JVM started by a {@link ChildProcessLauncher} embeds: connects its {@link Lifecycle} to the parent
 * over the private control channel, reports READY, DRAINED and FAILED, and carries out the parent's commands
 * (stop accepting, resume, drain, force stop, status, exit). Call it first thing in {@code main}, before the
 * application starts taking work:
 *
 * <pre>{@code
 * InstanceLifecycle lifecycle = InstanceLifecycle.newBuilder("orders").build();
 * if (ChildAgent.launchedByParent()) {
 *     ChildAgent.attach(lifecycle);
 * }
 * // start the intake, then:
 * lifecycle.markReady();
 * }</pre>
 *
 * <p><b>Exits.</b> On the parent's {@code EXIT} the agent calls {@code System.exit(0)}, so the JVM's shutdown
 * hooks run. When the parent is gone (the control channel closes without an {@code EXIT}, or the parent
 * process exits) the agent calls {@code System.exit(}{@link Builder#orphanedExitStatus(int)}{@code )}: a child
 * never outlives its parent, even when the parent was killed with SIGKILL and ran no hook. In both cases, if
 * shutdown hooks are still running after {@link Builder#exitWatchdog(Duration)}, the JVM is halted.
 *
 * <p>The agent leaves the process's standard input, output and error to the application. Thread-safe.
 */
public final class ChildAgent implements AutoCloseable {

    private final AgentSession session;

    private ChildAgent(AgentSession session) {
        this.session = session;
    }

    /** @return whether this JVM was started by a {@link ChildProcessLauncher} (its environment names a parent) */
    public static boolean launchedByParent() {
        return System.getenv(Protocol.SOCKET_ENV) != null;
    }

    /** @return the instance id the parent gave this JVM, when it was started by a {@link ChildProcessLauncher} */
    public static Optional<String> instanceId() {
        return Optional.ofNullable(System.getenv(Protocol.INSTANCE_ID_ENV));
    }

    /**
     * Attaches with the defaults: see {@link Builder}.
     *
     * @param lifecycle the application's lifecycle
     * @return the attached agent
     * @throws NullPointerException  when {@code lifecycle} is null
     * @throws IllegalStateException when this JVM was not started by a {@link ChildProcessLauncher}
     * @throws HandoffException      when the connection or the handshake with the parent fails or times out
     */
    public static ChildAgent attach(Lifecycle lifecycle) {
        return builder(lifecycle).attach();
    }

    /**
     * @param lifecycle the application's lifecycle
     * @return a builder for an agent of that lifecycle
     * @throws NullPointerException when {@code lifecycle} is null
     */
    public static Builder builder(Lifecycle lifecycle) {
        return new Builder(lifecycle);
    }

    /**
     * Disconnects from the parent without exiting. The parent then treats the instance as failed; use it only
     * when the application is going away by itself. Idempotent.
     */
    @Override
    public void close() {
        session.close();
    }

    /** Configures and attaches a {@link ChildAgent}. Not thread-safe. */
    public static final class Builder {
        private final Lifecycle lifecycle;
        private Duration handshakeTimeout = Duration.ofSeconds(10);
        private Duration exitWatchdog = Duration.ofSeconds(30);
        private int orphanedExitStatus = 3;
        private Duration terminationBudget;

        private Builder(Lifecycle lifecycle) {
            this.lifecycle = Objects.requireNonNull(lifecycle, "lifecycle must not be null");
        }

        /**
         * @param timeout how long {@link #attach()} waits for the parent to answer the HELLO; 10 seconds by
         *                default
         * @return this builder
         * @throws NullPointerException     when {@code timeout} is null
         * @throws IllegalArgumentException when {@code timeout} is not positive
         */
        public Builder handshakeTimeout(Duration timeout) {
            this.handshakeTimeout = Durations.positive("handshakeTimeout", timeout);
            return this;
        }

        /**
         * @param watchdog how long the JVM's shutdown hooks may run after an {@code EXIT}, or after the parent is
         *                 gone, before the agent halts the JVM; 30 seconds by default
         * @return this builder
         * @throws NullPointerException     when {@code watchdog} is null
         * @throws IllegalArgumentException when {@code watchdog} is not positive
         */
        public Builder exitWatchdog(Duration watchdog) {
            this.exitWatchdog = Durations.positive("exitWatchdog", watchdog);
            return this;
        }

        /**
         * @param status the exit status when the parent is gone; 3 by default
         * @return this builder
         * @throws IllegalArgumentException when {@code status} is outside 0..255
         */
        public Builder orphanedExitStatus(int status) {
            if (status < 0 || status > 255) {
                throw new IllegalArgumentException("orphanedExitStatus must be in 0..255, but was " + status);
            }
            this.orphanedExitStatus = status;
            return this;
        }

        /**
         * @param budget how long this JVM takes to end by itself once asked to (its {@link GracefulTermination}'s
         *               grace period): announced to the parent in the handshake, so that the parent, when it destroys
         *               this instance or shuts down, waits at least that long before it sends SIGTERM or SIGKILL; by
         *               default none is announced and the parent's own settings apply
         *               ({@code ChildProcessLauncher.Builder.exitTimeout} and {@code terminationBudget})
         * @return this builder
         * @throws NullPointerException     when {@code budget} is null
         * @throws IllegalArgumentException when {@code budget} is not positive
         */
        public Builder terminationBudget(Duration budget) {
            this.terminationBudget = Durations.positive("terminationBudget", budget);
            return this;
        }

        /**
         * Connects to the parent, completes the handshake and starts reporting the lifecycle (READY is sent as
         * soon as the lifecycle is ready, at once if it already is). Blocks at most the handshake timeout.
         *
         * @return the attached agent
         * @throws IllegalStateException when this JVM was not started by a {@link ChildProcessLauncher}
         * @throws HandoffException      when the connection or the handshake fails or times out
         */
        public ChildAgent attach() {
            return new ChildAgent(AgentSession.connect(System.getenv(), lifecycle, handshakeTimeout,
                    exitWatchdog, orphanedExitStatus, terminationBudget));
        }
    }
}
