package dev.handoff.spring.boot;

import java.time.Duration;
import java.util.Objects;

import org.springframework.boot.context.properties.ConfigurationProperties;
import org.springframework.validation.Errors;
import org.springframework.validation.Validator;

/**
 * The {@code handoff.*} properties of a Spring Boot application, checked when Boot binds them, so that a wrong
 * setting fails the start with Boot's binding report (the property, its value, where it came from, why) before
 * anything serves: every value is validated ({@link #validate()}, a message naming the property and the value),
 * and a {@code handoff.*} key that names no property (a misspelling) is refused. Environment variables and system
 * properties are left out of that last check, as Boot does: an orchestrator gives its child JVMs
 * {@code HANDOFF_AGENT_*} variables. Mutable, as Boot binds it; read once at start-up.
 */
@ConfigurationProperties(prefix = "handoff", ignoreUnknownFields = false)
public class HandoffProperties implements Validator {

    /** Whether the application is played as a handoff instance. */
    private boolean enabled = true;

    /**
     * The instance's id, in logs, metric tags and the orchestrator's events. Empty: the id the orchestrator gave a
     * child JVM, else {@code spring.application.name}, else "application".
     */
    private String instanceId = "";

    private final Termination termination = new Termination();

    private final Web web = new Web();

    private final Listeners listeners = new Listeners();

    /** @return whether the application is played as a handoff instance */
    public boolean isEnabled() {
        return enabled;
    }

    /** @param enabled whether the application is played as a handoff instance */
    public void setEnabled(boolean enabled) {
        this.enabled = enabled;
    }

    /** @return the configured instance id; empty for the default */
    public String getInstanceId() {
        return instanceId;
    }

    /** @param instanceId the instance id; empty for the default */
    public void setInstanceId(String instanceId) {
        this.instanceId = instanceId == null ? "" : instanceId.strip();
    }

    /** @return the SIGTERM settings */
    public Termination getTermination() {
        return termination;
    }

    /** @return the web server settings */
    public Web getWeb() {
        return web;
    }

    /** @return the listener settings */
    public Listeners getListeners() {
        return listeners;
    }

    /**
     * Whether {@link #validate(Object, Errors)} checks objects of this type.
     *
     * @param type the type Boot binds
     * @return whether {@code type} is this class
     */
    @Override
    public boolean supports(Class<?> type) {
        return HandoffProperties.class.isAssignableFrom(type);
    }

    /**
     * Boot's validation of the bound properties: the problem {@link #validate()} finds, as a global error of the
     * binding (its message names the property and the value).
     *
     * @param target the bound {@code HandoffProperties}
     * @param errors where the problem goes
     */
    @Override
    public void validate(Object target, Errors errors) {
        try {
            ((HandoffProperties) target).validate();
        } catch (IllegalArgumentException | NullPointerException e) {
            errors.reject("handoff.invalid", e.getMessage());
        }
    }

    /**
     * Checks every value.
     *
     * @throws IllegalArgumentException naming the first property that is wrong and its value
     * @throws NullPointerException     naming a duration that is null
     */
    public void validate() {
        termination.drainBudget();
        positive("handoff.web.idle-threshold", web.idleThreshold);
    }

    static Duration positive(String property, Duration value) {
        Objects.requireNonNull(value, property + " must not be null");
        if (value.isNegative() || value.isZero()) {
            throw new IllegalArgumentException(property + " must be > 0, but was " + value);
        }
        return value;
    }

    static Duration notNegative(String property, Duration value) {
        Objects.requireNonNull(value, property + " must not be null");
        if (value.isNegative()) {
            throw new IllegalArgumentException(property + " must be >= 0, but was " + value);
        }
        return value;
    }

    /**
     * SIGTERM: one budget, the platform's grace period, split into the propagation delay, the drain, the close of
     * the Spring context and a margin. It replaces Boot's own shutdown hook and per-phase timeouts.
     */
    public static class Termination {

        /** Whether SIGTERM plays the handoff termination sequence (instead of Boot's shutdown hook). */
        private boolean enabled = true;

        /** The platform's grace period before SIGKILL (Kubernetes' terminationGracePeriodSeconds). */
        private Duration gracePeriod = Duration.ofSeconds(30);

        /** How long the instance serves on after readiness went down, for routers to notice. */
        private Duration propagationDelay = Duration.ofSeconds(5);

        /** The budget of the Spring context's close (the web server, the beans) after the drain. */
        private Duration closeBudget = Duration.ofSeconds(4);

        /** Kept free at the end of the grace period. */
        private Duration margin = Duration.ofSeconds(1);

