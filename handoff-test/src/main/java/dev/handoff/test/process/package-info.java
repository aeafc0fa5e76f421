/**
 * Processes the tests and tools drive from outside: {@link dev.handoff.test.process.LineProcess}, a JVM (an
 * orchestrator, say) driven line by line over its standard input and output, to be killed by PID.
 */
package dev.handoff.test.process;
