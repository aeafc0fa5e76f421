package dev.handoff.jetty;

import dev.handoff.api.Lifecycle;
import dev.handoff.api.spi.Launcher;
import dev.handoff.jetty.internal.Blocking;
import dev.handoff.jetty.internal.Checks;
import dev.handoff.jetty.internal.Protocols;

import java.util.Objects;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.Executor;
import java.util.function.Consumer;

import org.eclipse.jetty.server.Server;
import org.eclipse.jetty.server.ServerConnector;

/**
 * Step 1 for in-process Jetty: builds the new {@link Server} with the user's {@link ServerFactory}, gives it an
 * internal connector on {@code 127.0.0.1}, port 0 (HTTP/1.1 and h2c, the selector accepting) when the factory
 * added none, installs a {@link JettyHandoff} unless the factory did, and starts it. Nothing routes to it until a
 * router attaches it.
 *
 * <pre>{@code
 * Launcher launcher = JettyLauncher.builder(id -> {
 *     Server server = new Server();
 *     server.setHandler(new MyApplication(id));
 *     return server;
 * }).build();
 * }</pre>
 *
 * <p>Thread-safe; immutable once built.
 */
public final class JettyLauncher implements Launcher {

    private final ServerFactory factory;
    private final String host;
    private final Executor blocking;
    private final Consumer<JettyHandoff.Builder> handoffCustomizer;

    private JettyLauncher(Builder builder) {
        this.factory = builder.factory;
        this.host = builder.host;
        this.blocking = builder.blocking;
        this.handoffCustomizer = builder.handoffCustomizer;
    }

    /**
     * @param factory builds each new server
     * @return a builder
     * @throws NullPointerException when {@code factory} is null
     */
    public static Builder builder(ServerFactory factory) {
        return new Builder(Objects.requireNonNull(factory, "factory must not be null"));
    }

    /**
     * {@inheritDoc}
     *
     * <p>Completes exceptionally when the factory throws or the server fails to start (a port already bound, a
     * handler that fails); the server is then stopped.
     */
    @Override
    public CompletionStage<Lifecycle> launch(String instanceId) {
        Objects.requireNonNull(instanceId, "instanceId must not be null");
        CompletableFuture<Lifecycle> launched = new CompletableFuture<>();
        blocking.execute(() -> {
            Server server = null;
            try {
                server = factory.create(instanceId);
                if (server == null) {
                    throw new IllegalStateException("factory returned no server for instance '" + instanceId + "'");
                }
                if (server.getConnectors().length == 0) {
                    server.addConnector(internalConnector(server));
                }
                JettyHandoff handoff = JettyHandoff.of(server).orElse(null);
                if (handoff == null) {
                    JettyHandoff.Builder builder = JettyHandoff.builder(server);
                    handoffCustomizer.accept(builder);
                    handoff = builder.id(instanceId).install();
                } else if (!handoff.id().equals(instanceId)) {
                    throw new IllegalStateException("the factory installed a JettyHandoff with id '" + handoff.id()
                            + "' into the server of instance '" + instanceId + "': an instance has one id; install"
                            + " it with .id(id), the id the factory is given, or let the launcher install it");
                }
                server.start();
                launched.complete(handoff);
            } catch (Throwable e) {
                stopQuietly(server, e);
                launched.completeExceptionally(e);
            }
        });
        return launched;
    }

    private ServerConnector internalConnector(Server server) {
        ServerConnector connector = new ServerConnector(server, 0, 1, Protocols.http1AndH2c());
        connector.setHost(host);
        return connector;
    }

    private static void stopQuietly(Server server, Throwable cause) {
        if (server == null) {
            return;
        }
        try {
            server.stop();
        } catch (Exception e) {
            cause.addSuppressed(e);
        }
    }

    /** Configures a {@link JettyLauncher}. Not thread-safe. */
    public static final class Builder {
        private final ServerFactory factory;
        private String host = "127.0.0.1";
        private Executor blocking = Blocking.EXECUTOR;
        private Consumer<JettyHandoff.Builder> handoffCustomizer = builder -> { };

        private Builder(ServerFactory factory) {
            this.factory = factory;
        }

        /**
         * @param host the internal connector's address; default {@code 127.0.0.1}
         * @return this builder
         * @throws IllegalArgumentException when blank
         */
        public Builder host(String host) {
            this.host = Checks.notBlank("host", host);
            return this;
        }

        /**
         * @param executor runs the factory and the blocking {@code start()}; default a shared pool of daemon
         *                 threads
         * @return this builder
         */
        public Builder blockingExecutor(Executor executor) {
            this.blocking = Objects.requireNonNull(executor, "executor must not be null");
            return this;
        }

        /**
         * @param customizer configures the {@link JettyHandoff} the launcher installs (when the factory did not); its
         *                   id is always the instance's
         * @return this builder
         */
        public Builder handoff(Consumer<JettyHandoff.Builder> customizer) {
            this.handoffCustomizer = Objects.requireNonNull(customizer, "handoff customizer must not be null");
            return this;
        }

        /** @return the launcher */
        public JettyLauncher build() {
            return new JettyLauncher(this);
        }
    }
}
