package io.lakehose.maintain;

import org.apache.iceberg.Snapshot;
import org.apache.iceberg.Table;
import org.apache.iceberg.io.FileInfo;
import org.apache.iceberg.io.SupportsPrefixOperations;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

/**
 * Orphan-file cleanup (docs/design.md, "Tables", "Orphans"): a file under the table's location
 * that no snapshot references (no data or delete file, manifest, manifest list, metadata or
 * statistics file of any snapshot or of the metadata log) and that is older than the safety age
 * is deleted. Such files are the uploads of a worker killed before its commit, a commit's
 * uploads whose outcome stayed unknown, a compaction's output that lost its race.
 *
 * <p>The safety age is what makes this safe while writers commit: a worker's upload may wait
 * for its snapshot up to a commit interval plus its retries (config requires the age to be
 * longer), so a file younger than that may still become referenced; nothing older can. The
 * listing and the metadata are compared by one spelling of each name; when no data file the
 * table references is found in the listing, the names do not match and nothing is deleted.
 */
final class OrphanCleanup {

    static final String ACTION = "orphans";
    private static final Logger LOG = LoggerFactory.getLogger(OrphanCleanup.class);

    private final Duration minAge;
    private final Clock clock;

    OrphanCleanup(Duration minAge, Clock clock) {
        this.minAge = minAge;
        this.clock = clock;
    }

    ActionReport run(Table table, String name, boolean dryRun) {
        String outcome = dryRun ? ActionReport.DRY_RUN : ActionReport.DONE;
        if (!(table.io() instanceof SupportsPrefixOperations io)) {
            return new ActionReport(name, ACTION, ActionReport.FAILED, ActionReport.Count.NONE, ActionReport.Count.NONE,
                    ActionReport.Count.NONE, ActionReport.Count.NONE, "the table's FileIO (" + table.io().getClass()
                    .getSimpleName() + ") cannot list files: nothing deleted");
        }
        // Listed first, then the metadata read: a file committed in between is referenced when read.
        long cutoff = clock.millis() - minAge.toMillis();
        List<FileInfo> listed = new ArrayList<>();
        io.listPrefix(table.location().replaceAll("/+$", "") + "/").forEach(listed::add);
        table.refresh();
        List<Snapshot> snapshots = new ArrayList<>();
        table.snapshots().forEach(snapshots::add);
        StoredFiles stored = StoredFiles.of(table, snapshots);
        Set<String> content = new HashSet<>();
        stored.content().keySet().forEach(f -> content.add(StoredFiles.normalize(f)));
        Set<String> referenced = new HashSet<>(content);
        StoredFiles.metadata(table, stored).forEach(f -> referenced.add(StoredFiles.normalize(f)));

        ActionReport.Count all = ActionReport.Count.NONE;
        ActionReport.Count orphans = ActionReport.Count.NONE;
        List<String> toDelete = new ArrayList<>();
        int young = 0;
        boolean matched = false;
        for (FileInfo f : listed) {
            all = all.plus(1, f.size());
            String normalized = StoredFiles.normalize(f.location());
            if (referenced.contains(normalized)) {
                matched |= content.contains(normalized);
            } else if (f.createdAtMillis() < cutoff) {
                orphans = orphans.plus(1, f.size());
                toDelete.add(f.location());
            } else {
                young++;
            }
        }
        if (!matched && !stored.content().isEmpty() && !toDelete.isEmpty()) {
            return new ActionReport(name, ACTION, ActionReport.FAILED, all, all, ActionReport.Count.NONE,
                    ActionReport.Count.NONE, "none of the table's data files is among the " + listed.size()
                    + " files listed under " + table.location() + ": the listing names files otherwise than the "
                    + "metadata; nothing deleted");
        }
        if (!dryRun) {
            for (String location : toDelete) {
                LOG.info("{}: deleting orphan {}", name, location);
                io.deleteFile(location);
            }
        }
        String detail = toDelete.size() + " files referenced by no snapshot and older than " + minAge.toHours() + " h "
                + (dryRun ? "to delete" : "deleted") + "; " + young + " younger ones kept (a commit may still take them)";
        return new ActionReport(name, ACTION, outcome, all, new ActionReport.Count(all.files() - orphans.files(),
                all.bytes() - orphans.bytes()), orphans, ActionReport.Count.NONE, detail);
    }
}
