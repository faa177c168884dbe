package io.lakehose.kcl;

import java.util.HashMap;
import java.util.Map;
import java.util.OptionalLong;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Supplier;

/**
 * Which shards this worker holds, how far behind each is and when it was last checkpointed; read
 * by the graceful stop and the per-shard metrics (io.lakehose.metrics.ShardMeters). Thread-safe: every shard's callbacks run on their own threads.
 */
public final class ShardLeases {

    private final Map<String, Long> millisBehindByShard = new ConcurrentHashMap<>();
    private final Map<String, Long> lastCheckpointMillisByShard = new ConcurrentHashMap<>();
    private final Map<String, Supplier<OptionalLong>> oldestPendingByShard = new ConcurrentHashMap<>();

    /** @param oldestPending since when the shard's oldest record not yet durable waits, read live */
    void taken(String shardId, Supplier<OptionalLong> oldestPending) {
        millisBehindByShard.put(shardId, -1L);
        lastCheckpointMillisByShard.put(shardId, System.currentTimeMillis());
        oldestPendingByShard.put(shardId, oldestPending);
    }

    void behind(String shardId, Long millisBehindLatest) {
        if (millisBehindLatest != null) {
            millisBehindByShard.put(shardId, millisBehindLatest);
        }
    }

    void released(String shardId) {
        millisBehindByShard.remove(shardId);
        lastCheckpointMillisByShard.remove(shardId);
        oldestPendingByShard.remove(shardId);
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

    /**
     * Per held shard: since when (epoch millis) its oldest record received and not yet durable
     * waits; absent for a shard whose records are all durable. Read at the time of the call, so a
     * shard thread blocked behind a stuck upload does not freeze it.
     */
    public Map<String, Long> oldestPendingSinceMillis() {
        Map<String, Long> out = new HashMap<>();
        oldestPendingByShard.forEach((shard, since) -> since.get().ifPresent(ms -> out.put(shard, ms)));
        return out;
    }

    public int held() {
        return millisBehindByShard.size();
    }

    public Map<String, Long> millisBehindLatest() {
        return Map.copyOf(millisBehindByShard);
    }
}
