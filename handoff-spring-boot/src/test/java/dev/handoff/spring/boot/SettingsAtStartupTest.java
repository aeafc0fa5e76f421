package dev.handoff.spring.boot;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;

import dev.handoff.spring.boot.internal.InstanceBinding;

import org.junit.jupiter.api.Test;
import org.slf4j.LoggerFactory;
import org.springframework.boot.WebApplicationType;
import org.springframework.boot.autoconfigure.ImportAutoConfiguration;
import org.springframework.boot.builder.SpringApplicationBuilder;
import org.springframework.boot.context.event.ApplicationPreparedEvent;
import org.springframework.boot.context.properties.bind.BindException;
import org.springframework.boot.context.properties.bind.UnboundConfigurationPropertiesException;
import org.springframework.boot.context.properties.bind.validation.BindValidationException;
import org.springframework.context.ApplicationListener;
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

    /**
     * Starts the application with command-line arguments (an application's own settings, above the starter's
     * defaults), capturing what {@link InstanceBinding} logs once Boot has set its logging up.
     */
    private static ConfigurableApplicationContext runCapturing(ListAppender<ILoggingEvent> appender,
                                                               String... arguments) {
        appender.start();
        return new SpringApplicationBuilder(App.class).web(WebApplicationType.NONE)
                .properties("spring.main.banner-mode=off")
                .listeners((ApplicationListener<ApplicationPreparedEvent>) prepared ->
                        ((Logger) LoggerFactory.getLogger(InstanceBinding.class)).addAppender(appender))
                .run(arguments);
    }

    @Test
    void givenBootsShutdownPhaseLongerThanTheCloseBudgetWhenTheApplicationStartsThenAWarningSaysItIsCutShort() {
        ListAppender<ILoggingEvent> appender = new ListAppender<>();
        try (ConfigurableApplicationContext context = runCapturing(appender, "--server.shutdown=graceful",
                "--spring.lifecycle.timeout-per-shutdown-phase=20s")) {
            assertThat(appender.list).filteredOn(event -> event.getLevel() == Level.WARN)
                    .extracting(ILoggingEvent::getFormattedMessage)
                    .containsExactly("spring.lifecycle.timeout-per-shutdown-phase (PT20S) is longer than "
                            + "handoff.termination.close-budget (PT4S): at SIGTERM a close that lasts longer is "
                            + "cut short at PT4S, with the failure exit status; raise close-budget (and "
                            + "grace-period) instead");
        } finally {
            ((Logger) LoggerFactory.getLogger(InstanceBinding.class)).detachAppender(appender);
        }
    }

    @Test
    void givenBootsShutdownPhaseWithinTheCloseBudgetWhenTheApplicationStartsThenNoWarning() {
        ListAppender<ILoggingEvent> appender = new ListAppender<>();
        try (ConfigurableApplicationContext context = runCapturing(appender, "--server.shutdown=graceful",
                "--spring.lifecycle.timeout-per-shutdown-phase=3s")) {
            assertThat(appender.list).extracting(ILoggingEvent::getFormattedMessage)
                    .anySatisfy(message -> assertThat(message).contains("SIGTERM plays"))
                    .noneSatisfy(message -> assertThat(message).contains("timeout-per-shutdown-phase"));
        } finally {
            ((Logger) LoggerFactory.getLogger(InstanceBinding.class)).detachAppender(appender);
        }
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
