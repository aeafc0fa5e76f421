/**
 * The Spring Boot starter: add the dependency and a Boot application (Tomcat or Jetty, {@code @RabbitListener},
 * {@code @Scheduled}) is one handoff instance, configured with {@code handoff.*} properties. Entry points:
 * {@link dev.handoff.spring.boot.SpringBootInstance} (inject it to declare work),
 * {@link dev.handoff.spring.boot.DrainParticipant} (a part of your own in the drain),
 * {@link dev.handoff.spring.boot.HandoffProperties}.
 */
package dev.handoff.spring.boot;
