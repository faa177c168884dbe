package io.lakehose.commit;

import io.lakehose.buffer.SealedFile;
import io.lakehose.decode.SequenceNumber;

import java.util.Optional;
import java.util.concurrent.CompletableFuture;

/**
 * One shard's side of the commit protocol ({@link LakeCommitter}). Called from the shard's
 * thread; futures complete on other threads.
 */
public interface ShardCommitter {

    /**
     * Why the lake cannot take records of {@code directory}'s table, if it cannot: its name is
     * another table's where the adapter writes (Iceberg's names ignore case and punctuation, so
     * {@code ORDERS} would be {@code orders}). The caller sends such a record to the error output
     * instead, and the shard goes on. Asked before {@link #isCommitted}; the folder layout, where
     * every table name has its own directory, never refuses.
     */
    default Optional<String> tableNameConflict(String directory) {
        return Optional.empty();
    }

    /**
     * True if the lake already holds the shard's record {@code sequence} of {@code directory}
     * (a re-read after a crash, a lease move or a replay): the caller skips it, so it is not
     * written twice. Records of one shard must be asked in shard order.
     */
    boolean isCommitted(String directory, SequenceNumber sequence);

    /**
     * Hands over a finished file. The future completes once the file's records are visible in the
     * lake (then they may be checkpointed): in this file's own object, or, where another writer of
     * the shard won the race for them, in that writer's. It fails if they never will be through
     * this shard committer. The spool file is the committer's from then on: it deletes it when done.
     *
     * @throws InterruptedException while blocked because too much is on its way to the lake
     *                              (backpressure keeps heap and spool disk bounded)
     */
    CompletableFuture<Committed> commit(SealedFile file) throws InterruptedException;

    /**
     * True when the committer wants every open data file of the shard finished now: a table
     * commit is due, and a table's watermark can only cover a position up to which every record
     * of the shard is in finished files. The pipeline then finishes them, hands them over and
     * calls {@link #sealed}. Polled once per batch; never true where each file is visible on its
     * own, as in the folder layout (no barrier).
     */
    default boolean sealDue() {
        return false;
    }

    /**
     * Every data record of the shard up to {@code position} that was not skipped has been handed
     * over in finished files (a barrier: after {@link #sealDue}, and before {@link #flush}).
     * Nothing to do where there is no barrier.
     */
    default void sealed(SequenceNumber position) {
    }

    /**
     * Makes everything handed over so far visible as soon as possible (shutdown, shard end, end
     * of input). The future completes when every file handed over has been committed, or fails
     * with the first failure.
     */
    CompletableFuture<Void> flush();

    /**
     * The lease is gone: work not yet started for this shard is dropped, and nothing it hands over
     * afterwards becomes visible. Files already on their way may still land; the adapter's fence
     * is what keeps them from duplicating the new owner's rows.
     */
    void abandon();
}
