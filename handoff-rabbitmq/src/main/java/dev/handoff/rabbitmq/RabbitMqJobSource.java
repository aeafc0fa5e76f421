package dev.handoff.rabbitmq;

import java.io.IOException;
import java.util.HashMap;
import java.util.Map;
import java.util.Objects;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import com.rabbitmq.client.AMQP;
import com.rabbitmq.client.Channel;
import com.rabbitmq.client.Connection;
import com.rabbitmq.client.ConnectionFactory;
import com.rabbitmq.client.DefaultConsumer;
import com.rabbitmq.client.Envelope;
import com.rabbitmq.client.ShutdownSignalException;

import dev.handoff.queue.spi.AbstractDelivery;
import dev.handoff.queue.spi.DeadLetterTarget;
import dev.handoff.queue.spi.DeliveryListener;
import dev.handoff.queue.spi.JobSource;
import dev.handoff.queue.spi.JobSourceException;
import dev.handoff.queue.spi.Subscription;

/**
 * A {@link JobSource} on one RabbitMQ queue, with {@code com.rabbitmq:amqp-client} 5.x: one AMQP connection per
 * source (per consumer instance), one channel per subscription, manual acknowledgements, {@code basic.qos} for
 * the prefetch.
 *
 * <ul>
 *   <li>{@link Subscription#cancel()} sends {@code basic.cancel} on a background thread (the client blocks until
 *       {@code basic.cancel-ok}) and completes in {@code handleCancelOk}, which the client dispatches after every
 *       earlier delivery of the channel;</li>
 *   <li>deliveries already sent are not given back by the cancel: the holder acks or requeues
 *       ({@code basic.nack} with {@code requeue=true}) each one; {@link dev.handoff.queue.spi.Delivery#reject()} is
 *       {@code basic.reject} without requeue, which the broker routes to the queue's dead-letter exchange (see
 *       {@link #declareQueue});</li>
 *   <li>{@link Subscription#close()} closes the channel: the broker requeues every unacknowledged delivery, with
 *       {@code redelivered=true}.</li>
 * </ul>
 *
 * <p>The job id is the message's {@code message-id} property (publishers should set it; without one the id is
 * {@code "delivery-<tag>"}, which is not stable across redeliveries).
 *
 * <p><b>Failed attempts are counted in the message.</b> A job whose handler failed and will run again
 * ({@link dev.handoff.queue.spi.Delivery#retry(int)}) is published again to the queue (through the default
 * exchange, with its properties and body) with the header {@value #FAILED_ATTEMPTS_HEADER} holding the failed
 * attempts so far, and the delivery is acknowledged once the broker confirmed the copy (publisher confirms on the
 * consumer's channel); if the broker does not confirm it within 5 s the delivery is requeued as it is. So the count
 * survives redeliveries, other consumers and swaps, with or without a {@code message-id}, on classic and quorum
 * queues alike, and a poison message reaches the consumer's {@code maxAttempts} and its failure policy. A retried
 * job goes to the back of the queue. A connection lost between the copy's confirm and the acknowledgement leaves
 * both (the job runs once more). A copy dead-lettered later carries the queue's name as its routing key (set
 * {@code x-dead-letter-routing-key} to choose another).
 *
 * <p><b>Dead-letter exchange.</b> {@link #connect} reads the queue's {@code x-dead-letter-exchange} argument
 * ({@link #deadLetterTarget()}) by declaring the queue again with a probe value on a throwaway channel: the
 * broker refuses the declaration and names the current value (so the broker's log shows one refused
 * {@code queue.declare} per connection; the queue is unchanged). AMQP does not show policies: when a policy gives
 * the queue its dead-letter exchange, say so with {@link #deadLetterExchangeByPolicy(String)}. A consumer with
 * the {@code DEAD_LETTER} failure policy refuses to start on a queue that has none, since the broker would drop
 * the jobs it rejects.
 *
 * <p><b>A lost connection is not recovered.</b> The client's automatic connection recovery (on by default in
 * amqp-client 5) is turned off for the connection the source opens, whatever the factory says (the factory is
 * copied, not changed). A lost connection (the broker restarts or goes down, the network is cut, an operator
 * closes it) ends every subscription ({@link DeliveryListener#onTerminated}), the {@code HandoffConsumer} becomes
 * FAILED, and the broker requeues what it had not acknowledged. An {@code Orchestrator}'s supervision then replaces
 * the consumer, backing off while the broker is down, and the replacement opens a connection of its own once the
 * broker is back. Recovery would fight that: delivery tags do not survive a reconnection, and a recovered connection
 * brings back the consumer of an instance that has already been detached, destroyed and replaced, beside its
 * replacement, taking deliveries that no worker of it will process. Thread-safe.
 */
