package dev.handoff.examples.common;

/**
 * The whole-number options of the commands that read their own {@code --name=value} arguments
 * ({@code haproxy-children}, {@code spring-swap}), with the messages they print.
 */
public final class BoundedInt {

    private BoundedInt() {
    }

    /**
     * @param name the option's name without {@code --}, for the message
     * @param arg  the argument, {@code --name=value}
     * @param min  the smallest value allowed
     * @param max  the largest value allowed
     * @return the value after the first {@code =}
     * @throws IllegalArgumentException when the value is not a number ({@code --name must be a number, but was 'x'})
     *                                  or not in {@code min..max} ({@code --name must be in 1..100, but was 0})
     */
    public static int parse(String name, String arg, int min, int max) {
        String value = arg.substring(arg.indexOf('=') + 1);
        int parsed;
        try {
            parsed = Integer.parseInt(value);
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("--" + name + " must be a number, but was '" + value + "'");
        }
        if (parsed < min || parsed > max) {
            throw new IllegalArgumentException("--" + name + " must be in " + min + ".." + max + ", but was "
                    + parsed);
        }
        return parsed;
    }
}
