package io.lakehose.kcl;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.time.Duration;

/**
 * Closes a resource on a daemon thread and waits for it at most a given time. The AWS SDK's
 * Netty clients share one event loop group, and the last one closed shuts it down
 * "gracefully": it waits until no task has run for 2 s, up to 15 s on a busy machine
 * ({@code NettyNioAsyncHttpClient.close}). A stop that had already flushed and checkpointed
 * spent 2.6-5.6 s there (measured on 2 busy cores), past its budget when the flushes had used
 * theirs. What is still closing when the time is up is left to the JVM's exit.
 */
public final class BoundedClose {

    private static final Logger LOG = LoggerFactory.getLogger(BoundedClose.class);

    private BoundedClose() {
    }

    public static void close(String what, AutoCloseable resource, Duration limit) throws InterruptedException {
        Thread closing = new Thread(() -> {
            try {
                resource.close();
            } catch (Exception e) {
                LOG.warn("closing {}: {}", what, e.toString());
            }
        }, "close " + what);
        closing.setDaemon(true);
        closing.start();
        closing.join(Math.max(1, limit.toMillis()));
        if (closing.isAlive()) {
            LOG.info("{} still closing after {} ms; the process exits without waiting for them", what, limit.toMillis());
        }
    }
}