public final class RabbitMqJobSource implements JobSource {
    private static final Logger LOG = LoggerFactory.getLogger(RabbitMqJobSource.class);
    /** AMQP delivery mode of a message the broker writes to disk. */
    private static final int PERSISTENT = 2;
    /** The header that holds the failed attempts of a retried job. */
    public static final String FAILED_ATTEMPTS_HEADER = "x-handoff-failed-attempts";
    private static final long RETRY_CONFIRM_MILLIS = 5_000;
    private static final String DEAD_LETTER_ARGUMENT = "x-dead-letter-exchange";
    private static final Pattern INEQUIVALENT = Pattern.compile(
            "inequivalent arg '([^']+)' for .*: received .* but current is"
                    + " (none|the value '(.*)' of type '([a-z]+)'|'(.*)')$");

    private final Connection connection;
    private final String queue;
    private final String description;
    private final AtomicBoolean closing = new AtomicBoolean();
    /** The queue's x-dead-letter-exchange argument, or null when it has none; unknown when probeFailure != null. */
    private final String argumentExchange;
    private final String probeFailure;
    private volatile String policyExchange;

    private RabbitMqJobSource(Connection connection, String queue, String description, String[] probe) {
        this.connection = connection;
        this.queue = queue;
        this.description = description;
        this.argumentExchange = probe[0];
        this.probeFailure = probe[1];
    }

    /**
     * Opens a connection and checks that the queue exists. Blocking.
     *
     * @param factory the broker's address and credentials; copied, with automatic connection and topology recovery
     *                turned off (see the class comment); the factory itself is left as it is
     * @param queue   the queue to consume from; it must exist
     * @return the open source
     * @throws NullPointerException     when an argument is null
     * @throws IllegalArgumentException when {@code queue} is blank
     * @throws JobSourceException       when the broker cannot be reached or the queue does not exist
     */
    public static RabbitMqJobSource connect(ConnectionFactory factory, String queue) {
        Objects.requireNonNull(factory, "factory must not be null");
        Objects.requireNonNull(queue, "queue must not be null");
        if (queue.isBlank()) {
            throw new IllegalArgumentException("queue must not be blank, but was '" + queue + "'");
        }
        ConnectionFactory copy = factory.clone();
        copy.setAutomaticRecoveryEnabled(false);
        copy.setTopologyRecoveryEnabled(false);
        String description = "rabbitmq " + copy.getHost() + ":" + copy.getPort() + copy.getVirtualHost()
                + (copy.getVirtualHost().endsWith("/") ? "" : "/") + queue;
        Connection connection;
        try {
            connection = copy.newConnection("handoff " + queue);
        } catch (IOException | TimeoutException e) {
            throw new JobSourceException("cannot connect to " + description + ": " + e, e);
        }
        try (Channel check = connection.createChannel()) {
            check.queueDeclarePassive(queue);
        } catch (IOException | TimeoutException | ShutdownSignalException e) {
            closeQuietly(connection);
            throw new JobSourceException("queue '" + queue + "' is not usable on " + description + ": "
                    + rootMessage(e), e);
        }
        String[] probe;
        try {
            probe = probeDeadLetterExchange(connection, queue);
        } catch (RuntimeException e) {
            closeQuietly(connection);
            throw e;
        }
        return new RabbitMqJobSource(connection, queue, description, probe);
    }

