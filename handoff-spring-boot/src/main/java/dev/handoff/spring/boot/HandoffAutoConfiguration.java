package dev.handoff.spring.boot;

import dev.handoff.core.process.ChildAgent;
import dev.handoff.spring.boot.internal.InstanceBinding;
import dev.handoff.spring.boot.internal.RabbitParticipant;
import dev.handoff.spring.boot.internal.RequestTrackingFilter;
import dev.handoff.spring.boot.internal.ScheduledParticipant;
import dev.handoff.spring.boot.internal.WebParticipant;

import io.micrometer.core.instrument.MeterRegistry;

import org.springframework.amqp.rabbit.listener.RabbitListenerEndpointRegistry;
import org.springframework.beans.factory.ObjectProvider;
import org.springframework.boot.autoconfigure.AutoConfiguration;
import org.springframework.boot.autoconfigure.condition.ConditionalOnBean;
import org.springframework.boot.autoconfigure.condition.ConditionalOnClass;
import org.springframework.boot.autoconfigure.condition.ConditionalOnProperty;
import org.springframework.boot.autoconfigure.condition.ConditionalOnWebApplication;
import org.springframework.boot.context.properties.EnableConfigurationProperties;
import org.springframework.boot.task.SimpleAsyncTaskSchedulerCustomizer;
import org.springframework.boot.task.ThreadPoolTaskSchedulerCustomizer;
import org.springframework.boot.web.servlet.FilterRegistrationBean;
import org.springframework.context.ConfigurableApplicationContext;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.core.Ordered;
import org.springframework.core.env.Environment;

/**
 * Plays a Spring Boot application as one handoff instance ({@link SpringBootInstance}): its servlet web server
 * (Tomcat or Jetty), its {@code @RabbitListener} containers, its {@code @Scheduled} tasks and the work it declares
 * drain as one, bound to Boot's availability, to SIGTERM ({@code handoff.termination.*}) and to the parent when
 * the application runs as a child JVM. Off with {@code handoff.enabled=false}.
 */
@AutoConfiguration(afterName = {
        "org.springframework.boot.amqp.autoconfigure.RabbitAutoConfiguration",
        "org.springframework.boot.autoconfigure.task.TaskSchedulingAutoConfiguration"})
@ConditionalOnProperty(prefix = "handoff", name = "enabled", matchIfMissing = true)
@EnableConfigurationProperties(HandoffProperties.class)
public class HandoffAutoConfiguration {

    /**
     * @param properties  the settings
     * @param environment for {@code spring.application.name}
     * @return the application's instance
     */
    @Bean
    public SpringBootInstance handoffInstance(HandoffProperties properties, Environment environment) {
        properties.validate();
        String id = properties.getInstanceId();
        if (id.isEmpty()) {
            id = ChildAgent.instanceId().orElseGet(() -> environment.getProperty("spring.application.name",
                    "application"));
        }
        return new SpringBootInstance(id);
    }

    /**
     * @param instance      the instance
     * @param properties    the settings
     * @param context       the application context
     * @param participants  the drain's participants
     * @param web           the web participant, when the application serves HTTP
     * @param meterRegistry Boot's meter registry, when there is one
     * @return the binding of the instance to the application
     */
    @Bean
    public InstanceBinding handoffInstanceBinding(SpringBootInstance instance, HandoffProperties properties,
                                                  ConfigurableApplicationContext context,
                                                  ObjectProvider<DrainParticipant> participants,
                                                  ObjectProvider<WebParticipant> web,
                                                  ObjectProvider<MeterRegistry> meterRegistry) {
        instance.closeWith(context::close);
        return new InstanceBinding(instance, properties, context, participants.orderedStream().toList(),
                web.getIfAvailable(), meterRegistry.getIfAvailable());
    }

    /** The servlet web server: Tomcat or Jetty. */
    @Configuration(proxyBeanMethods = false)
    @ConditionalOnWebApplication(type = ConditionalOnWebApplication.Type.SERVLET)
    @ConditionalOnClass({jakarta.servlet.Filter.class, FilterRegistrationBean.class})
    @ConditionalOnProperty(prefix = "handoff.web", name = "enabled", matchIfMissing = true)
    public static class Web {

        /**
         * @param instance   the instance
         * @param properties the settings
         * @return the web server in the drain
         */
        @Bean
        public WebParticipant handoffWebParticipant(SpringBootInstance instance, HandoffProperties properties) {
            return new WebParticipant(instance, instance.tracker("requests"), properties.getWeb().getIdleThreshold());
        }

        /**
         * @param web the web participant
         * @return the request filter, first of all filters, on request dispatches only
         */
        @Bean
        public FilterRegistrationBean<RequestTrackingFilter> handoffRequestTrackingFilter(WebParticipant web) {
            FilterRegistrationBean<RequestTrackingFilter> registration = new FilterRegistrationBean<>(web.filter());
            registration.setName("handoffRequestTracking");
            registration.setOrder(Ordered.HIGHEST_PRECEDENCE);
            registration.setAsyncSupported(true);
            return registration;
        }
    }

    /** {@code @RabbitListener} containers. */
    @Configuration(proxyBeanMethods = false)
    @ConditionalOnClass(RabbitListenerEndpointRegistry.class)
    @ConditionalOnBean(RabbitListenerEndpointRegistry.class)
    @ConditionalOnProperty(prefix = "handoff.listeners", name = "rabbit", matchIfMissing = true)
    public static class Rabbit {

        /**
         * @param instance   the instance
         * @param registry   the listener containers
         * @param properties the settings
         * @return the containers in the drain
         */
        @Bean
        public RabbitParticipant handoffRabbitParticipant(SpringBootInstance instance,
                                                          RabbitListenerEndpointRegistry registry,
                                                          HandoffProperties properties) {
            return new RabbitParticipant(registry, instance.tracker("rabbit"),
                    properties.getTermination().drainBudget());
        }
    }

    /** {@code @Scheduled} tasks run by Boot's task scheduler. */
    @Configuration(proxyBeanMethods = false)
    @ConditionalOnClass(ThreadPoolTaskSchedulerCustomizer.class)
    @ConditionalOnProperty(prefix = "handoff.listeners", name = "scheduled", matchIfMissing = true)
    public static class Scheduled {

        /**
         * @param instance the instance
         * @return the scheduled tasks in the drain
         */
        @Bean
        public ScheduledParticipant handoffScheduledParticipant(SpringBootInstance instance) {
            return new ScheduledParticipant(instance.tracker("scheduled"));
        }

        /**
         * @param scheduled the participant, as the scheduler's task decorator
         * @return a customizer of Boot's thread pool task scheduler
         */
        @Bean
        public ThreadPoolTaskSchedulerCustomizer handoffThreadPoolTaskSchedulerCustomizer(
                ScheduledParticipant scheduled) {
            return scheduler -> scheduler.setTaskDecorator(scheduled);
        }

        /**
         * @param scheduled the participant, as the scheduler's task decorator
         * @return a customizer of Boot's simple (virtual threads) task scheduler
         */
        @Bean
        public SimpleAsyncTaskSchedulerCustomizer handoffSimpleAsyncTaskSchedulerCustomizer(
                ScheduledParticipant scheduled) {
            return scheduler -> scheduler.setTaskDecorator(scheduled);
        }
    }
}
