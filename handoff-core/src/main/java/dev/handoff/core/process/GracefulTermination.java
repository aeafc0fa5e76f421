package dev.handoff.core.process;

import dev.handoff.api.Lifecycle;
import dev.handoff.core.internal.Durations;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * The instance's half of the swap contract when a platform orchestrates (Kubernetes, systemd, an HAProxy fleet):
 * on SIGTERM the instance plays steps 4 to 7 by itself.
 *
 * <ol>
 *   <li><b>Readiness fails at once</b> ({@link Lifecycle#stopAccepting()}): the readiness probe answers "not
 *       ready", but work that still arrives is served.</li>
 *   <li><b>Propagation delay</b>: it keeps serving for {@link Builder#propagationDelay(Duration)} (5 s by
 *       default), the time the platform takes to stop routing to it (in Kubernetes, for every kube-proxy and
 *       load balancer to drop the endpoint; this is what {@code preStop: sleep} is usually written for). Skipped
 *       when the instance was not READY at SIGTERM: an orchestrator had already taken it out.</li>
 *   <li><b>Drain</b> ({@link Lifecycle#drain()}): the intake closes and the in-flight work finishes, within
 *       {@link Builder#drainBudget(Duration)} (20 s by default).</li>
 *   <li><b>Close</b>: the application's close hooks run in the order registered, within
 *       {@link Builder#closeBudget(Duration)} (4 s by default), and the JVM exits: status 0 when everything
 *       drained and closed, {@link Builder#failureExitStatus(int)} (1 by default) when work was abandoned, a
 *       close hook failed or a budget ran out.</li>
 * </ol>
 *
 * <p>The three budgets must add up to less than the platform's grace period ({@link Builder#gracePeriod}, 30 s
 * by default, Kubernetes' {@code terminationGracePeriodSeconds}), after which the platform sends SIGKILL.
 *
 * <p><b>How it hooks in, honestly.</b> Java has no supported SIGTERM handler; it runs shutdown hooks on SIGTERM
 * (and SIGINT, {@code System.exit}, and when the last non-daemon thread ends). {@link #install()} registers a
 * shutdown hook that runs the sequence above. Such a JVM would exit with status 143 (128 + SIGTERM), whatever
 * the hook does, and calling {@code System.exit} from a hook deadlocks; so the hook ends with
 * {@code Runtime.halt(status)} to set the status. {@code halt} ends the JVM at once: the other shutdown hooks
 * run concurrently with this one and any still running are cut short. Register close actions with
 * {@link Builder#closeHook(String, AutoCloseable)} so that they run, in order, before the halt, or turn the halt
 * off with {@link Builder#haltWithStatus(boolean)} (the JVM then exits 143 on SIGTERM after every hook). The
 * hook also runs on {@code System.exit(n)}: with the halt on, the status becomes 0 or the failure status, not
 * {@code n}.
 *
 * <p>Time is the system's: this runs once per process, at its end, against a platform's wall-clock grace
 * period. Immutable after build and thread-safe; the sequence runs at most once.
 */
public final class GracefulTermination {

    private static final Logger LOG = LoggerFactory.getLogger(GracefulTermination.class);

    private final Lifecycle target;
    private final Duration propagationDelay;
    private final Duration drainBudget;
    private final Duration closeBudget;
    private final Duration gracePeriod;
    private final Map<String, AutoCloseable> closeHooks;
    private final int failureExitStatus;
    private final boolean haltWithStatus;
    private final AtomicBoolean installed = new AtomicBoolean();
    private final CompletableFuture<Integer> outcome = new CompletableFuture<>();
    private final AtomicBoolean started = new AtomicBoolean();
    private final Thread hook = new Thread(this::onShutdown, "handoff-termination");

    private GracefulTermination(Builder builder) {
        this.target = builder.target;
        this.propagationDelay = builder.propagationDelay;
        this.drainBudget = builder.drainBudget;
        this.closeBudget = builder.closeBudget;
        this.gracePeriod = builder.gracePeriod;
        this.closeHooks = Collections.unmodifiableMap(new LinkedHashMap<>(builder.closeHooks));
        this.failureExitStatus = builder.failureExitStatus;
        this.haltWithStatus = builder.haltWithStatus;
    }

    /**
     * @param instance the instance: an {@code InstanceLifecycle}, or an adapter such as {@code JettyHandoff} or
     *                 {@code HandoffConsumer}, whose stop-accepting and drain do the adapter's part too
     * @return a builder with the Kubernetes defaults: delay 5 s, drain 20 s, close 4 s, grace period 30 s
     * @throws NullPointerException when {@code instance} is null
     */
    public static Builder builder(Lifecycle instance) {
        return new Builder(instance);
    }

    /**
     * @return the grace period: the longest this sequence takes, from SIGTERM to the JVM's end; what a
     *     {@link ChildAgent} announces to its parent as its termination budget
     */
    public Duration gracePeriod() {
        return gracePeriod;
    }

    /**
     * Registers the shutdown hook. Idempotent.
     *
     * @return this
     * @throws IllegalStateException when the JVM is already shutting down
     */
    public GracefulTermination install() {
        if (installed.compareAndSet(false, true)) {
            Runtime.getRuntime().addShutdownHook(hook);
            LOG.debug("installed: propagation delay {}, drain budget {}, close budget {}, grace period {}",
                    propagationDelay, drainBudget, closeBudget, gracePeriod);
        }
        return this;
    }

    /**
     * Removes the shutdown hook, if installed and not yet running. Idempotent.
     *
     * @throws IllegalStateException when the JVM is already shutting down
     */
    public void uninstall() {
        if (installed.compareAndSet(true, false)) {
            Runtime.getRuntime().removeShutdownHook(hook);
        }
    }

    private void onShutdown() {
        int status = terminate();
        if (haltWithStatus) {
            LOG.info("halting with status {}", status);
            Runtime.getRuntime().halt(status);
        }
    }

    /**
     * Plays the sequence on the calling thread (the shutdown hook calls this) and returns the exit status it
     * decided; it does not exit. Runs at most once: a second call waits for the first one's status. Blocks at
     * most the propagation delay plus the drain and close budgets.
     *
     * @return 0 when everything drained and closed, the failure status otherwise
     */
    public int terminate() {
        if (!started.compareAndSet(false, true)) {
            return awaitOutcome();
        }
        int status = 0;
        try {
            status = runSequence();
        } catch (RuntimeException e) {
            LOG.error("termination failed", e);
            status = failureExitStatus;
        } finally {
            outcome.complete(status);
        }
        return status;
    }

    private int awaitOutcome() {
        Duration bound = propagationDelay.plus(drainBudget).plus(closeBudget).plusSeconds(1);
        try {
            return outcome.get(bound.toNanos(), TimeUnit.NANOSECONDS);
        } catch (TimeoutException | ExecutionException e) {
            return failureExitStatus;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return failureExitStatus;
        }
    }

    private int runSequence() {
        boolean wasReady = target.isReady();
        LOG.info("termination: readiness down ({} in flight)", target.inFlight());
        target.stopAccepting();
        boolean clean = true;
        if (wasReady && !propagationDelay.isZero()) {
            LOG.info("termination: serving on for the propagation delay {}", propagationDelay);
            clean = pause(propagationDelay);
        }
        clean &= drain();
        clean &= close();
        return clean ? 0 : failureExitStatus;
    }

    private boolean pause(Duration delay) {
        try {
            TimeUnit.NANOSECONDS.sleep(delay.toNanos());
            return true;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            LOG.warn("termination: interrupted during the propagation delay");
            return false;
        }
    }

    private boolean drain() {
        LOG.info("termination: draining {} unit(s) in flight, budget {}", target.inFlight(), drainBudget);
        try {
            target.drain().toCompletableFuture().get(drainBudget.toNanos(), TimeUnit.NANOSECONDS);
            LOG.info("termination: drained");
            return true;
        } catch (TimeoutException e) {
            LOG.warn("termination: drain budget {} exhausted; abandoning {} unit(s) in flight", drainBudget,
                    target.inFlight());
        } catch (ExecutionException e) {
            LOG.warn("termination: drain failed", e.getCause());
        } catch (IllegalStateException e) {
            LOG.warn("termination: cannot drain: {}", e.getMessage());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            LOG.warn("termination: interrupted while draining; abandoning {} unit(s)", target.inFlight());
        }
        return false;
    }

    private boolean close() {
        if (closeHooks.isEmpty()) {
            return true;
        }
        List<String> failed = new ArrayList<>();
        Thread closer = new Thread(() -> closeHooks.forEach((name, hookToRun) -> {
            try {
                hookToRun.close();
                LOG.debug("termination: closed {}", name);
            } catch (Exception e) {
                LOG.warn("termination: close hook {} failed", name, e);
                synchronized (failed) {
                    failed.add(name);
                }
            }
        }), "handoff-termination-close");
        closer.setDaemon(true);
        closer.start();
        try {
            closer.join(Math.max(1, closeBudget.toMillis()));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        if (closer.isAlive()) {
            LOG.warn("termination: close hooks still running after the close budget {}", closeBudget);
            return false;
        }
        synchronized (failed) {
            return failed.isEmpty();
        }
    }

    @Override
    public String toString() {
        return "GracefulTermination[propagationDelay=" + propagationDelay + ", drainBudget=" + drainBudget
                + ", closeBudget=" + closeBudget + ", gracePeriod=" + gracePeriod + ", closeHooks="
                + closeHooks.keySet() + "]";
    }

    /** Configures a {@link GracefulTermination}; each setter validates its value. Not thread-safe. */
    public static final class Builder {
        private final Lifecycle target;
        private Duration propagationDelay = Duration.ofSeconds(5);
        private Duration drainBudget = Duration.ofSeconds(20);
        private Duration closeBudget = Duration.ofSeconds(4);
        private Duration gracePeriod = Duration.ofSeconds(30);
        private final Map<String, AutoCloseable> closeHooks = new LinkedHashMap<>();
        private int failureExitStatus = 1;
        private boolean haltWithStatus = true;

        private Builder(Lifecycle target) {
            this.target = Objects.requireNonNull(target, "instance must not be null");
        }

        /**
         * @param delay how long to keep serving after readiness went down, before the intake closes; 5 s by
         *              default; zero skips it (for example when a {@code preStop} hook already waited)
         * @return this builder
         * @throws NullPointerException     when {@code delay} is null
         * @throws IllegalArgumentException when {@code delay} is negative
         */
        public Builder propagationDelay(Duration delay) {
            this.propagationDelay = Durations.nonNegative("propagationDelay", delay);
            return this;
        }

        /**
         * @param budget how long the in-flight work may take to finish after the intake closed; 20 s by default
         * @return this builder
         * @throws NullPointerException     when {@code budget} is null
         * @throws IllegalArgumentException when {@code budget} is not positive
         */
        public Builder drainBudget(Duration budget) {
            this.drainBudget = Durations.positive("drainBudget", budget);
            return this;
        }

        /**
         * @param budget how long the close hooks may take, together; 4 s by default
         * @return this builder
         * @throws NullPointerException     when {@code budget} is null
         * @throws IllegalArgumentException when {@code budget} is not positive
         */
        public Builder closeBudget(Duration budget) {
            this.closeBudget = Durations.positive("closeBudget", budget);
            return this;
        }

        /**
         * @param period the platform's grace period between SIGTERM and SIGKILL (Kubernetes'
         *               {@code terminationGracePeriodSeconds}, systemd's {@code TimeoutStopSec}); 30 s by default.
         *               {@link #build()} checks that delay, drain and close budgets fit within it
         * @return this builder
         * @throws NullPointerException     when {@code period} is null
         * @throws IllegalArgumentException when {@code period} is not positive
         */
        public Builder gracePeriod(Duration period) {
            this.gracePeriod = Durations.positive("gracePeriod", period);
            return this;
        }

        /**
         * @param name what the hook closes, unique, for logs, e.g. {@code "database pool"}
         * @param hook run after the drain, in the order registered; an exception is logged and makes the exit
         *             status the failure status
         * @return this builder
         * @throws NullPointerException     when an argument is null
         * @throws IllegalArgumentException when {@code name} is blank or already registered
         */
        public Builder closeHook(String name, AutoCloseable hook) {
            Objects.requireNonNull(name, "closeHook name must not be null");
            Objects.requireNonNull(hook, "closeHook " + name + " must not be null");
            if (name.isBlank()) {
                throw new IllegalArgumentException("closeHook name must not be blank, but was '" + name + "'");
            }
            if (closeHooks.containsKey(name)) {
                throw new IllegalArgumentException("closeHook name must be unique, but '" + name
                        + "' is already registered");
            }
            closeHooks.put(name, hook);
            return this;
        }

        /**
         * @param status the exit status when work was abandoned or closing failed; 1 by default
         * @return this builder
         * @throws IllegalArgumentException when {@code status} is outside 1..255
         */
        public Builder failureExitStatus(int status) {
            if (status < 1 || status > 255) {
                throw new IllegalArgumentException("failureExitStatus must be in 1..255, but was " + status);
            }
            this.failureExitStatus = status;
            return this;
        }

        /**
         * @param halt whether the shutdown hook ends with {@code Runtime.halt(status)} (the default), which sets
         *             the exit status but cuts short other shutdown hooks still running; see the class comment
         * @return this builder
         */
        public Builder haltWithStatus(boolean halt) {
            this.haltWithStatus = halt;
            return this;
        }

        /**
         * @return the configured handler, not yet installed
         * @throws IllegalArgumentException when propagation delay + drain budget + close budget is not below the
         *                                  grace period
         */
        public GracefulTermination build() {
            Duration total = propagationDelay.plus(drainBudget).plus(closeBudget);
            if (total.compareTo(gracePeriod) >= 0) {
                throw new IllegalArgumentException("propagationDelay + drainBudget + closeBudget must be "
                        + "< gracePeriod (" + gracePeriod + "), but was " + propagationDelay + " + " + drainBudget
                        + " + " + closeBudget + " = " + total);
            }
            return new GracefulTermination(this);
        }
    }
}
