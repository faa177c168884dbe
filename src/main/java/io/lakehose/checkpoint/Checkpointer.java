package io.lakehose.checkpoint;

import io.lakehose.decode.SequenceNumber;

/**
 * Where a shard's progress is recorded (the KCL lease table in production).
 *
 * <p>Contract: callers only ever pass a position returned by
 * {@link CheckpointTracker#safeCheckpoint()}, i.e. one whose records are all inside completed
 * uploads. Implementations throw {@link CheckpointException} when the checkpoint could not be
 * written; after a lease loss it can never be written again, and the caller must stop.
 */
public interface Checkpointer {

    /** Records the shard as done up to and including {@code position}. */
    void checkpoint(SequenceNumber position) throws CheckpointException;

    /** Records the shard as finished (after a split or merge), so its children may start. */
    void checkpointShardEnd() throws CheckpointException;
}
