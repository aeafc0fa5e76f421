package dev.handoff.spring.boot.internal;

import dev.handoff.core.process.PortFile;
import dev.handoff.api.LifecycleListener;
import dev.handoff.api.LifecycleState;
import dev.handoff.core.LifecycleMetrics;
import dev.handoff.core.process.ChildAgent;
import dev.handoff.core.process.GracefulTermination;
import dev.handoff.spring.boot.DrainParticipant;
import dev.handoff.spring.boot.HandoffProperties;
import dev.handoff.spring.boot.SpringBootInstance;

import io.micrometer.core.instrument.MeterRegistry;

import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.beans.factory.SmartInitializingSingleton;
import org.springframework.boot.availability.AvailabilityChangeEvent;
import org.springframework.boot.availability.LivenessState;
import org.springframework.boot.availability.ReadinessState;
import org.springframework.boot.context.properties.bind.BindResult;
import org.springframework.boot.context.properties.bind.Binder;
import org.springframework.context.ApplicationEvent;
import org.springframework.context.ApplicationListener;
import org.springframework.context.ConfigurableApplicationContext;
import org.springframework.context.event.ContextClosedEvent;
import org.springframework.context.event.ContextRefreshedEvent;

/**
 * Binds the {@link SpringBootInstance} to its application: the participants, Boot's availability both ways, the
 * web server's connections and port, the parent's agent when this JVM is a child, the SIGTERM sequence and the
 * meters. Not API. Thread-safe.
 */