    /**
     * Reads the queue's {@code x-dead-letter-exchange} argument: a declaration with a probe value is refused by
     * the broker's equivalence check (406 PRECONDITION_FAILED), whose reply names the current value. A refusal
     * for another argument ({@code durable}, {@code auto_delete}, {@code x-queue-type}, ...) is answered by
     * declaring that argument as the broker has it, at most eight times.
     *
     * @return {exchange or null when none, null or why the probe failed}
     */
    private static String[] probeDeadLetterExchange(Connection connection, String queue) {
        boolean durable = true;
        boolean autoDelete = false;
        Map<String, Object> arguments = new HashMap<>();
        arguments.put(DEAD_LETTER_ARGUMENT, "handoff-probe-" + UUID.randomUUID());
        for (int round = 0; round < 8; round++) {
            Channel channel;
            try {
                channel = connection.createChannel();
            } catch (IOException e) {
                return new String[] {null, "no channel for the probe: " + e.getMessage()};
            }
            if (channel == null) {
                return new String[] {null, "no channel for the probe"};
            }
            String refusal;
            try {
                channel.queueDeclare(queue, durable, false, autoDelete, arguments);
                closeQuietly(channel);
                return new String[] {null, "the broker accepted a probe declaration"};
            } catch (IOException | ShutdownSignalException e) {
                refusal = replyText(e);
            }
            // RabbitMQ names a value "none", "the value 'v' of type 't'" (one side absent) or "'v'" (both present)
            Matcher matcher = INEQUIVALENT.matcher(refusal);
            if (!matcher.find()) {
                return new String[] {null, "the probe declaration was refused: " + refusal};
            }
            String key = matcher.group(1);
            boolean none = "none".equals(matcher.group(2));
            String value = matcher.group(3) != null ? matcher.group(3) : matcher.group(5);
            String type = matcher.group(4) == null ? "" : matcher.group(4);
            if (key.equals(DEAD_LETTER_ARGUMENT)) {
                return new String[] {none ? null : value, null};
            } else if (key.equals("durable")) {
                durable = !durable;
            } else if (key.equals("auto_delete")) {
                autoDelete = !autoDelete;
            } else if (none) {
                arguments.remove(key);
            } else if (type.equals("long") || type.equals("signedint") || type.isEmpty() && value.matches("-?\\d{1,18}")) {
                arguments.put(key, Long.parseLong(value));
            } else if (type.equals("longstr") || type.isEmpty()) {
                arguments.put(key, value);
            } else {
                return new String[] {null, "the probe cannot declare argument '" + key + "' of type " + type};
            }
        }
        return new String[] {null, "the probe declaration was refused eight times"};
    }

    /**
     * Says that a policy gives the queue its dead-letter exchange: AMQP does not show policies, so a queue without
     * the {@code x-dead-letter-exchange} argument otherwise reads as one without a dead-letter exchange.
     *
     * @param exchange the exchange the policy names ({@code dead-letter-exchange}); "" is the default exchange
     * @return this source
     * @throws NullPointerException when {@code exchange} is null
     */
    public RabbitMqJobSource deadLetterExchangeByPolicy(String exchange) {
        this.policyExchange = Objects.requireNonNull(exchange, "exchange must not be null");
        return this;
    }

    /**
     * {@inheritDoc}
     *
     * <p>The queue's {@code x-dead-letter-exchange} argument, read at {@link #connect}; else the exchange given to
     * {@link #deadLetterExchangeByPolicy(String)}; else {@code ABSENT}; {@code UNKNOWN} when the argument could
     * not be read.
     */
    @Override
    public DeadLetterTarget deadLetterTarget() {
        if (argumentExchange != null) {
            return DeadLetterTarget.present(exchangeName(argumentExchange) + " (queue argument x-dead-letter-exchange)");
        }
        String byPolicy = policyExchange;
        if (byPolicy != null) {
            return DeadLetterTarget.present(exchangeName(byPolicy) + " (a policy, as the application says)");
        }
        if (probeFailure != null) {
            return DeadLetterTarget.unknown("the dead-letter exchange of queue '" + queue + "' on " + description
                    + " could not be read (" + probeFailure + ")");
        }
        return DeadLetterTarget.absent("queue '" + queue + "' on " + description + " has no dead-letter exchange"
                + " (no x-dead-letter-exchange argument; if a policy sets one, say so with"
                + " deadLetterExchangeByPolicy(exchange))");
    }

