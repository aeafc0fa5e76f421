package dev.handoff.jetty.process;

import dev.handoff.api.Lifecycle;
import dev.handoff.api.spi.Launcher;
import dev.handoff.core.process.ChildProcessInstance;
import dev.handoff.core.process.ChildProcessLauncher;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;

/**
 * Starts {@link WebChild} JVMs for a test, records every one, and destroys them by PID at the end (the agent's
 * EXIT, then SIGTERM, then SIGKILL). Child output goes to {@code target/child-logs/<test>.log}.
 */
final class Children implements Launcher, AutoCloseable {

    final ChildPorts ports = ChildPorts.create();
    private final ChildProcessLauncher launcher;
    final List<ChildProcessInstance> launched = new CopyOnWriteArrayList<>();

    Children(String testName, String... arguments) throws Exception {
        Path logs = Path.of("target", "child-logs");
        Files.createDirectories(logs);
        launcher = ports.configure(ChildProcessLauncher.builder()
                        .mainClass(WebChild.class.getName(), System.getProperty("java.class.path"))
                        .jvmOptions("-Xmx96m", "-XX:TieredStopAtLevel=1", "-XX:+UseSerialGC",
                                "-Dorg.slf4j.simpleLogger.showDateTime=true",
                                "-Dorg.slf4j.simpleLogger.dateTimeFormat=HH:mm:ss.SSS")
                        .arguments(arguments)
                        .output(ProcessBuilder.Redirect.appendTo(logs.resolve(testName + ".log").toFile())))
                .build();
    }

    @Override
    public CompletionStage<Lifecycle> launch(String instanceId) {
        return launcher.launch(instanceId).thenApply(instance -> {
            launched.add((ChildProcessInstance) instance);
            return instance;
        });
    }

    /** Launches one child outside an orchestrator and waits until it is ready. */
    ChildProcessInstance start(String instanceId) throws Exception {
        ChildProcessInstance child = (ChildProcessInstance) launch(instanceId).toCompletableFuture()
                .get(30, TimeUnit.SECONDS);
        child.whenReady().toCompletableFuture().get(30, TimeUnit.SECONDS);
        return child;
    }

    ChildProcessInstance byId(String id) {
        return launched.stream().filter(child -> child.id().equals(id)).findFirst().orElseThrow();
    }

    @Override
    public void close() throws Exception {
        List<CompletableFuture<Void>> destroyed = launched.stream()
                .map(child -> child.destroy().toCompletableFuture()).toList();
        try {
            CompletableFuture.allOf(destroyed.toArray(new CompletableFuture[0])).get(30, TimeUnit.SECONDS);
        } finally {
            for (ChildProcessInstance child : launched) {
                child.processHandle().destroyForcibly();
            }
            ports.close();
        }
    }
}
