package io.lakehose.cli;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import sun.misc.Signal;

/**
 * SIGTERM (ECS stopping a task) and SIGINT (Ctrl-C) start a graceful stop instead of killing
 * the JVM, so the process can flush, checkpoint and then exit 0 by itself. A shutdown hook could
 * not do that: the JVM would exit with 143 whatever the hook achieved.
 */
final class StopSignals {

    private static final Logger LOG = LoggerFactory.getLogger(StopSignals.class);

    private StopSignals() {
    }

    static void onStop(Runnable stop) {
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
}