    private static String exchangeName(String exchange) {
        return exchange.isEmpty() ? "the default exchange" : "exchange '" + exchange + "'";
    }

    /**
     * Declares a durable queue and its dead-letter queue {@code <queue>.dead-letter}, bound through the default
     * exchange so that a rejected job lands there. Idempotent at the broker (same arguments).
     *
     * @param channel an open channel
     * @param queue   the queue's name
     * @return the dead-letter queue's name
     * @throws IOException when the broker refuses (e.g. the queue exists with other arguments)
     */
    public static String declareQueue(Channel channel, String queue) throws IOException {
        Objects.requireNonNull(channel, "channel must not be null");
        Objects.requireNonNull(queue, "queue must not be null");
        String deadLetter = queue + ".dead-letter";
        channel.queueDeclare(deadLetter, true, false, false, null);
        channel.queueDeclare(queue, true, false, false,
                Map.of("x-dead-letter-exchange", "", "x-dead-letter-routing-key", deadLetter));
        return deadLetter;
    }

    /**
     * Publishes one job the way this source reads it back: through the default exchange to {@code queue}, with
     * the job id as the message's {@code message-id}, as a persistent message (delivery mode 2), so that a job
     * in a durable queue (see {@link #declareQueue}) survives a restart of the broker. For a publisher that must know
     * the broker has stored the job, use publisher confirms on the channel ({@code confirmSelect},
     * {@code waitForConfirmsOrDie}).
     *
     * @param channel an open channel
     * @param queue   the queue's name
     * @param jobId   the job's id
     * @param body    the job's body
     * @throws IOException when the channel fails
     */
    public static void publish(Channel channel, String queue, String jobId, byte[] body) throws IOException {
        Objects.requireNonNull(channel, "channel must not be null");
        Objects.requireNonNull(queue, "queue must not be null");
        Objects.requireNonNull(jobId, "jobId must not be null");
        Objects.requireNonNull(body, "body must not be null");
        // Persistent: a transient message is dropped when the broker restarts, even from a durable queue.
        AMQP.BasicProperties properties = new AMQP.BasicProperties.Builder().messageId(jobId)
                .deliveryMode(PERSISTENT).build();
        channel.basicPublish("", queue, properties, body);
    }

    /** @return the queue consumed */
    public String queue() {
        return queue;
    }

    @Override
    public String description() {
        return description;
    }

    @Override
    public boolean isOpen() {
        return connection.isOpen();
    }

    /**
     * The connection, for tests that simulate a failure ({@code connection().abort()}) and for publishers that
     * share it. Do not close it: {@link #close()} does.
     *
     * @return the AMQP connection
     */
    public Connection connection() {
        return connection;
    }

    @Override
    public Subscription subscribe(int prefetch, DeliveryListener listener) {
        if (prefetch < 1 || prefetch > 65_535) {
            throw new IllegalArgumentException("prefetch must be between 1 and 65535, but was " + prefetch);
        }
        Objects.requireNonNull(listener, "listener must not be null");
        if (!connection.isOpen()) {
            throw new JobSourceException(description + " is closed: cannot subscribe");
        }
        Channel channel = null;
        try {
            channel = connection.createChannel();
            if (channel == null) {
                throw new JobSourceException(description + ": no channel available");
            }
            channel.basicQos(prefetch);
            // publisher confirms for the copies that retry() publishes: acked only once the broker has the copy
            channel.confirmSelect();
            RabbitSubscription subscription = new RabbitSubscription(channel, listener);
            subscription.tag = channel.basicConsume(queue, false, subscription.consumer);
            return subscription;
        } catch (IOException | ShutdownSignalException e) {
            if (channel != null) {
                closeQuietly(channel);
            }
            throw new JobSourceException("cannot subscribe to " + description + ": " + rootMessage(e), e);
        }
    }

