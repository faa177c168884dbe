package io.lakehose.cli;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import sun.misc.Signal;

import java.util.concurrent.atomic.AtomicReference;

/**
 * SIGTERM (ECS stopping a task) and SIGINT (Ctrl-C) start a graceful stop instead of killing
 * the JVM, so the process can flush, checkpoint and then exit 0 by itself. A shutdown hook could
 * not do that: the JVM would exit with 143 whatever the hook achieved.
 *
 * <p>A program that runs {@code run} in its own JVM (the local stack) asks for the same stop with
 * {@link #requestStop()}: a raised signal is not enough there, because a JVM started with SIGINT
 * ignored (nohup, a non-interactive shell's background job) silently installs no handler for it.
 */
public final class StopSignals {

    private static final Logger LOG = LoggerFactory.getLogger(StopSignals.class);
    private static final AtomicReference<Runnable> STOP = new AtomicReference<>();

    private StopSignals() {
    }

    static void onStop(Runnable stop) {
        STOP.set(stop);
        for (String name : new String[] {"TERM", "INT"}) {
            try {
                Signal.handle(new Signal(name), s -> {
                    LOG.info("SIG{} received: stopping gracefully", name);
                    stop.run();
                });
            } catch (IllegalArgumentException e) {
                LOG.warn("cannot handle SIG{} here ({}); a stop signal will end the process abruptly", name, e.getMessage());
            }
        }
    }

    /**
     * Stops the {@code run} of this JVM as a stop signal would.
     *
     * @return false when no {@code run} has registered its stop yet
     */
    public static boolean requestStop() {
        Runnable stop = STOP.get();
        if (stop == null) {
            return false;
        }
        LOG.info("stop requested in process: stopping gracefully");
        stop.run();
        return true;
    }
}
