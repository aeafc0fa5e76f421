package dev.handoff.spring.boot;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.Map;

import org.junit.jupiter.api.Test;
import org.springframework.boot.SpringApplication;
import org.springframework.boot.context.properties.source.ConfigurationPropertySources;
import org.springframework.core.env.MapPropertySource;
import org.springframework.core.env.StandardEnvironment;

/**
 * The Boot defaults the starter sets, and the settings of the application's own that would defeat the SIGTERM
 * sequence. Given an environment, when the post-processor runs, then these defaults (or this refusal).
 */
class HandoffEnvironmentPostProcessorTest {

    private static StandardEnvironment environment(Map<String, Object> properties) {
        StandardEnvironment environment = new StandardEnvironment();
        environment.getPropertySources().addFirst(new MapPropertySource("application", properties));
        ConfigurationPropertySources.attach(environment); // as SpringApplication does: a view over every source
        return environment;
    }

    private static StandardEnvironment postProcessed(Map<String, Object> properties) {
        StandardEnvironment environment = environment(properties);
        new HandoffEnvironmentPostProcessor().postProcessEnvironment(environment, new SpringApplication());
        return environment;
    }

    @Test
    void byDefaultTheDrainReplacesBootsShutdownHookAndTheWebServerStopsAtOnceAfterIt() {
        StandardEnvironment environment = postProcessed(Map.of());
        assertThat(environment.getProperty("spring.main.register-shutdown-hook")).isEqualTo("false");
        assertThat(environment.getProperty("server.shutdown")).isEqualTo("immediate");
        assertThat(environment.getProperty("spring.lifecycle.timeout-per-shutdown-phase")).isEqualTo("4s");
        assertThat(environment.getProperty("management.endpoint.health.probes.enabled")).isEqualTo("true");
    }

    @Test
    void theApplicationsOwnShutdownSettingsWin() {
        StandardEnvironment environment = postProcessed(Map.of("server.shutdown", "graceful",
                "spring.lifecycle.timeout-per-shutdown-phase", "3s"));
        assertThat(environment.getProperty("server.shutdown")).isEqualTo("graceful");
        assertThat(environment.getProperty("spring.lifecycle.timeout-per-shutdown-phase")).isEqualTo("3s");
    }

    /** Regression: with request tracking off, "immediate" cut the requests in flight at the close and exited 0. */
    @Test
    void withoutRequestTrackingBootsGracefulShutdownKeepsTheRequestsInFlightWithinTheCloseBudget() {
        StandardEnvironment environment = postProcessed(Map.of("handoff.web.enabled", "false",
                "handoff.termination.close-budget", "6s"));
        assertThat(environment.getProperty("server.shutdown")).isNull();
        assertThat(environment.getProperty("spring.lifecycle.timeout-per-shutdown-phase")).isEqualTo("6s");
        assertThat(environment.getProperty("spring.main.register-shutdown-hook")).isEqualTo("false");
    }

    /** Regression: Boot's own hook closed the context at SIGTERM, under the drain, and the exit status was 1. */
    @Test
    void bootsOwnShutdownHookAndTheSigtermSequenceAreRefusedTogetherSayingWhatToDo() {
        StandardEnvironment environment = environment(Map.of("spring.main.register-shutdown-hook", "true"));
        assertThatThrownBy(() -> new HandoffEnvironmentPostProcessor().postProcessEnvironment(environment,
                new SpringApplication()))
                .isInstanceOf(IllegalStateException.class)
                .hasMessage("spring.main.register-shutdown-hook=true (from property source 'application') lets "
                        + "Boot close the application at SIGTERM while handoff drains it: remove that setting, or "
                        + "set handoff.termination.enabled=false to keep Boot's shutdown hook instead of handoff's "
                        + "SIGTERM sequence");
    }

    @Test
    void withoutTheSigtermSequenceBootKeepsItsShutdownDefaults() {
        StandardEnvironment environment = postProcessed(Map.of("handoff.termination.enabled", "false",
                "spring.main.register-shutdown-hook", "true"));
        assertThat(environment.getProperty("spring.main.register-shutdown-hook")).isEqualTo("true");
        assertThat(environment.getProperty("server.shutdown")).isNull();
        assertThat(environment.getProperty("spring.lifecycle.timeout-per-shutdown-phase")).isNull();
    }

    @Test
    void offEntirelyItAddsNothing() {
        StandardEnvironment environment = postProcessed(Map.of("handoff.enabled", "false"));
        assertThat(environment.getPropertySources().contains(HandoffEnvironmentPostProcessor.SOURCE_NAME)).isFalse();
    }
}
