/**
 * Pieces the example commands share: the command-line option parser, the ledger of jobs run, the report file
 * option and the step medians they print; the whole-number options of the commands that read their own arguments;
 * a web group of child JVMs behind a throwaway HAProxy.
 */
package dev.handoff.examples.common;
