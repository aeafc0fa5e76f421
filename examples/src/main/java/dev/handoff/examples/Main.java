package dev.handoff.examples;

import dev.handoff.examples.crashswap.CrashSwap;
import dev.handoff.examples.demo.Demo;
import dev.handoff.examples.process.HaproxyChildren;
import dev.handoff.examples.queueswap.QueueSwap;
import dev.handoff.examples.springswap.SpringSwap;
import dev.handoff.examples.springswap.sample.SampleBootApp;
import dev.handoff.examples.webswap.WebSwap;
import java.io.PrintStream;
import java.util.Arrays;

/**
 * Entry point of the runnable examples jar: {@code java -jar handoff-examples.jar <command> [options]}. Each
 * command documents its options with {@code --help}.
 */
public final class Main {

    private Main() {
    }

    /**
     * Runs the command named by the first argument and exits with its status (2 for an unknown command).
     *
     * @param args the command, then its options
     */
    public static void main(String[] args) {
        System.exit(run(args, System.out, System.err));
    }

    /**
     * @param args the command, then its options
     * @param out  standard output
     * @param err  standard error
     * @return the exit status
     */
    static int run(String[] args, PrintStream out, PrintStream err) {
        if (args.length == 0) {
            usage(err);
            return 2;
        }
        String[] options = Arrays.copyOfRange(args, 1, args.length);
        switch (args[0]) {
            case "help", "--help", "-h" -> {
                usage(out);
                return 0;
            }
            case "demo" -> {
                return Demo.run(options, out, err);
            }
            case "web-swap" -> {
                return WebSwap.run(options, out, err);
            }
            case "queue-swap" -> {
                return QueueSwap.run(options, out, err);
            }
            case "crash-swap" -> {
                return CrashSwap.run(options, out, err);
            }
            case "haproxy-children" -> {
                return HaproxyChildren.run(options, out, err);
            }
            case "spring-swap" -> {
                return SpringSwap.run(options, out, err);
            }
            case "spring-sample" -> {
                try {
                    SampleBootApp.main(options);
                    return 0;
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    return 1;
                }
            }
            default -> {
                err.println("unknown command: " + args[0]);
                usage(err);
                return 2;
            }
        }
    }

    private static void usage(PrintStream out) {
        out.println("usage: java -jar handoff-examples.jar <command> [options]");
        out.println();
        out.println("commands:");
        out.println("  demo              swap a web app and a queue worker under load, in-process and as child");
        out.println("                    processes, on the embedded defaults; prints a report (--help)");
        out.println("  web-swap          swap a Jetty server under load and count failed requests, per mode (--help)");
        out.println("  queue-swap        swap queue consumers while jobs flow; count lost and duplicated jobs (--help)");
        out.println("  crash-swap        kill supervised members (or restart their broker) under load; count heals,");
        out.println("                    failed requests and lost jobs (--help)");
        out.println("  haproxy-children  serve through a real HAProxy from child JVMs and swap them; used by");
        out.println("                    examples/scripts/external-check.sh (--help)");
        out.println("  spring-swap       swap a sample Spring Boot app (Tomcat or Jetty, web + @RabbitListener) as");
        out.println("                    child JVMs behind HAProxy under load; count failed requests and lost jobs");
        out.println("                    (--help)");
        out.println("  spring-sample     the sample Spring Boot application spring-swap runs as its children");
        out.println("  help              show this message");
    }
}
