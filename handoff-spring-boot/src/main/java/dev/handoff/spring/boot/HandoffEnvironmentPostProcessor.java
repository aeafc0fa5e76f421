package dev.handoff.spring.boot;

import java.util.LinkedHashMap;
import java.util.Map;

import org.springframework.boot.EnvironmentPostProcessor;
import org.springframework.boot.SpringApplication;
import org.springframework.boot.context.properties.source.ConfigurationPropertySources;
import org.springframework.core.Ordered;
import org.springframework.core.env.ConfigurableEnvironment;
import org.springframework.core.env.MapPropertySource;
import org.springframework.core.env.PropertySource;

/**
 * Boot's defaults that the handoff drain replaces, added with the lowest precedence (any setting of the
 * application wins): with {@code handoff.termination.enabled} (the default), Boot registers no shutdown hook of
 * its own ({@code spring.main.register-shutdown-hook=false}: the SIGTERM sequence closes the context at its end;
 * {@code logging.register-shutdown-hook=false}: the sequence logs until the end),
 * the web server shuts down immediately ({@code server.shutdown=immediate}: the drain came first; left to Boot's
 * graceful shutdown when {@code handoff.web.enabled=false}, as nothing else then waits for the requests in
 * flight), and each shutdown phase gets the close budget; Actuator's liveness and readiness probes are on.
 *
 * <p>An application that sets {@code spring.main.register-shutdown-hook=true} itself while the SIGTERM sequence is
 * on is refused: Boot's hook would close the application under the drain.
 */
public class HandoffEnvironmentPostProcessor implements EnvironmentPostProcessor, Ordered {

    /** The name of the property source this adds. */
    public static final String SOURCE_NAME = "handoffDefaults";

    @Override
    public void postProcessEnvironment(ConfigurableEnvironment environment, SpringApplication application) {
        if (!environment.getProperty("handoff.enabled", Boolean.class, true)) {
            return;
        }
        Map<String, Object> defaults = new LinkedHashMap<>();
        defaults.put("management.endpoint.health.probes.enabled", "true");
        if (environment.getProperty("handoff.termination.enabled", Boolean.class, true)) {
            refuseBootsShutdownHook(environment);
            defaults.put("spring.main.register-shutdown-hook", "false");
            if (environment.getProperty("handoff.web.enabled", Boolean.class, true)) {
                defaults.put("server.shutdown", "immediate");
            }
            defaults.put("logging.register-shutdown-hook", "false");
            defaults.put("spring.lifecycle.timeout-per-shutdown-phase",
                    environment.getProperty("handoff.termination.close-budget", "4s"));
        }
        environment.getPropertySources().addLast(new MapPropertySource(SOURCE_NAME, defaults));
    }

    private static void refuseBootsShutdownHook(ConfigurableEnvironment environment) {
        String property = "spring.main.register-shutdown-hook";
        if (!Boolean.TRUE.equals(environment.getProperty(property, Boolean.class))) {
            return;
        }
        String origin = environment.getPropertySources().stream()
                .filter(source -> !ConfigurationPropertySources.isAttachedConfigurationPropertySource(source))
                .filter(source -> source.containsProperty(property))
                .map(PropertySource::getName)
                .findFirst().orElse("?");
        throw new IllegalStateException(property + "=true (from property source '" + origin + "') lets Boot close "
                + "the application at SIGTERM while handoff drains it: remove that setting, or set "
                + "handoff.termination.enabled=false to keep Boot's shutdown hook instead of handoff's SIGTERM "
                + "sequence");
    }

    @Override
    public int getOrder() {
        return Ordered.LOWEST_PRECEDENCE;
    }
}
