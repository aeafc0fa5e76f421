/** Implementation details of handoff-queue; not API, may change without notice. */
package dev.handoff.queue.internal;
