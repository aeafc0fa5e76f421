package dev.handoff.api;

import dev.handoff.api.spi.Launcher;

import java.util.Objects;

/**
 * What a swap deploys: a label people recognise (a version, a build, a commit) and how to launch instances of it.
 * An orchestrator knows which release each of its members runs, keeps a short history of the releases it deployed,
 * and can swap back to the previous good one in one call.
 *
 * <pre>{@code
 * Release v2 = Release.of("2.4.1", ChildProcessLauncher.builder(...jar of 2.4.1...).build());
 * orchestrator.swap(v2, Plan.rolling(1, 0));
 * ...
 * orchestrator.swapBack(Plan.rolling(1, 0));   // to the release before 2.4.1
 * }</pre>
 *
 * <p>Two releases are equal when their labels are: a label names one release of a group. Immutable and
 * thread-safe (the launcher must be thread-safe).
 */
public final class Release {

    private final String label;
    private final Launcher launcher;

    private Release(String label, Launcher launcher) {
        this.label = label;
        this.launcher = launcher;
    }

    /**
     * @param label    the release's label: 1 to 128 printable characters without white space, e.g. {@code 2.4.1}
     * @param launcher starts instances of this release (step 1)
     * @return the release
     * @throws NullPointerException     when an argument is null
     * @throws IllegalArgumentException when the label is empty, longer than 128 characters, or holds white space
     *                                  or a control character
     */
    public static Release of(String label, Launcher launcher) {
        Objects.requireNonNull(label, "label must not be null");
        Objects.requireNonNull(launcher, "launcher must not be null");
        if (label.isEmpty() || label.length() > 128
                || label.chars().anyMatch(c -> Character.isWhitespace(c) || Character.isISOControl(c))) {
            throw new IllegalArgumentException("label must be 1 to 128 characters without white space, but was '"
                    + label.replace("\n", "\\n").replace("\r", "\\r") + "'");
        }
        return new Release(label, launcher);
    }

    /** @return the label, e.g. {@code 2.4.1} */
    public String label() {
        return label;
    }

    /** @return what starts instances of this release */
    public Launcher launcher() {
        return launcher;
    }

    @Override
    public boolean equals(Object other) {
        return other instanceof Release release && release.label.equals(label);
    }

    @Override
    public int hashCode() {
        return label.hashCode();
    }

    @Override
    public String toString() {
        return label;
    }
}
