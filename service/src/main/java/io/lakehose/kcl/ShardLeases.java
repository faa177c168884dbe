package io.lakehose.kcl;

import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Which shards this worker holds and how far behind each is; read by readiness checks and
 * (later) metrics. Thread-safe: every shard's callbacks run on their own threads.
 */
public final class ShardLeases {

    private final Map<String, Long> millisBehindByShard = new ConcurrentHashMap<>();

    void taken(String shardId) {
        millisBehindByShard.put(shardId, -1L);
    }

    void behind(String shardId, Long millisBehindLatest) {
        if (millisBehindLatest != null) {
            millisBehindByShard.put(shardId, millisBehindLatest);
        }
    }

    void released(String shardId) {
        millisBehindByShard.remove(shardId);
    }

    public int held() {
        return millisBehindByShard.size();
    }

    public Map<String, Long> millisBehindLatest() {
        return Map.copyOf(millisBehindByShard);
    }
}