    @Override
    public void close() {
        if (closing.compareAndSet(false, true)) {
            closeQuietly(connection);
        }
    }

    @Override
    public String toString() {
        return "RabbitMqJobSource[" + description + (isOpen() ? "" : ", closed") + "]";
    }

    private static void closeQuietly(Connection connection) {
        try {
            if (connection.isOpen()) {
                connection.close(5_000);
            }
        } catch (IOException | ShutdownSignalException e) {
            LOG.debug("closing {} failed: {}", connection, e.toString());
        }
    }

    private static void closeQuietly(Channel channel) {
        try {
            if (channel.isOpen()) {
                channel.close();
            }
        } catch (IOException | TimeoutException | ShutdownSignalException e) {
            LOG.debug("closing channel {} failed: {}", channel.getChannelNumber(), e.toString());
        }
    }

    /** The reply text of the channel.close in {@code e}'s causes, else its root message. */
    private static String replyText(Throwable e) {
        for (Throwable cause = e; cause != null; cause = cause.getCause()) {
            if (cause instanceof ShutdownSignalException
                    && ((ShutdownSignalException) cause).getReason() instanceof AMQP.Channel.Close) {
                return ((AMQP.Channel.Close) ((ShutdownSignalException) cause).getReason()).getReplyText();
            }
            if (cause.getCause() == cause) {
                break;
            }
        }
        return rootMessage(e);
    }

    private static String rootMessage(Throwable e) {
        Throwable root = e;
        while (root.getCause() != null && root.getCause() != root) {
            root = root.getCause();
        }
        return root.getMessage() == null ? root.toString() : root.getMessage();
    }

    /** One consumer on its own channel. */
    private final class RabbitSubscription implements Subscription {
        private final Channel channel;
        private final DeliveryListener listener;
        private final CompletableFuture<Void> cancelled = new CompletableFuture<>();
        private final AtomicBoolean cancelRequested = new AtomicBoolean();
        private final AtomicBoolean closeRequested = new AtomicBoolean();
        private final DefaultConsumer consumer;
        private volatile String tag;
        private volatile boolean terminated;

        RabbitSubscription(Channel channel, DeliveryListener listener) {
            this.channel = channel;
            this.listener = listener;
            this.consumer = new DefaultConsumer(channel) {
                @Override
                public void handleDelivery(String consumerTag, Envelope envelope, AMQP.BasicProperties properties,
                                           byte[] body) {
                    String messageId = properties.getMessageId();
                    String jobId = messageId != null ? messageId : "delivery-" + envelope.getDeliveryTag();
                    int failedAttempts = failedAttempts(properties);
                    listener.onDelivery(new RabbitDelivery(RabbitSubscription.this, envelope.getDeliveryTag(), jobId,
                            body, envelope.isRedeliver() || failedAttempts > 0, properties, failedAttempts));
                }

                @Override
                public void handleCancelOk(String consumerTag) {
                    cancelled.complete(null);
                }

                @Override
                public void handleCancel(String consumerTag) {
                    terminate(new JobSourceException("the broker cancelled the consumer on " + description
                            + " (queue deleted, or its node went down)"));
                }

                @Override
                public void handleShutdownSignal(String consumerTag, ShutdownSignalException signal) {
                    if (closeRequested.get() || closing.get()) {
                        cancelled.complete(null);
                    } else {
                        terminate(new JobSourceException("the channel to " + description + " closed: "
                                + signal.getMessage(), signal));
                    }
                }
            };
        }

        private void terminate(JobSourceException cause) {
            terminated = true;
            cancelled.completeExceptionally(cause);
            listener.onTerminated(cause);
        }

