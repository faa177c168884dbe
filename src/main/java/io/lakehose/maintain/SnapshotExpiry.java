package io.lakehose.maintain;

import io.lakehose.commit.iceberg.WatermarkFence;
import org.apache.iceberg.ExpireSnapshots;
import org.apache.iceberg.Snapshot;
import org.apache.iceberg.Table;

import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Snapshot expiry (docs/design.md, "Tables", "Maintenance"): snapshots older than the configured
 * age go, except the newest {@code keepSnapshots} and always the newest snapshot that carries
 * the shards' watermarks with every one after it. The watermarks are read from that snapshot
 * ({@link WatermarkFence#watermarks}: the newest in the ancestry that has any); were it expired
 * behind a snapshot that carries none (one another tool committed), the table would forget where
 * its shards stand, and every writer's fence would refuse its next commit.
 *
 * <p>Iceberg retries the expiry on a refreshed base when a writer commits meanwhile, keeping as
 * many of the newest snapshots; a writer's snapshot always carries the watermarks, so the
 * newest that carries them is then nearer the head. After the commit, Iceberg deletes the
 * manifests and files only the expired snapshots referenced, and this the data files no snapshot
 * left references (those a compaction replaced, which Iceberg's incremental cleanup would leave
 * until the compaction's own snapshot expires).
 */
final class SnapshotExpiry {

    static final String ACTION = "expire";

    private final Duration maxAge;
    private final int keepSnapshots;
    private final Clock clock;

    SnapshotExpiry(Duration maxAge, int keepSnapshots, Clock clock) {
        this.maxAge = maxAge;
        this.keepSnapshots = keepSnapshots;
        this.clock = clock;
    }

    ActionReport run(Table table, String name, boolean dryRun) {
        table.refresh();
        List<Snapshot> before = new ArrayList<>();
        table.snapshots().forEach(before::add);
        if (before.isEmpty()) {
            return new ActionReport(name, ACTION, dryRun ? ActionReport.DRY_RUN : ActionReport.DONE,
                    ActionReport.Count.NONE, ActionReport.Count.NONE, ActionReport.Count.NONE, ActionReport.Count.NONE,
                    "no snapshot");
        }
        StoredFiles stored = StoredFiles.of(table, before);
        int keep = Math.max(keepSnapshots, WatermarkFence.depthOfNewestMarked(table) + 1);
        Set<String> deleted = ConcurrentHashMap.newKeySet();
        ExpireSnapshots expire = table.expireSnapshots()
                .expireOlderThan(clock.millis() - maxAge.toMillis())
                .retainLast(keep)
                .deleteWith(location -> {
                    table.io().deleteFile(location);
                    deleted.add(location);
                });
        List<Snapshot> after;
        if (dryRun) {
            // ExpireSnapshots.apply() lists the snapshots it would remove, not those it would keep.
            Set<Long> removed = new HashSet<>();
            expire.apply().forEach(s -> removed.add(s.snapshotId()));
            after = before.stream().filter(s -> !removed.contains(s.snapshotId())).toList();
        } else {
            expire.commit();
            table.refresh();
            after = new ArrayList<>();
            table.snapshots().forEach(after::add);
        }
        StoredFiles kept = StoredFiles.of(table, after);
        Set<Long> left = new HashSet<>();
        after.forEach(s -> left.add(s.snapshotId()));
        long expired = before.stream().filter(s -> !left.contains(s.snapshotId())).count();
        ActionReport.Count gone = ActionReport.Count.NONE;
        for (var e : stored.content().entrySet()) {
            if (!kept.content().containsKey(e.getKey())) {
                gone = gone.plus(1, e.getValue());
                if (!dryRun && deleted.add(e.getKey())) {
                    // Iceberg's incremental cleanup deletes the files a compaction replaced only once the
                    // compaction's own snapshot expires; no snapshot left reads them, and commits only
                    // ever add files: they go now.
                    table.io().deleteFile(e.getKey());
                }
            }
        }
        String detail = expired + " of " + before.size() + " snapshots " + (dryRun ? "to expire" : "expired")
                + " (kept the newest " + keep + " and any younger than " + maxAge.toHours() + " h)"
                + (dryRun ? "" : "; " + deleted.size() + " files deleted, data and metadata");
        return new ActionReport(name, ACTION, dryRun ? ActionReport.DRY_RUN : ActionReport.DONE, stored.count(),
                kept.count(), gone, ActionReport.Count.NONE, detail);
    }
}
