package dev.handoff.spring.boot;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import org.junit.jupiter.api.Test;
import org.springframework.boot.WebApplicationType;
import org.springframework.boot.autoconfigure.ImportAutoConfiguration;
import org.springframework.boot.builder.SpringApplicationBuilder;
import org.springframework.boot.context.properties.bind.BindException;
import org.springframework.boot.context.properties.bind.UnboundConfigurationPropertiesException;
import org.springframework.boot.context.properties.bind.validation.BindValidationException;
import org.springframework.context.ConfigurableApplicationContext;
import org.springframework.context.annotation.Configuration;
import org.springframework.core.env.StandardEnvironment;
import org.springframework.core.env.SystemEnvironmentPropertySource;

/**
 * What a newcomer gets at start-up from a wrong {@code handoff.*} setting: the start fails before anything serves,
 * through Boot's own binding report (the property, its value, where it came from, why), instead of a misspelt key
 * ignored in silence or a message buried under the web server's "Unable to start embedded Tomcat".
 */
class SettingsAtStartupTest {

    /** The starter alone, no web server: the settings are bound as in any application. */
    @Configuration(proxyBeanMethods = false)
    @ImportAutoConfiguration(HandoffAutoConfiguration.class)
    static class App {
    }

    private static ConfigurableApplicationContext run(StandardEnvironment environment, String... properties) {
        SpringApplicationBuilder builder = new SpringApplicationBuilder(App.class).web(WebApplicationType.NONE)
                .properties("spring.main.banner-mode=off", "handoff.termination.enabled=false")
                .properties(properties);
        if (environment != null) {
            builder.environment(environment);
        }
        return builder.run();
    }

    private static List<Throwable> causes(Throwable failure) {
        List<Throwable> chain = new ArrayList<>();
        for (Throwable cause = failure; cause != null && !chain.contains(cause); cause = cause.getCause()) {
            chain.add(cause);
        }
        return chain;
    }

    @Test
    void givenAMisspeltPropertyWhenTheApplicationStartsThenItFailsNamingTheProperty() {
        assertThatThrownBy(() -> run(null, "handoff.termination.grace-perod=12s"))
                .satisfies(failure -> assertThat(causes(failure))
                        .anySatisfy(cause -> assertThat(cause).isInstanceOf(UnboundConfigurationPropertiesException.class)
                                .hasMessageContaining("handoff.termination.grace-perod")));
    }

    @Test
    void givenABudgetThatLeavesNoDrainWhenTheApplicationStartsThenBootsBindingReportSaysWhy() {
        assertThatThrownBy(() -> run(null, "handoff.termination.grace-period=5s"))
                .satisfies(failure -> assertThat(causes(failure))
                        .anySatisfy(cause -> assertThat(cause).isInstanceOf(BindException.class)
                                .hasMessageContaining("handoff"))
                        .anySatisfy(cause -> assertThat(cause).isInstanceOf(BindValidationException.class)
                                .hasMessageContaining("handoff.termination.grace-period (PT5S) must be > "
                                        + "propagation-delay + close-budget + margin (PT5S + PT4S + PT1S)")));
    }

    @Test
    void givenAnExitStatusOutOfRangeWhenTheApplicationStartsThenBootsBindingReportNamesIt() {
        assertThatThrownBy(() -> run(null, "handoff.termination.failure-exit-status=0"))
                .satisfies(failure -> assertThat(causes(failure))
                        .anySatisfy(cause -> assertThat(cause).isInstanceOf(BindValidationException.class)
                                .hasMessageContaining("handoff.termination.failure-exit-status must be in 1..255, "
                                        + "but was 0")));
    }

    @Test
    void givenHandoffEnvironmentVariablesAndSystemPropertiesWhenTheApplicationStartsThenTheyAreNotMisspellings() {
        // An orchestrator gives its child JVMs HANDOFF_AGENT_* variables; tools pass -Dhandoff.<tool>.* options
        StandardEnvironment environment = new StandardEnvironment();
        environment.getPropertySources().replace(StandardEnvironment.SYSTEM_ENVIRONMENT_PROPERTY_SOURCE_NAME,
                new SystemEnvironmentPropertySource(StandardEnvironment.SYSTEM_ENVIRONMENT_PROPERTY_SOURCE_NAME,
                        Map.of("HANDOFF_AGENT_ORPHAN_POLICY", "serve", "HANDOFF_PORT_FOLDER", "/tmp/ports")));
        String previous = System.setProperty("handoff.crash-swap.parent", "1");
        try (ConfigurableApplicationContext context = run(environment, "handoff.instance-id=web-7",
                "handoff.termination.grace-period=12s", "handoff.web.idle-threshold=1s")) {
            assertThat(context.getBean(SpringBootInstance.class).id()).isEqualTo("web-7");
            assertThat(context.getBean(HandoffProperties.class).getTermination().getGracePeriod())
                    .hasSeconds(12);
        } finally {
            if (previous == null) {
                System.clearProperty("handoff.crash-swap.parent");
            } else {
                System.setProperty("handoff.crash-swap.parent", previous);
            }
        }
    }
}
