package dev.handoff.examples.common;

import java.io.PrintStream;
import java.util.List;
import java.util.function.Consumer;
import java.util.function.Function;
import java.util.function.Predicate;

/**
 * The loop over the modes of a command that compares modes ({@code web-swap}, {@code queue-swap}): runs each mode in
 * turn; a mode that throws is reported in an {@code ERROR mode=LABEL: ...} line and the next one runs.
 */
public final class ModeLoop {

    /**
     * Runs one mode and prints its lines.
     *
     * @param <M> the command's modes
     * @param <R> a mode's result
     */
    @FunctionalInterface
    public interface Run<M, R> {
        /**
         * @param mode the mode to run
         * @return its result, its lines printed
         * @throws Exception when the mode could not run
         */
        R run(M mode) throws Exception;
    }

    private ModeLoop() {
    }

    /**
     * @param modes  the modes, in order
     * @param label  a mode's name in the ERROR lines
     * @param run    runs a mode and prints its lines
     * @param failed whether a result fails the command
     * @param done   sees each result, after {@code run} and before {@code out} is flushed
     * @param out    flushed after each mode
     * @param err    the ERROR lines
     * @param <M>    the command's modes
     * @param <R>    a mode's result
     * @return 0, or 1 when a mode threw or {@code failed}
     * @throws InterruptedException when interrupted while a mode runs (reported in {@code ERROR mode=LABEL:
     *                              interrupted} first); the modes after it do not run
     */
    public static <M, R> int runEach(List<M> modes, Function<M, String> label, Run<M, R> run, Predicate<R> failed,
                                     Consumer<R> done, PrintStream out, PrintStream err) throws InterruptedException {
        int status = 0;
        for (M mode : modes) {
            try {
                R result = run.run(mode);
                done.accept(result);
                out.flush();
                if (failed.test(result)) {
                    status = 1;
                }
            } catch (InterruptedException e) {
                err.println("ERROR mode=" + label.apply(mode) + ": interrupted");
                throw e;
            } catch (Exception e) {
                err.println("ERROR mode=" + label.apply(mode) + ": " + e);
                status = 1;
            }
        }
        return status;
    }
}
