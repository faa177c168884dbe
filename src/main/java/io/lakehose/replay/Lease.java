package io.lakehose.replay;

import java.util.List;

/**
 * One item of the KCL 2.x lease table (single-stream mode, attribute names of KCL 2.7's
 * {@code DynamoDBLeaseSerializer}): {@code leaseKey} (the shard id), {@code leaseOwner} (absent
 * when free), {@code leaseCounter} (incremented by every renewal, take and update),
 * {@code checkpoint} + {@code checkpointSubSequenceNumber}, {@code parentShardId} (SS) and
 * whether a {@code pendingCheckpoint} (two-phase checkpoint) is present.
 */
public record Lease(String shardId, String owner, long counter, String checkpoint, long subSequence,
                    List<String> parentShardIds, boolean hasPendingCheckpoint) {

    /** The checkpoint as printed: the value, plus the sub-sequence number when it is not 0. */
    public String position() {
        return subSequence == 0 ? checkpoint : checkpoint + " (sub-sequence " + subSequence + ")";
    }
}
