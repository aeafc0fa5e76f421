/** Events emitted for each step of a swap, and the listener that receives them. */
package dev.handoff.api.event;