public final class InstanceBinding implements SmartInitializingSingleton, ApplicationListener<ApplicationEvent>,
        LifecycleListener {

    private static final Logger LOG = LoggerFactory.getLogger(InstanceBinding.class);

    private final SpringBootInstance instance;
    private final HandoffProperties properties;
    private final ConfigurableApplicationContext context;
    private final List<DrainParticipant> participants;
    private final WebParticipant web;
    private final MeterRegistry meterRegistry;
    private volatile GracefulTermination termination;
    private volatile ChildAgent agent;
    private volatile LifecycleMetrics metrics;

    /**
     * @param instance      the application's instance
     * @param properties    the settings
     * @param context       the application context
     * @param participants  the participants declared as beans
     * @param web           the web server's participant, or null without a servlet web server
     * @param meterRegistry Boot's meter registry, or null
     */
    public InstanceBinding(SpringBootInstance instance, HandoffProperties properties,
                           ConfigurableApplicationContext context, List<DrainParticipant> participants,
                           WebParticipant web, MeterRegistry meterRegistry) {
        this.instance = instance;
        this.properties = properties;
        this.context = context;
        this.participants = List.copyOf(participants);
        this.web = web;
        this.meterRegistry = meterRegistry;
    }

    @Override
    public void afterSingletonsInstantiated() {
        participants.forEach(instance::register);
        instance.addListener(this);
        if (meterRegistry != null) {
            metrics = new LifecycleMetrics(instance);
            metrics.bindTo(meterRegistry);
        }
        if (ChildAgent.launchedByParent()) {
            agent = ChildAgent.attach(instance);
            LOG.info("instance '{}' attached to its parent", instance.id());
        }
    }

    @Override
    public void onApplicationEvent(ApplicationEvent event) {
        if (event instanceof AvailabilityChangeEvent<?> change) {
            onAvailability(change.getState());
        } else if (event instanceof ContextRefreshedEvent refreshed && refreshed.getApplicationContext() == context) {
            installTermination();
        } else if (event instanceof ContextClosedEvent closed && closed.getApplicationContext() == context) {
            onClosed();
        } else if (event instanceof org.springframework.boot.web.server.context.WebServerInitializedEvent started) {
            onWebServer(started);
        }
    }

    private void onAvailability(Object state) {
        if (state == ReadinessState.ACCEPTING_TRAFFIC && instance.state() == LifecycleState.STARTING) {
            instance.markReady();
            LOG.info("instance '{}' ready", instance.id());
        } else if (state == LivenessState.BROKEN && !instance.state().isTerminal()) {
            LOG.warn("instance '{}': liveness BROKEN; the instance failed", instance.id());
            instance.fail(new IllegalStateException("Boot's liveness state is BROKEN"));
        }
    }

    private void onWebServer(org.springframework.boot.web.server.context.WebServerInitializedEvent started) {
        String namespace = started.getApplicationContext().getServerNamespace();
        if (web == null || (namespace != null && !namespace.isEmpty())) {
            return; // the management server: probes only, not drained
        }
        ServerConnections connections = Servers.connections(started.getWebServer(),
                properties.getWeb().getIdleThreshold());
        if (connections != null) {
            web.connections(connections);
            LOG.debug("instance '{}': {} connections watched", instance.id(), connections.kind());
        }
        String host = context.getEnvironment().getProperty("server.address", "127.0.0.1");
        PortFile.report(System.getenv(PortFile.FOLDER_ENV), instance.id(), host,
                started.getWebServer().getPort());
    }

    private void installTermination() {
        HandoffProperties.Termination settings = properties.getTermination();
        if (!settings.isEnabled() || termination != null) {
            return;
        }
        Duration drain = settings.drainBudget();
        termination = GracefulTermination.builder(instance)
                .gracePeriod(settings.getGracePeriod())
                .propagationDelay(settings.getPropagationDelay())
                .drainBudget(drain)
                .closeBudget(settings.getCloseBudget())
                .failureExitStatus(settings.getFailureExitStatus())
                .closeHook("abandoned work", this::abandonLeftovers)
                .closeHook("spring context", context::close)
                .build()
                .install();
        LOG.info("instance '{}': SIGTERM plays delay {}, drain {}, close {} within {}", instance.id(),
                settings.getPropagationDelay(), drain, settings.getCloseBudget(), settings.getGracePeriod());
        warnOfALongerShutdownPhase(settings.getCloseBudget());
    }

    /** The application's own phase timeout wins over the default, but the close budget still bounds the close. */
    private void warnOfALongerShutdownPhase(Duration closeBudget) {
        String property = "spring.lifecycle.timeout-per-shutdown-phase";
        BindResult<Duration> phase = Binder.get(context.getEnvironment()).bind(property, Duration.class);
        if (phase.isBound() && phase.get().compareTo(closeBudget) > 0) {
            LOG.warn("{} ({}) is longer than handoff.termination.close-budget ({}): at SIGTERM a close that lasts "
                    + "longer is cut short at {}, with the failure exit status; raise close-budget (and "
                    + "grace-period) instead", property, phase.get(), closeBudget, closeBudget);
        }
    }

    /**
     * After the drain budget: what still runs is listed by name, then abandoned. The drain's deadline has already
     * made the exit status the failure status; work found once the drain had completed (DRAINED) fails it here.
     */
    private void abandonLeftovers() throws Exception {
        if (instance.inFlight() > 0 || !instance.inFlightByName().isEmpty()) {
            boolean drained = instance.state() == LifecycleState.DRAINED;
            instance.forceStop().toCompletableFuture().get(1, TimeUnit.SECONDS);
            if (drained) {
                throw new IllegalStateException("work abandoned after the drain: " + instance.abandoned());
            }
        }
    }

    private void onClosed() {
        GracefulTermination current = termination;
        if (current != null) {
            try {
                current.uninstall();
            } catch (IllegalStateException e) {
                // The JVM is shutting down: the hook is what closes the context.
            }
        }
        if (web != null) {
            web.close();
        }
        if (metrics != null) {
            metrics.close();
        }
        LifecycleState state = instance.state();
        if (state != LifecycleState.FAILED && state != LifecycleState.STOPPED) {
            instance.stop();
        }
        if (agent != null) {
            agent.close();
        }
    }

    @Override
    public void onStateChange(LifecycleState from, LifecycleState to) {
        if (to == LifecycleState.DRAINING) {
            AvailabilityChangeEvent.publish(context, ReadinessState.REFUSING_TRAFFIC);
        } else if (to == LifecycleState.READY && from != LifecycleState.STARTING) {
            AvailabilityChangeEvent.publish(context, ReadinessState.ACCEPTING_TRAFFIC);
        } else if (to == LifecycleState.FAILED) {
            AvailabilityChangeEvent.publish(context, ReadinessState.REFUSING_TRAFFIC);
        }
    }
}
