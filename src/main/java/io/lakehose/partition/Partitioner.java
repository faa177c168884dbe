package io.lakehose.partition;

import io.lakehose.decode.ChangeRecord;

import java.util.HashMap;
import java.util.Map;

/**
 * Maps a change to its partition directory by table and event hour (UTC). Caches the rendered
 * directory per (table, hour): rendering dates per record would cost more than the lookup.
 * Not thread-safe; one per shard.
 */
public final class Partitioner {

    private final LakeLayout layout;
    private final Map<String, Map<Long, String>> cache = new HashMap<>();

    public Partitioner(LakeLayout layout) {
        this.layout = layout;
    }

    public String directoryOf(ChangeRecord change) {
        long hour = LakeLayout.epochHour(change.eventTimeMicros());
        Map<Long, String> byHour = cache.computeIfAbsent(change.tableName(), t -> new HashMap<>());
        String dir = byHour.get(hour);
        if (dir == null) {
            if (byHour.size() > 1024) {
                byHour.clear(); // a long backfill walks through many hours; keep the cache small
            }
            dir = layout.partitionDirectory(change.tableName(), hour);
            byHour.put(hour, dir);
        }
        return dir;
    }

    public LakeLayout layout() {
        return layout;
    }
}
