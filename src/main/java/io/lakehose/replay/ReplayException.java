package io.lakehose.replay;

/** A replay that cannot go ahead; the message says why and what to do, in one line. */
public final class ReplayException extends RuntimeException {

    /** Why: the command line or configuration is wrong, or the lease table is in use. */
    public enum Kind {
        /** Bad --to or --shard, unknown stream or lease table: fix the command or the configuration. */
        USAGE,
        /** A live worker holds leases, or a lease changed while replaying: stop the service, or --force. */
        REFUSED
    }

    private final Kind kind;

    public ReplayException(Kind kind, String message) {
        super(message, null, false, false);
        this.kind = kind;
    }

    public Kind kind() {
        return kind;
    }
}
