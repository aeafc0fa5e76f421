package dev.handoff.jetty;

import static org.assertj.core.api.Assertions.assertThat;

import dev.handoff.api.Plan;
import dev.handoff.api.SwapOutcome;
import dev.handoff.api.SwapResult;
import dev.handoff.core.Orchestrator;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.stream.Collectors;
import org.eclipse.jetty.io.Content;
import org.eclipse.jetty.server.Handler;
import org.eclipse.jetty.server.Request;
import org.eclipse.jetty.server.Response;
import org.eclipse.jetty.server.Server;
import org.eclipse.jetty.util.Callback;
import org.junit.jupiter.api.Test;

/** The README's example runs as written, and the README shows exactly the code between the markers below. */
class ReadmeExampleTest {

    @Test
    void readmeExampleSwapsTheServerBehindTheFrontDoor() throws Exception {
        SwapResult result;
        String before;
        String after;
        // README:begin
        // The application: any Jetty 12 handler. Each instance gets a new Server from this factory.
        ServerFactory app = id -> {
            Server server = new Server();
            server.setHandler(new Handler.Abstract() {
                @Override
                public boolean handle(Request request, Response response, Callback callback) {
                    Content.Sink.write(response, true, "hello from " + id, callback);
                    return true;
                }
            });
            return server;
        };
        try (ProxyRouter frontDoor = ProxyRouter.builder().port(0).build().start();
             Orchestrator web = Orchestrator.builder("web", JettyLauncher.builder(app).build(), frontDoor)
                     .drainTimeout(Duration.ofSeconds(30))
                     .build()) {
            web.startAndWait(1, Duration.ofSeconds(30));                    // launch, ready, attach
            before = get(frontDoor.port());                                 // "hello from web-1"
            result = web.swapAndWait(Plan.oneForOne(), Duration.ofSeconds(60));
            after = get(frontDoor.port());                                  // "hello from web-2"
            System.out.println(result.outcome() + " in " + result.duration()); // COMMITTED in PT0.05S
        }   // close() destroys the instances the orchestrator launched (web-2): the program can end
        // README:end
        assertThat(result.outcome()).isEqualTo(SwapOutcome.COMMITTED);
        assertThat(before).startsWith("hello from ");
        assertThat(after).startsWith("hello from ").isNotEqualTo(before);
        assertThat(result.launched()).hasSize(1);
        assertThat(after).isEqualTo("hello from " + result.launched().get(0));
    }

    @Test
    void readmeShowsTheExampleAsTested() throws IOException {
        Path readme = Path.of("..", "README.md");
        Path source = Path.of("src", "test", "java", "dev", "handoff", "jetty", "ReadmeExampleTest.java");
        String code = Files.readString(source, StandardCharsets.UTF_8);
        String example = code.substring(code.indexOf("// README:begin\n") + "// README:begin\n".length(),
                code.indexOf("        // README:end"));
        String unindented = example.lines().map(line -> line.length() >= 8 ? line.substring(8) : line.strip())
                .collect(Collectors.joining("\n"));
        assertThat(Files.readString(readme, StandardCharsets.UTF_8)).contains(unindented);
    }

    private static String get(int port) throws IOException, InterruptedException {
        HttpClient client = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
        HttpRequest request = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/"))
                .timeout(Duration.ofSeconds(10)).build();
        return client.send(request, HttpResponse.BodyHandlers.ofString()).body();
    }
}
