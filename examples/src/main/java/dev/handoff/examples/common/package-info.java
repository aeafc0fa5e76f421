/**
 * Pieces the example commands share: the command-line option parser and the ledger of jobs run.
 */
package dev.handoff.examples.common;
