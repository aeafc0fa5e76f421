/**
 * Pieces the example commands share: the command-line option parser, the ledger of jobs run, the report file
 * option and the step medians they print.
 */
package dev.handoff.examples.common;
