/**
 * Not API: the implementation of {@code dev.handoff.core.process}: the control protocol's framing and messages,
 * the parent's and the child's ends of the channel, and the registry of live children.
 */
package dev.handoff.core.internal.process;
