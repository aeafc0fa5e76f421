/**
 * The implementation of the Spring Boot starter: request tracking, the web servers' connections, listener
 * containers, scheduled tasks, the child JVM's port report. Not API.
 */
package dev.handoff.spring.boot.internal;
