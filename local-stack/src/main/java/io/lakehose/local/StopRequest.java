package io.lakehose.local;

import sun.misc.Signal;

/** Stops the in-process worker the way Ctrl-C does: by raising SIGINT, which `lakehose run` handles. */
final class StopRequest {
    private StopRequest() {
    }

    static void send() {
        Signal.raise(new Signal("INT"));
    }
}
