package io.lakehose.replay;

import java.util.List;

/**
 * A shard as ListShards describes it: its parents (after a split or merge), its hash key range,
 * its first sequence number and, for a closed shard, its last.
 */
public record ShardInfo(String shardId, List<String> parentShardIds, String startingHashKey, String endingHashKey,
                        String startingSequence, String endingSequence) {

    /** Closed by a split or merge: no record will ever be added. */
    public boolean closed() {
        return endingSequence != null;
    }
}
