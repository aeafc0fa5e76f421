package dev.handoff.benchmarks;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.TimeUnit;

import org.openjdk.jmh.results.RunResult;
import org.openjdk.jmh.runner.Runner;
import org.openjdk.jmh.runner.RunnerException;
import org.openjdk.jmh.runner.options.Options;
import org.openjdk.jmh.runner.options.OptionsBuilder;
import org.openjdk.jmh.runner.options.VerboseMode;

/**
 * The comparison of {@link HandlerBenchmark} made robust against a shared machine, two ways; both print a
 * {@code RESULT} line with the median ratio of handoff's throughput to the bare handler's.
 *
 * <p><b>{@code forks}: JMH forks in pairs.</b> Round after round, one JMH fork of {@code bare} and one of
 * {@code withHandoff} (each a fresh JVM, as {@link HandlerBenchmark} runs them), back to back in alternating order,
 * so that both forks of a pair see the machine of the same minute. A ratio per pair, and their median.
 *
 * <p><b>{@code interleaved}: one JVM, an A/A control beside.</b> Three servers run side by side in one JVM (the bare
 * handler, a second bare handler, and the handler behind handoff) and short batches of requests go to each in
 * turn, in a rotating order, so that every side of a round sees the same machine, the same JIT state and the same
 * moment. Per round it keeps two ratios, handoff / bare and control / bare; the control shows what the harness
 * itself makes of two identical servers (where they sit in the heap, the order they were created in, which
 * successive JVMs rotate), so that the handoff ratio can be read against it. Half the JVMs run the Parallel
 * collector and half G1 (the default). Its own bias: the Jetty call sites the three servers share see every
 * handler chain, so the bare side runs with the profile the handoff side left in them.
 *
 * <p>Why: on a shared two-core machine, two benchmarks forked one after the other can differ by far more than
 * the few percent in question (measured here: {@code withHandoff} 36% <em>faster</em> than {@code bare} in one
 * run, the bare forks having landed on a slow minute); and with G1, the score of the same benchmark moved by up to
 * 50% from one fork to the next.
 *
 * <pre>
 * java -cp benchmarks/target/benchmarks.jar dev.handoff.benchmarks.HandlerOverheadMain forks [pairs]
 * java -cp benchmarks/target/benchmarks.jar dev.handoff.benchmarks.HandlerOverheadMain interleaved [jvmsPerCollector]
 * </pre>
 */
public final class HandlerOverheadMain {

    private static final String CHILD = "--child";
    private static final int DEFAULT_JVMS = 6;
    private static final int DEFAULT_PAIRS = 8;
    private static final String USAGE = "usage: HandlerOverheadMain forks [pairs] | interleaved [jvmsPerCollector]";
    private static final int BATCH = 4_000;
    private static final int WARM_UP_ROUNDS = 150;
    private static final int ROUNDS = 240;
    private static final int[][] ORDERS = {{0, 1, 2}, {1, 2, 0}, {2, 0, 1}, {0, 2, 1}, {2, 1, 0}, {1, 0, 2}};

    private HandlerOverheadMain() {
    }

    /**
     * @param args {@code forks [pairs]} (default 8 pairs) or {@code interleaved [jvmsPerCollector]} (default 6, two
     *             per creation order); {@code --child R} runs one interleaved measurement in this JVM
     * @throws Exception when a server fails, JMH fails or a child JVM fails
     */
    public static void main(String[] args) throws Exception {
        if (args.length == 2 && CHILD.equals(args[0])) {
            System.out.println(measure(Integer.parseInt(args[1])));
            return;
        }
        String mode = args.length == 0 ? "" : args[0];
        int count = args.length < 2 ? 0 : Integer.parseInt(args[1]);
        if (args.length > 2 || count < 0) {
            throw new IllegalArgumentException(USAGE);
        }
        switch (mode) {
            case "forks" -> forks(count == 0 ? DEFAULT_PAIRS : count);
            case "interleaved" -> interleaved(count == 0 ? DEFAULT_JVMS : count);
            default -> throw new IllegalArgumentException(USAGE + "; got mode '" + mode + "'");
        }
    }

    private static void forks(int pairs) throws RunnerException {
        System.out.printf(Locale.ROOT, "%5s %14s %14s %8s%n", "pair", "bare ops/s", "handoff ops/s", "ratio");
        List<Double> ratios = new ArrayList<>();
        for (int pair = 1; pair <= pairs; pair++) {
            double bare;
            double handoff;
            if (pair % 2 == 1) {
                bare = jmhFork("bare");
                handoff = jmhFork("withHandoff");
            } else {
                handoff = jmhFork("withHandoff");
                bare = jmhFork("bare");
            }
            ratios.add(handoff / bare);
            System.out.printf(Locale.ROOT, "%5d %14.0f %14.0f %8.3f%n", pair, bare, handoff, handoff / bare);
        }
        double median = quantile(sorted(ratios), 0.5);
        System.out.printf(Locale.ROOT, "RESULT mode=forks pairs=%d handoff/bare=%s loss_pct=%.1f%n", pairs,
                summary(ratios), (1 - median) * 100);
    }

    /** @return the score of one fork of the benchmark, with the forks' settings of {@link HandlerBenchmark} */
    private static double jmhFork(String benchmark) throws RunnerException {
        Options options = new OptionsBuilder()
                .include(HandlerBenchmark.class.getName() + "\\." + benchmark + "$")
                .forks(1)
                .verbosity(VerboseMode.SILENT)
                .build();
        RunResult result = new Runner(options).runSingle();
        return result.getPrimaryResult().getScore();
    }