        @Override
        public CompletionStage<Void> cancel() {
            if (cancelRequested.compareAndSet(false, true)) {
                // basicCancel blocks until basic.cancel-ok: never on the caller's (or the dispatch) thread
                Thread canceller = new Thread(() -> {
                    try {
                        channel.basicCancel(tag);
                    } catch (IOException | ShutdownSignalException e) {
                        cancelled.completeExceptionally(new JobSourceException("cannot cancel the consumer on "
                                + description + ": " + rootMessage(e), e));
                    }
                }, "handoff-rabbitmq-cancel-" + tag);
                canceller.setDaemon(true);
                canceller.start();
            }
            return cancelled.minimalCompletionStage();
        }

        @Override
        public boolean isActive() {
            return !cancelRequested.get() && !terminated && channel.isOpen();
        }

        @Override
        public void close() {
            if (closeRequested.compareAndSet(false, true)) {
                closeQuietly(channel);
                cancelled.complete(null);
            }
        }

        JobSourceException settleFailed(String jobId, String what, Exception cause) {
            return new JobSourceException("cannot " + what + " job " + jobId + " on " + description
                    + ": the channel is closed (" + rootMessage(cause) + "); the broker has requeued the job", cause);
        }
    }

    private static int failedAttempts(AMQP.BasicProperties properties) {
        Map<String, Object> headers = properties.getHeaders();
        Object value = headers == null ? null : headers.get(FAILED_ATTEMPTS_HEADER);
        if (value instanceof Number) {
            long attempts = ((Number) value).longValue();
            return attempts < 0 ? 0 : (int) Math.min(attempts, Integer.MAX_VALUE);
        }
        return 0;
    }

    private final class RabbitDelivery extends AbstractDelivery {
        private final RabbitSubscription subscription;
        private final long tag;
        private final AMQP.BasicProperties properties;
        private final int failedAttempts;

        RabbitDelivery(RabbitSubscription subscription, long tag, String jobId, byte[] body, boolean redelivered,
                       AMQP.BasicProperties properties, int failedAttempts) {
            super(jobId, body, redelivered);
            this.subscription = subscription;
            this.tag = tag;
            this.properties = properties;
            this.failedAttempts = failedAttempts;
        }

        @Override
        public int failedAttempts() {
            return failedAttempts;
        }

        @Override
        protected void doRetry(int attempts) {
            Map<String, Object> headers = properties.getHeaders() == null ? new HashMap<>()
                    : new HashMap<>(properties.getHeaders());
            headers.put(FAILED_ATTEMPTS_HEADER, attempts);
            Channel channel = subscription.channel;
            boolean confirmed;
            try {
                channel.basicPublish("", queue, properties.builder().headers(headers).build(), body());
                confirmed = channel.waitForConfirms(RETRY_CONFIRM_MILLIS);
            } catch (IOException | ShutdownSignalException e) {
                throw subscription.settleFailed(jobId(), "retry", e);
            } catch (TimeoutException e) {
                confirmed = false;
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                confirmed = false;
            }
            if (!confirmed) {
                // the copy may or may not be queued: give the original back as it is (its count is not raised,
                // and it may run once more than maxAttempts), never lose it
                LOG.warn("job {} on {}: the broker did not confirm its copy with {} failed attempt(s) within {} ms;"
                        + " requeued as it was", jobId(), description, attempts, RETRY_CONFIRM_MILLIS);
                doRequeue();
                return;
            }
            try {
                channel.basicAck(tag, false);
            } catch (IOException | ShutdownSignalException e) {
                throw subscription.settleFailed(jobId(), "retry", e);
            }
        }

        @Override
        protected void doAck() {
            try {
                subscription.channel.basicAck(tag, false);
            } catch (IOException | ShutdownSignalException e) {
                throw subscription.settleFailed(jobId(), "ack", e);
            }
        }

        @Override
        protected void doRequeue() {
            try {
                subscription.channel.basicNack(tag, false, true);
            } catch (IOException | ShutdownSignalException e) {
                throw subscription.settleFailed(jobId(), "requeue", e);
            }
        }

        @Override
        protected void doReject() {
            try {
                subscription.channel.basicReject(tag, false);
            } catch (IOException | ShutdownSignalException e) {
                throw subscription.settleFailed(jobId(), "reject", e);
            }
        }
    }
}
