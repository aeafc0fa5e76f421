package dev.handoff.examples.readme;

import dev.handoff.api.Plan;
import dev.handoff.api.Release;
import dev.handoff.api.SwapResult;
import dev.handoff.core.Orchestrator;
import dev.handoff.jetty.JettyHandoff;
import dev.handoff.jetty.JettyLauncher;
import dev.handoff.jetty.ProxyRouter;
import dev.handoff.queue.ConsumerLauncher;
import dev.handoff.queue.HandoffConsumer;
import dev.handoff.queue.InMemoryJobQueue;
import dev.handoff.queue.SubscriptionRouter;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentMap;

import org.eclipse.jetty.io.Content;
import org.eclipse.jetty.server.Handler;
import org.eclipse.jetty.server.Request;
import org.eclipse.jetty.server.Response;
import org.eclipse.jetty.server.Server;
import org.eclipse.jetty.server.ServerConnector;
import org.eclipse.jetty.util.Callback;

/**
 * The README's second example, run as a test in a JVM of its own ({@code JoinExampleTest}): a program that already
 * runs a Jetty server and a queue consumer hands both to orchestrators, deploys release 1.1 of each, and ends on its
 * own. The README shows exactly the code between the markers.
 */
public final class JoinExample {

    private JoinExample() {
    }

    /**
     * @param args none
     * @throws Exception when anything fails (the test sees a non-zero exit)
     */
    public static void main(String[] args) throws Exception {
        // README:begin
        // A program that already runs release 1.0 of a web server and of a queue worker:
        Server server = webServer("1.0");
        JettyHandoff web = JettyHandoff.builder(server).id("web-1.0").install();
        server.start();
        InMemoryJobQueue jobs = InMemoryJobQueue.create("jobs", 1_000);
        ConcurrentMap<String, String> done = new ConcurrentHashMap<>();
        HandoffConsumer worker = worker("worker-1.0", jobs, done, "1.0");
        worker.connect();

        // The orchestrators are built with the release the joined instances run, so they know it and can go back
        Release web10 = Release.of("1.0", JettyLauncher.builder(id -> webServer("1.0")).build());
        Release web11 = Release.of("1.1", JettyLauncher.builder(id -> webServer("1.1")).build());
        Release worker10 = Release.of("1.0", new ConsumerLauncher(id -> worker(id, jobs, done, "1.0")));
        Release worker11 = Release.of("1.1", new ConsumerLauncher(id -> worker(id, jobs, done, "1.1")));
        try (ProxyRouter frontDoor = ProxyRouter.builder().port(0).build().start();
             Orchestrator webGroup = Orchestrator.builder("web", web10, frontDoor).build();
             Orchestrator workers = Orchestrator.builder("worker", worker10, new SubscriptionRouter()).build()) {
            webGroup.joinAndWait(Duration.ofSeconds(10), web);      // ready, then attached to the front door
            workers.joinAndWait(Duration.ofSeconds(10), worker);    // ready, then subscribed
            System.out.println(get(frontDoor.port()));             // "release 1.0"

            SwapResult swapped = webGroup.swapAndWait(web11, Plan.oneForOne(), Duration.ofSeconds(60));
            workers.swapAndWait(worker11, Plan.oneForOne(), Duration.ofSeconds(60));
            jobs.offer("job-1", new byte[0]);
            System.out.println(swapped.outcome() + " " + get(frontDoor.port()));   // "COMMITTED release 1.1"
            System.out.println("web releases " + webGroup.releases());          // "[1.0, 1.1]": swapBack() returns
        }   // the swaps retired the 1.0 instances; close() destroys the 1.1 ones the orchestrators launched
        jobs.close();
        // README:end
        System.out.println("job-1 done by " + done.get("job-1"));
    }

    private static Server webServer(String release) {
        Server server = new Server();
        ServerConnector connector = new ServerConnector(server);
        connector.setHost("127.0.0.1");
        server.addConnector(connector);
        server.setHandler(new Handler.Abstract() {
            @Override
            public boolean handle(Request request, Response response, Callback callback) {
                Content.Sink.write(response, true, "release " + release, callback);
                return true;
            }
        });
        return server;
    }

    private static HandoffConsumer worker(String id, InMemoryJobQueue jobs, ConcurrentMap<String, String> done,
                                          String release) {
        return HandoffConsumer.builder(id).source(jobs::connect)
                .handler(job -> done.put(job.id(), release))
                .build();
    }

    private static String get(int port) throws Exception {
        HttpClient client = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
        HttpRequest request = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/"))
                .timeout(Duration.ofSeconds(10)).build();
        return client.send(request, HttpResponse.BodyHandlers.ofString()).body();
    }
}
