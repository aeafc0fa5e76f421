package dev.handoff.spring.boot.internal;

import dev.handoff.core.InFlightTracker;
import dev.handoff.spring.boot.DrainParticipant;

import com.rabbitmq.client.Channel;

import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicLong;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.slf4j.MDC;
import org.springframework.amqp.ImmediateRequeueAmqpException;
import org.springframework.amqp.core.AcknowledgeMode;
import org.springframework.amqp.core.Message;
import org.springframework.amqp.core.MessageListener;
import org.springframework.amqp.rabbit.listener.AbstractMessageListenerContainer;
import org.springframework.amqp.rabbit.listener.MessageListenerContainer;
import org.springframework.amqp.rabbit.listener.RabbitListenerEndpointRegistry;
import org.springframework.amqp.rabbit.listener.api.ChannelAwareMessageListener;
import org.springframework.context.SmartLifecycle;

/**
 * The {@code @RabbitListener} containers in the drain. Before the containers start, each one's listener is wrapped
 * to count the messages it runs (in the instance's {@code rabbit} tracker, and by listener for the deadline's list),
 * the container is set to requeue its prefetched messages when stopped ({@code forceStop}), and its shutdown timeout
 * is the drain budget. Stop-accepting stops every container (cancels its consumers, finishes the messages running,
 * requeues the prefetched ones), each on a thread of its own since a container's stop blocks; the drain completes
 * when they have stopped. A message delivered after the intake closed is requeued at once, unprocessed. Re-admission
 * starts them again. Not API. Thread-safe.
 */
public final class RabbitParticipant implements DrainParticipant, SmartLifecycle {

    private static final Logger LOG = LoggerFactory.getLogger(RabbitParticipant.class);

    private final RabbitListenerEndpointRegistry registry;
    private final InFlightTracker tracker;
    private final Duration shutdownTimeout;
    private final List<CountingListener> listeners = new CopyOnWriteArrayList<>();
    private final Object lock = new Object();
    private CompletableFuture<Void> stopped;
    private volatile boolean running;

    /**
     * @param registry        the listener containers
     * @param tracker         the instance's tracker of listener messages
     * @param shutdownTimeout how long a container's stop waits for the messages running (the drain budget)
     */
    public RabbitParticipant(RabbitListenerEndpointRegistry registry, InFlightTracker tracker,
                             Duration shutdownTimeout) {
        this.registry = registry;
        this.tracker = tracker;
        this.shutdownTimeout = shutdownTimeout;
    }

    @Override
    public String name() {
        return "rabbit";
    }

    @Override
    public int order() {
        return 10;
    }

    /** Wraps the containers' listeners before the registry starts them. */
    @Override
    public void start() {
        for (MessageListenerContainer container : registry.getListenerContainers()) {
            if (container instanceof AbstractMessageListenerContainer abstractContainer
                    && !(abstractContainer.getMessageListener() instanceof CountingListener)) {
                MessageListener original = abstractContainer.getMessageListener();
                if (original == null) {
                    continue;
                }
                CountingListener counting = new CountingListener(original,
                        "rabbit listener " + String.join(",", abstractContainer.getQueueNames()), tracker);
                abstractContainer.setMessageListener(counting);
                abstractContainer.setForceStop(true);
                abstractContainer.setShutdownTimeout(shutdownTimeout.toMillis());
                listeners.add(counting);
            }
        }
        running = true;
    }

    @Override
    public void stop() {
        running = false;
    }

    @Override
    public boolean isRunning() {
        return running;
    }

    /** Before the registry's phase, so that the listeners are wrapped before any container starts. */
    @Override
    public int getPhase() {
        return Integer.MIN_VALUE + 1000;
    }

    @Override
    public CompletionStage<Void> stopAccepting() {
        synchronized (lock) {
            if (stopped == null) {
                stopped = stopContainers();
            }
            return CompletableFuture.completedFuture(null);
        }
    }

    private CompletableFuture<Void> stopContainers() {
        Map<String, String> mdc = MDC.getCopyOfContextMap();
        List<CompletableFuture<Void>> stops = new ArrayList<>();
        for (MessageListenerContainer container : registry.getListenerContainers()) {
            CompletableFuture<Void> stop = new CompletableFuture<>();
            Thread thread = new Thread(() -> {
                if (mdc != null) {
                    MDC.setContextMap(mdc);
                }
                try {
                    container.stop();
                    LOG.debug("listener container {} stopped", container);
                    stop.complete(null);
                } catch (RuntimeException e) {
                    stop.completeExceptionally(e);
                }
            }, "handoff-rabbit-stop");
            thread.setDaemon(true);
            thread.start();
            stops.add(stop);
        }
        return CompletableFuture.allOf(stops.toArray(CompletableFuture[]::new));
    }

    @Override
    public void resumeAccepting() {
        CompletableFuture<Void> previous;
        synchronized (lock) {
            previous = stopped;
            stopped = null;
        }
        if (previous == null) {
            return;
        }
        // A container being stopped cannot be started: start them once the stop is over.
        previous.whenComplete((ignored, error) -> {
            synchronized (lock) {
                if (stopped != null) {
                    return;
                }
            }
            for (MessageListenerContainer container : registry.getListenerContainers()) {
                container.start();
            }
        });
    }

    @Override
    public CompletionStage<Void> drain() {
        synchronized (lock) {
            if (stopped == null) {
                stopped = stopContainers();
            }
            return stopped;
        }
    }

    @Override
    public Map<String, Long> inFlightByName() {
        Map<String, Long> running = new LinkedHashMap<>();
        for (CountingListener listener : listeners) {
            long count = listener.running.get();
            if (count > 0) {
                running.merge(listener.name, count, Long::sum);
            }
        }
        return running;
    }

    /** Counts the messages a listener runs; requeues, unprocessed, those delivered after the intake closed. */
    static final class CountingListener implements ChannelAwareMessageListener {
        final MessageListener delegate;
        final String name;
        final InFlightTracker tracker;
        final AtomicLong running = new AtomicLong();

        CountingListener(MessageListener delegate, String name, InFlightTracker tracker) {
            this.delegate = delegate;
            this.name = name;
            this.tracker = tracker;
        }

        @Override
        public void onMessage(Message message, Channel channel) throws Exception {
            int permit = tracker.tryAdmit();
            if (permit == InFlightTracker.REFUSED) {
                throw new ImmediateRequeueAmqpException("draining: message requeued for another instance");
            }
            running.incrementAndGet();
            try {
                if (delegate instanceof ChannelAwareMessageListener channelAware) {
                    channelAware.onMessage(message, channel);
                } else {
                    delegate.onMessage(message);
                }
            } finally {
                running.decrementAndGet();
                tracker.release(permit);
            }
        }

        @Override
        public void onMessage(Message message) {
            try {
                onMessage(message, null);
            } catch (RuntimeException e) {
                throw e;
            } catch (Exception e) {
                throw new IllegalStateException(e);
            }
        }

        @Override
        public void containerAckMode(AcknowledgeMode mode) {
            delegate.containerAckMode(mode);
        }

        @Override
        public boolean isAsyncReplies() {
            return delegate.isAsyncReplies();
        }
    }
}
