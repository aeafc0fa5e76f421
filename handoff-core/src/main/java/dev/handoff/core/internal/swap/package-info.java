/**
 * The orchestrator's implementation: the group state and swap admission ({@code SwapEngine}), one plan run
 * ({@code SwapRun}), one instance swap with its rollback and re-admission ({@code Pair}), bounded waits
 * ({@code Wait}) and the serial executor every continuation runs on. Not API: may change without notice.
 */
package dev.handoff.core.internal.swap;