        /** Exit status when work was abandoned or a budget ran out. */
        private int failureExitStatus = 1;

        /** @return whether SIGTERM plays the termination sequence */
        public boolean isEnabled() {
            return enabled;
        }

        /** @param enabled whether SIGTERM plays the termination sequence */
        public void setEnabled(boolean enabled) {
            this.enabled = enabled;
        }

        /** @return the grace period */
        public Duration getGracePeriod() {
            return gracePeriod;
        }

        /** @param gracePeriod the grace period */
        public void setGracePeriod(Duration gracePeriod) {
            this.gracePeriod = gracePeriod;
        }

        /** @return the propagation delay */
        public Duration getPropagationDelay() {
            return propagationDelay;
        }

        /** @param propagationDelay the propagation delay */
        public void setPropagationDelay(Duration propagationDelay) {
            this.propagationDelay = propagationDelay;
        }

        /** @return the close budget */
        public Duration getCloseBudget() {
            return closeBudget;
        }

        /** @param closeBudget the close budget */
        public void setCloseBudget(Duration closeBudget) {
            this.closeBudget = closeBudget;
        }

        /** @return the margin */
        public Duration getMargin() {
            return margin;
        }

        /** @param margin the margin */
        public void setMargin(Duration margin) {
            this.margin = margin;
        }

        /** @return the exit status when work was abandoned */
        public int getFailureExitStatus() {
            return failureExitStatus;
        }

        /** @param failureExitStatus the exit status when work was abandoned, 1..255 */
        public void setFailureExitStatus(int failureExitStatus) {
            this.failureExitStatus = failureExitStatus;
        }

        /**
         * @return what is left of the grace period for the drain: grace period - propagation delay - close budget
         *     - margin
         * @throws IllegalArgumentException when a value is out of range or nothing is left for the drain
         */
        public Duration drainBudget() {
            positive("handoff.termination.grace-period", gracePeriod);
            notNegative("handoff.termination.propagation-delay", propagationDelay);
            positive("handoff.termination.close-budget", closeBudget);
            positive("handoff.termination.margin", margin);
            if (failureExitStatus < 1 || failureExitStatus > 255) {
                throw new IllegalArgumentException("handoff.termination.failure-exit-status must be in 1..255, "
                        + "but was " + failureExitStatus);
            }
            Duration drain = gracePeriod.minus(propagationDelay).minus(closeBudget).minus(margin);
            if (drain.isNegative() || drain.isZero()) {
                throw new IllegalArgumentException("handoff.termination.grace-period (" + gracePeriod
                        + ") must be > propagation-delay + close-budget + margin (" + propagationDelay + " + "
                        + closeBudget + " + " + margin + "), leaving a drain budget, but left " + drain);
            }
            return drain;
        }
    }

    /** The embedded web server (Tomcat or Jetty). */
    public static class Web {

        /**
         * Whether requests are tracked and connections moved off while draining. Off: the drain does not wait for
         * requests, and Boot's graceful shutdown waits for them at the close, within the close budget.
         */
        private boolean enabled = true;

        /**
         * While draining, an HTTP/1.x connection idle at least this long is closed; busier ones get
         * "Connection: close" on their next response.
         */
        private Duration idleThreshold = Duration.ofMillis(500);

        /** @return whether requests are tracked */
        public boolean isEnabled() {
            return enabled;
        }

        /** @param enabled whether requests are tracked */
        public void setEnabled(boolean enabled) {
            this.enabled = enabled;
        }

        /** @return the idle threshold */
        public Duration getIdleThreshold() {
            return idleThreshold;
        }

        /** @param idleThreshold the idle threshold */
        public void setIdleThreshold(Duration idleThreshold) {
            this.idleThreshold = idleThreshold;
        }
    }

    /** Message listeners ({@code @RabbitListener}) and {@code @Scheduled} tasks. */
    public static class Listeners {

        /** Whether @RabbitListener containers are part of the drain. */
        private boolean rabbit = true;

        /** Whether @Scheduled tasks are part of the drain. */
        private boolean scheduled = true;

        /** @return whether @RabbitListener containers are drained */
        public boolean isRabbit() {
            return rabbit;
        }

        /** @param rabbit whether @RabbitListener containers are drained */
        public void setRabbit(boolean rabbit) {
            this.rabbit = rabbit;
        }

        /** @return whether @Scheduled tasks are drained */
        public boolean isScheduled() {
            return scheduled;
        }

        /** @param scheduled whether @Scheduled tasks are drained */
        public void setScheduled(boolean scheduled) {
            this.scheduled = scheduled;
        }
    }
}
