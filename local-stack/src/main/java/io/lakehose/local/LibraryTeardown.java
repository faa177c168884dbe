package io.lakehose.local;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import org.slf4j.LoggerFactory;
import sun.misc.Signal;
import sun.misc.SignalHandler;

/**
 * Silences the worker's libraries (KCL, the AWS SDK, Netty) once the worker is stopping. The
 * worker stops fast by design, without waiting for KCL (see KinesisWorker): KCL's loop runs on for
 * about failoverTimeMillis, its prefetch threads keep calling Kinesis while the worker closes the
 * clients under them, and its final shutdown interrupts them. KCL, the SDK and Netty log that
 * teardown as errors with stack traces ("Unexpected exception was thrown", "Unable to close channel
 * pools", "Failed to submit a listener notification task") and KCL warns that shutdown was
 * requested twice. Nobody can act on those lines; lakehose's own lines say whether every shard was
 * flushed and checkpointed.
 */
final class LibraryTeardown {

    private static final String[] LIBRARIES = {"software.amazon.kinesis", "software.amazon.awssdk", "io.netty"};

    private LibraryTeardown() {
    }

    /** From the stop signal on (Ctrl-C, SIGTERM), right after the worker's own handler asked for the stop. */
    static void silenceOnStop() {
        for (String name : new String[] {"INT", "TERM"}) {
            Signal signal = new Signal(name);
            try {
                SignalHandler[] worker = new SignalHandler[1];
                worker[0] = Signal.handle(signal, s -> {
                    // The worker's handler only asks for the stop and returns: it runs first, so the
                    // stop never waits on the logging configuration (a demo run once saw no stop at all).
                    worker[0].handle(s);
                    silence();
                });
            } catch (IllegalArgumentException ignored) {
                // this signal is not ours to handle here (ignored by the parent): nothing to chain
            }
        }
    }

    static void silence() {
        for (String name : LIBRARIES) {
            if (LoggerFactory.getLogger(name) instanceof Logger logger) {
                logger.setLevel(Level.OFF);
            }
        }
    }
}
