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
    private final boolean leaseChanged;

    public ReplayException(Kind kind, String message) {
        this(kind, message, false);
    }

    private ReplayException(Kind kind, String message, boolean leaseChanged) {
        super(message, null, false, false);
        this.kind = kind;
        this.leaseChanged = leaseChanged;
    }

    /** A conditional lease write failed: the lease changed between its read and its write (REFUSED). */
    static ReplayException leaseChanged(String message) {
        return new ReplayException(Kind.REFUSED, message, true);
    }

    public Kind kind() {
        return kind;
    }

    /** True when a lease changed since it was read (a worker renewed, took or checkpointed it). */
    public boolean leaseChanged() {
        return leaseChanged;
    }
}
