package io.lakehose.partition;

import io.lakehose.decode.ChangeRecord;

import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Maps a change to its partition directory by table and event hour (UTC). Caches the rendered
 * directory per (table, hour): rendering dates per record would cost more than the lookup. The
 * cache is bounded both ways (table names come from the records, without limit): the
 * {@link #MAX_TABLES} tables used last, each with at most {@link #MAX_HOURS} hours.
 * Not thread-safe; one per shard.
 */
public final class Partitioner {

    private final LakeLayout layout;
    static final int MAX_TABLES = 256;
    static final int MAX_HOURS = 1024;

    /** Least recently used table first, dropped past {@link #MAX_TABLES}. */
    private final Map<String, Map<Long, String>> cache = new LinkedHashMap<>(16, 0.75f, true) {
        @Override
        protected boolean removeEldestEntry(Map.Entry<String, Map<Long, String>> eldest) {
            return size() > MAX_TABLES;
        }
    };

    public Partitioner(LakeLayout layout) {
        this.layout = layout;
    }

    public String directoryOf(ChangeRecord change) {
        long hour = LakeLayout.epochHour(change.eventTimeMicros());
        Map<Long, String> byHour = cache.computeIfAbsent(change.tableName(), t -> new HashMap<>());
        String dir = byHour.get(hour);
        if (dir == null) {
            if (byHour.size() >= MAX_HOURS) {
                byHour.clear(); // a long backfill walks through many hours; keep the cache small
            }
            dir = layout.partitionDirectory(change.tableName(), hour);
            byHour.put(hour, dir);
        }
        return dir;
    }

    /** Tables in the cache. */
    int cachedTables() {
        return cache.size();
    }

    public LakeLayout layout() {
        return layout;
    }
}
