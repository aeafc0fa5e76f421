package dev.handoff.examples.common;

import java.util.HashSet;
import java.util.NoSuchElementException;
import java.util.Objects;
import java.util.Set;
import java.util.function.Function;

/**
 * Reads a command line of {@code --name=value} and {@code --name value} options, flags ({@code --name}, no value)
 * and {@code --help} / {@code -h}, one option at a time; each command gives the meaning and validates the values.
 * Every problem is reported as the command's own usage exception, made from a message that names the option and
 * the value received. Not thread-safe: one parser reads one command line.
 *
 * @param <E> the command's usage exception
 */
public final class OptionParser<E extends Exception> {

    /**
     * One option read from the command line.
     *
     * @param name  the name without its leading {@code --}
     * @param value the value; null for a flag given without {@code =value}
     * @param help  whether this is {@code --help} or {@code -h} (name and value are then {@code help} and null)
     */
    public record Option(String name, String value, boolean help) {
    }

    private final String[] args;
    private final Set<String> flags;
    private final Function<String, E> usageError;
    private final Set<String> seen = new HashSet<>();
    private int next;

    /**
     * @param args       the arguments after the command's name
     * @param flags      the names of the options that take no value unless given as {@code --name=value}
     * @param usageError makes the command's usage exception from a message
     * @throws NullPointerException when an argument is null
     */
    public OptionParser(String[] args, Set<String> flags, Function<String, E> usageError) {
        this.args = args.clone();
        this.flags = Set.copyOf(flags);
        this.usageError = Objects.requireNonNull(usageError, "usageError must not be null");
    }

    /** @return whether an argument is left to read */
    public boolean hasNext() {
        return next < args.length;
    }

    /**
     * Reads the next option: {@code --name=value}; a flag's {@code --name}; or any other {@code --name} followed by
     * its value as the next argument.
     *
     * @return the option
     * @throws E                             when the argument is not an option, names an option already given, or
     *                                       names one that needs a value and is the last argument
     * @throws NoSuchElementException         when no argument is left
     */
    public Option next() throws E {
        if (!hasNext()) {
            throw new NoSuchElementException("no argument left");
        }
        String arg = args[next++];
        if (arg.equals("--help") || arg.equals("-h")) {
            return new Option("help", null, true);
        }
        if (!arg.startsWith("--") || arg.length() == 2) {
            throw usageError.apply("unexpected argument '" + arg + "' (options look like --name=value)");
        }
        String name;
        String value;
        int equals = arg.indexOf('=');
        if (equals >= 0) {
            name = arg.substring(2, equals);
            value = arg.substring(equals + 1);
        } else {
            name = arg.substring(2);
            value = null;
        }
        if (!seen.add(name)) {
            throw usageError.apply("--" + name + " given twice");
        }
        if (value == null && !flags.contains(name)) {
            if (!hasNext()) {
                throw usageError.apply("--" + name + " needs a value");
            }
            value = args[next++];
        }
        return new Option(name, value, false);
    }

    /**
     * @param name  the option, for the message
     * @param value its value; surrounding white space is ignored
     * @param min   the smallest value allowed
     * @param max   the largest value allowed
     * @return the value as a number
     * @throws E when the value is not a whole number in {@code min..max}
     */
    public int intValue(String name, String value, int min, int max) throws E {
        int parsed;
        try {
            parsed = Integer.parseInt(value.strip());
        } catch (NumberFormatException e) {
            throw usageError.apply("--" + name + " must be a whole number, but was '" + value + "'");
        }
        if (parsed < min || parsed > max) {
            throw usageError.apply("--" + name + " must be between " + min + " and " + max + ", but was " + parsed);
        }
        return parsed;
    }
}
