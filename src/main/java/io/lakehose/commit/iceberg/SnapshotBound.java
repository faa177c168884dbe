package io.lakehose.commit.iceberg;

import org.apache.iceberg.Snapshot;
import org.apache.iceberg.Table;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.HashMap;
import java.util.Map;

/**
 * Keeps a change-log table's snapshots bounded from the writer (docs/design.md, "Tables", the
 * commit protocol). Every commit adds a snapshot whose summary carries every shard's watermark,
 * and every commit writes (and the next one reads) the metadata file that lists all snapshots:
 * without expiry a long-running worker's commits grow without end, as snapshots x shards. So
 * after a commit, at most once per {@code every} per table, the snapshots older than
 * {@code maxAge} are expired, as {@code maintain}'s expiry does: the newest {@code keep} and
 * the newest that carries watermarks always stay. Readers can travel back {@code maxAge}. Iceberg
 * deletes what only the expired snapshots referenced (their manifest lists; the files a
 * compaction replaced). A failure is logged and does not touch the commit, which is done; the
 * next period tries again.
 */
final class SnapshotBound {

    private static final Logger LOG = LoggerFactory.getLogger(SnapshotBound.class);
    /** How often a writer expires a table's snapshots. */
    static final Duration EVERY = Duration.ofHours(1);

    private final Duration maxAge;
    private final int keep;
    private final Duration every;
    private final Clock clock;
    /** Per table, when this writer last expired its snapshots (commit thread only). */
    private final Map<String, Instant> lastRun = new HashMap<>();

    SnapshotBound(Duration maxAge, int keep, Duration every, Clock clock) {
        this.maxAge = maxAge;
        this.keep = keep;
        this.every = every;
        this.clock = clock;
    }

    /** After a commit to {@code table}: expires its old snapshots when its period is up; how many went. */
    int afterCommit(String name, Table table) {
        Instant now = clock.instant();
        Instant last = lastRun.get(name);
        if (last != null && now.isBefore(last.plus(every))) {
            return 0;
        }
        lastRun.put(name, now);
        try {
            int before = count(table);
            int retain = Math.max(keep, WatermarkFence.depthOfNewestMarked(table) + 1);
            table.expireSnapshots().expireOlderThan(now.minus(maxAge).toEpochMilli()).retainLast(retain).commit();
            int expired = Math.max(0, before - count(table));
            if (expired > 0) {
                LOG.info("{}: expired {} of {} snapshots older than {} h (kept the newest {})", name, expired, before,
                        maxAge.toHours(), retain);
            }
            return expired;
        } catch (RuntimeException e) {
            LOG.warn("{}: could not expire old snapshots (tried again in {} min): {}", name, every.toMinutes(),
                    e.toString());
            return 0;
        }
    }

    private static int count(Table table) {
        int n = 0;
        for (Snapshot ignored : table.snapshots()) {
            n++;
        }
        return n;
    }
}
