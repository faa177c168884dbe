package io.lakehose.commit;

/**
 * A file handed over after the shard's lease was lost was not committed: the new owner re-reads
 * its records. Not a failure of the lake; nothing to report.
 */
public final class LeaseLostException extends RuntimeException {

    public LeaseLostException(String shardId) {
        super("shard " + shardId + ": lease lost; the file was not committed (the new owner re-reads its records)");
    }
}
