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
 * the newest that carries watermarks always stay. Readers can travel back {@code maxAge}.
 *
 * <p>The expired snapshots' manifest lists are deleted here, reading nothing: Iceberg's own
 * clean-up would read the manifest list of every snapshot kept (a day of them, each listing a
 * manifest per commit until {@code maintain} rewrites them), every hour. A writer's appends
 * leave nothing else that only expired snapshots reference; after a {@code maintain} compaction
 * or manifest rewrite they may (the files it replaced), which {@code maintain}'s orphan clean-up
 * removes. A failure is logged and does not touch the commit, which is done; the next period
 * tries again.
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
            Map<Long, String> before = manifestLists(table);
            int retain = Math.max(keep, WatermarkFence.depthOfNewestMarked(table) + 1);
            table.expireSnapshots().expireOlderThan(now.minus(maxAge).toEpochMilli()).retainLast(retain)
                    .cleanExpiredFiles(false).commit();
            before.keySet().removeAll(manifestLists(table).keySet());
            for (String manifestList : before.values()) {
                deleteQuietly(table, manifestList);
            }
            if (!before.isEmpty()) {
                LOG.info("{}: expired {} snapshots older than {} h (kept the newest {} and any younger)", name,
                        before.size(), maxAge.toHours(), retain);
            }
            return before.size();
        } catch (RuntimeException e) {
            LOG.warn("{}: could not expire old snapshots (tried again in {} min): {}", name, every.toMinutes(),
                    e.toString());
            return 0;
        }
    }

    /** Snapshot id to its manifest list, of every snapshot the table has now. */
    private static Map<Long, String> manifestLists(Table table) {
        Map<Long, String> out = new HashMap<>();
        for (Snapshot s : table.snapshots()) {
            if (s.manifestListLocation() != null) {
                out.put(s.snapshotId(), s.manifestListLocation());
            }
        }
        return out;
    }

    private static void deleteQuietly(Table table, String location) {
        try {
            table.io().deleteFile(location);
        } catch (RuntimeException e) {
            LOG.warn("could not delete the manifest list {} of an expired snapshot (an orphan; maintenance removes it): {}",
                    location, e.toString());
        }
    }
}
