/**
 * Not API: the orchestrator's write-ahead journal, as storage. {@code Journal} keeps a group's records
 * ({@code JournalRecord}: openings and epochs, members, router bindings, each swap's intent, steps and end) in a state
 * directory: each appended as a checksummed frame forced to disk before the append returns, compacted by an atomic
 * snapshot, read back on open under an exclusive lock, with a torn last frame ignored and any other damage refused.
 * The format and the recovery rules are in the architecture document, "The journal (storage)". Not yet wired into
 * the orchestrator.
 */
package dev.handoff.core.internal.journal;
