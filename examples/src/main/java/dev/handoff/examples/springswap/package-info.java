/**
 * The {@code spring-swap} command: swaps a sample Spring Boot application (Tomcat or Jetty, web and a
 * {@code @RabbitListener}) as child JVMs behind a throwaway HAProxy, under load from clients that never retry, and
 * counts failed requests and lost or duplicated jobs.
 */
package dev.handoff.examples.springswap;
