package io.lakehose.kcl;

import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Which shards this worker holds, how far behind each is and when it was last checkpointed; read
 * by the graceful stop and the per-shard metrics (io.lakehose.metrics.ShardMeters). Thread-safe: every shard's callbacks run on their own threads.
 */
public final class ShardLeases {

    private final Map<String, Long> millisBehindByShard = new ConcurrentHashMap<>();
    private final Map<String, Long> lastCheckpointMillisByShard = new ConcurrentHashMap<>();

    void taken(String shardId) {
        millisBehindByShard.put(shardId, -1L);
        lastCheckpointMillisByShard.put(shardId, System.currentTimeMillis());
    }

    void behind(String shardId, Long millisBehindLatest) {
        if (millisBehindLatest != null) {
            millisBehindByShard.put(shardId, millisBehindLatest);
        }
    }

    void released(String shardId) {
        millisBehindByShard.remove(shardId);
        lastCheckpointMillisByShard.remove(shardId);
    }

    void checkpointed(String shardId, long epochMillis) {
        if (millisBehindByShard.containsKey(shardId)) {
            lastCheckpointMillisByShard.put(shardId, epochMillis);
        }
    }

    /** Per held shard: when it was last checkpointed (or taken, if never since). */
    public Map<String, Long> lastCheckpointMillis() {
        return Map.copyOf(lastCheckpointMillisByShard);
    }

    public int held() {
        return millisBehindByShard.size();
    }

    public Map<String, Long> millisBehindLatest() {
        return Map.copyOf(millisBehindByShard);
    }
}