    private static void interleaved(int jvms) throws IOException, InterruptedException {
        for (String collector : new String[] {"-XX:+UseParallelGC", "-XX:+UseG1GC"}) {
            System.out.printf(Locale.ROOT, "%s%n%4s %12s %12s %12s %16s %16s%n", collector, "jvm", "bare ops/s",
                    "control", "handoff", "handoff/bare", "control/bare");
            List<Double> handoffRatios = new ArrayList<>();
            List<Double> controlRatios = new ArrayList<>();
            for (int jvm = 1; jvm <= jvms; jvm++) {
                String[] fields = runChild(collector, jvm % 3).trim().split(" ");
                double[] rates = {Double.parseDouble(fields[0]), Double.parseDouble(fields[1]),
                        Double.parseDouble(fields[2])};
                List<Double> handoff = new ArrayList<>();
                List<Double> control = new ArrayList<>();
                for (int field = 3; field + 1 < fields.length; field += 2) {
                    handoff.add(Double.parseDouble(fields[field]));
                    control.add(Double.parseDouble(fields[field + 1]));
                }
                handoffRatios.addAll(handoff);
                controlRatios.addAll(control);
                System.out.printf(Locale.ROOT, "%4d %12.0f %12.0f %12.0f %16s %16s%n", jvm, rates[0], rates[1],
                        rates[2], summary(handoff), summary(control));
            }
            double handoffMedian = quantile(sorted(handoffRatios), 0.5);
            double controlMedian = quantile(sorted(controlRatios), 0.5);
            System.out.printf(Locale.ROOT, "RESULT mode=interleaved collector=%s jvms=%d rounds=%d"
                            + " handoff/bare=%s control/bare=%s loss_pct=%.1f loss_vs_control_pct=%.1f%n",
                    collector.substring("-XX:+Use".length()), jvms, handoffRatios.size(), summary(handoffRatios),
                    summary(controlRatios),
                    (1 - handoffMedian) * 100, (1 - handoffMedian / controlMedian) * 100);
        }
    }

    /** @return "median (q1..q3)" */
    private static String summary(List<Double> ratios) {
        double[] values = sorted(ratios);
        return String.format(Locale.ROOT, "%.3f(%.3f..%.3f)", quantile(values, 0.5), quantile(values, 0.25),
                quantile(values, 0.75));
    }

    private static double[] sorted(List<Double> values) {
        return values.stream().mapToDouble(Double::doubleValue).sorted().toArray();
    }

    private static String runChild(String collector, int rotation) throws IOException, InterruptedException {
        Path java = Path.of(System.getProperty("java.home"), "bin", "java");
        Path output = Files.createTempFile("handler-overhead-", ".txt");
        try {
            Process child = new ProcessBuilder(java.toString(), "-Xms1g", "-Xmx1g", collector, "-cp",
                    System.getProperty("java.class.path"), HandlerOverheadMain.class.getName(), CHILD,
                    Integer.toString(rotation))
                    .redirectOutput(output.toFile())
                    .redirectError(ProcessBuilder.Redirect.DISCARD)
                    .start();
            if (!child.waitFor(5, TimeUnit.MINUTES)) {
                child.destroyForcibly();
                throw new IllegalStateException("measuring JVM did not finish within 5 minutes");
            }
            List<String> lines = Files.readAllLines(output, StandardCharsets.US_ASCII);
            if (child.exitValue() != 0 || lines.isEmpty()) {
                throw new IllegalStateException("measuring JVM failed with exit code " + child.exitValue());
            }
            return lines.get(lines.size() - 1);
        } finally {
            Files.deleteIfExists(output);
        }
    }

    /**
     * @param rotation which of the three servers is created first (0, 1 or 2): where a server sits in the heap
     *                 shows in its throughput, so successive JVMs rotate the creation order
     * @return "bare control handoff" throughputs in ops/s, then per round the ratios handoff/bare and
     *     control/bare
     */
    private static String measure(int rotation) throws Exception {
        HandlerBenchmark.Target[] targets = {new HandlerBenchmark.Bare(), new HandlerBenchmark.Bare(),
                new HandlerBenchmark.WithHandoff()};
        List<HandlerBenchmark.Target> started = new ArrayList<>();
        try {
            for (int i = 0; i < targets.length; i++) {
                HandlerBenchmark.Target target = targets[(rotation + i) % targets.length];
                target.start();
                started.add(target);
            }
            long[] nanos = new long[targets.length];
            for (int round = 0; round < WARM_UP_ROUNDS; round++) {
                for (int index : ORDERS[round % ORDERS.length]) {
                    batch(targets[index]);
                }
            }
            StringBuilder ratios = new StringBuilder();
            long[] total = new long[targets.length];
            for (int round = 0; round < ROUNDS; round++) {
                for (int index : ORDERS[round % ORDERS.length]) {
                    nanos[index] = batch(targets[index]);
                    total[index] += nanos[index];
                }
                ratios.append(' ').append((double) nanos[0] / nanos[2])
                        .append(' ').append((double) nanos[0] / nanos[1]);
            }
            StringBuilder line = new StringBuilder();
            for (long sum : total) {
                line.append((double) ROUNDS * BATCH * 1e9 / sum).append(' ');
            }
            return line.toString().trim() + ratios;
        } finally {
            for (int index = started.size() - 1; index >= 0; index--) {
                started.get(index).stop();
            }
        }
    }

    /** @return the nanoseconds one batch of exchanges took */
    private static long batch(HandlerBenchmark.Target target) {
        long start = System.nanoTime();
        for (int i = 0; i < BATCH; i++) {
            target.exchange();
        }
        return System.nanoTime() - start;
    }

    private static double quantile(double[] sorted, double q) {
        double position = q * (sorted.length - 1);
        int lower = (int) Math.floor(position);
        int upper = (int) Math.ceil(position);
        return sorted[lower] + (sorted[upper] - sorted[lower]) * (position - lower);
    }
}
