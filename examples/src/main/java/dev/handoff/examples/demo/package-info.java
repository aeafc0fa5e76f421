/**
 * The {@code demo} command: a web app behind the embedded front door and a queue worker on the in-memory queue,
 * swapped under load in this JVM and as child JVMs, every step shown live, then a report and a RESULT line.
 * {@link dev.handoff.examples.demo.ChildWebApp} is the main class of the child JVMs it starts.
 */
package dev.handoff.examples.demo;
