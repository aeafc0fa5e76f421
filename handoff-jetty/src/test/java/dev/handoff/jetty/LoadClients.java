package dev.handoff.jetty;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.LongAdder;

import org.eclipse.jetty.client.ContentResponse;
import org.eclipse.jetty.client.HttpClient;
import org.eclipse.jetty.util.thread.QueuedThreadPool;

/**
 * Several client threads sending requests to one base URI over keep-alive connections (Jetty's HttpClient, which
 * never retries), each thread up to a bounded number of requests. Every failed attempt is recorded once.
 */
final class LoadClients implements AutoCloseable {

    private final HttpClient client;
    private final String baseUri;
    private final List<Thread> threads = new ArrayList<>();
    private final AtomicBoolean stop = new AtomicBoolean();
    final LongAdder succeeded = new LongAdder();
    final AtomicLong total = new AtomicLong();
    final ConcurrentLinkedQueue<String> failures = new ConcurrentLinkedQueue<>();
    final Map<String, LongAdder> servedBy = new ConcurrentHashMap<>();

    LoadClients(String baseUri, int connections) throws Exception {
        this.baseUri = baseUri;
        QueuedThreadPool pool = new QueuedThreadPool(16);
        pool.setName("load-client");
        pool.setDaemon(true);
        client = new HttpClient();
        client.setExecutor(pool);
        client.setMaxConnectionsPerDestination(connections);
        client.setFollowRedirects(false);
        client.start();
    }

    /** Starts {@code count} threads, each sending at most {@code maxRequests} requests, alternating fast and slow. */
    LoadClients start(int count, int maxRequests) {
        for (int index = 0; index < count; index++) {
            int number = index;
            Thread thread = new Thread(() -> run(number, maxRequests), "load-" + index);
            thread.setDaemon(true);
            threads.add(thread);
            thread.start();
        }
        return this;
    }

    private void run(int number, int maxRequests) {
        for (int sent = 0; sent < maxRequests && !stop.get(); sent++) {
            String path = (sent + number) % 4 == 0 ? "/slow?ms=5" : "/fast";
            send(path);
        }
    }

    /** Sends one request on the calling thread and records its outcome; returns the serving instance or null. */
    String send(String path) {
        total.incrementAndGet();
        try {
            ContentResponse response = client.newRequest(baseUri + path).timeout(20, TimeUnit.SECONDS).send();
            if (response.getStatus() != 200) {
                failures.add(path + " -> HTTP " + response.getStatus() + " " + response.getContentAsString());
                return null;
            }
            String instance = response.getHeaders().get("X-Instance");
            servedBy.computeIfAbsent(instance, key -> new LongAdder()).increment();
            succeeded.increment();
            return instance;
        } catch (Exception e) {
            failures.add(path + " -> " + e);
            return null;
        }
    }

    /** Tells the threads to stop and waits (bounded) until they have. */
    void stopAndJoin() throws InterruptedException {
        stop.set(true);
        for (Thread thread : threads) {
            thread.join(TimeUnit.SECONDS.toMillis(30));
            if (thread.isAlive()) {
                throw new IllegalStateException(thread.getName() + " did not stop within 30 s");
            }
        }
    }

    long served(String instance) {
        LongAdder adder = servedBy.get(instance);
        return adder == null ? 0 : adder.sum();
    }

    @Override
    public void close() throws Exception {
        stop.set(true);
        client.stop();
    }
}
