/** The sample Spring Boot application that {@code spring-swap} swaps (its own package: Boot scans only it). */
package dev.handoff.examples.springswap.sample;
