package io.lakehose.maintain;

import io.lakehose.commit.iceberg.WatermarkFence;
import org.apache.iceberg.ManifestContent;
import org.apache.iceberg.ManifestFile;
import org.apache.iceberg.RewriteManifests;
import org.apache.iceberg.Snapshot;
import org.apache.iceberg.Table;
import org.apache.iceberg.TableProperties;
import org.apache.iceberg.exceptions.CommitFailedException;
import org.apache.iceberg.exceptions.ValidationException;
import org.apache.iceberg.util.PropertyUtil;
import org.apache.iceberg.util.SnapshotUtil;

import java.util.List;
import java.util.Map;
import java.util.function.Predicate;

/**
 * Rewrites a table's small data manifests into few (docs/design.md, "Tables", "Maintenance"): a
 * worker's fast append adds one manifest per commit, so a change-log table gains one a commit
 * interval and every scan plan opens them all. Once the current snapshot has {@code minManifests}
 * data manifests below the table's manifest target size ({@code commit.manifest.target-size-bytes},
 * 8 MiB by default), Iceberg's {@link RewriteManifests} writes their live entries again into
 * manifests of about that size, one spec at a time.
 *
 * <p>Safe while writers commit: the commit carries the watermarks and the other {@code lakehose.*}
 * summary keys forward ({@link WatermarkFence#carryForward}); Iceberg keeps the manifests a
 * concurrent commit added and does the rewrite again when one it rewrote changed meanwhile. Delete
 * manifests are left to Iceberg's merge on commit (row-delta commits merge them).
 */
final class ManifestRewrite {

    static final String ACTION = "manifests";

    private final int minManifests;

    ManifestRewrite(int minManifests) {
        this.minManifests = minManifests;
    }

    ActionReport run(Table table, String name, boolean dryRun) {
        table.refresh();
        Snapshot current = table.currentSnapshot();
        if (current == null) {
            return report(name, dryRun ? ActionReport.DRY_RUN : ActionReport.DONE, ActionReport.Count.NONE,
                    ActionReport.Count.NONE, ActionReport.Count.NONE, ActionReport.Count.NONE, "no snapshot");
        }
        long target = PropertyUtil.propertyAsLong(table.properties(), TableProperties.MANIFEST_TARGET_SIZE_BYTES,
                TableProperties.MANIFEST_TARGET_SIZE_BYTES_DEFAULT);
        Predicate<ManifestFile> small = m -> m.content() == ManifestContent.DATA && m.length() < target;
        List<ManifestFile> before = current.allManifests(table.io());
        ActionReport.Count all = count(before, m -> true);
        ActionReport.Count toRewrite = count(before, small);
        if (toRewrite.files() < minManifests) {
            return report(name, dryRun ? ActionReport.DRY_RUN : ActionReport.DONE, all, all, ActionReport.Count.NONE,
                    ActionReport.Count.NONE, toRewrite.files() + " small data manifests, fewer than " + minManifests
                            + ": left as they are");
        }
        if (dryRun) {
            return report(name, ActionReport.DRY_RUN, all, all, toRewrite, ActionReport.Count.NONE,
                    toRewrite.files() + " small data manifests to rewrite into about "
                            + Math.max(1, (toRewrite.bytes() + target - 1) / target));
        }
        RewriteManifests rewrite = table.rewriteManifests()
                .rewriteIf(small::test)
                .clusterBy(file -> "all"); // one key: the spec's entries together, rolled at the target size
        WatermarkFence.carryForward(rewrite, Map.of(Compaction.SUMMARY_KEY, ACTION));
        try {
            rewrite.commit();
        } catch (ValidationException | CommitFailedException e) {
            return report(name, ActionReport.CONFLICT, all, all, ActionReport.Count.NONE, ActionReport.Count.NONE,
                    "another commit changed the manifests: " + e.getMessage());
        }
        table.refresh();
        List<ManifestFile> after = table.currentSnapshot().allManifests(table.io());
        long done = ours(table); // the current one, unless a writer committed since
        ActionReport.Count added = count(after,
                m -> Long.valueOf(done).equals(m.snapshotId()) && m.content() == ManifestContent.DATA);
        return report(name, ActionReport.DONE, all, count(after, m -> true), toRewrite, added,
                toRewrite.files() + " small data manifests rewritten into " + added.files());
    }

    /** The newest snapshot a manifest rewrite made: this run's. */
    private static long ours(Table table) {
        for (Snapshot s : SnapshotUtil.currentAncestors(table)) {
            if (ACTION.equals(s.summary().get(Compaction.SUMMARY_KEY))) {
                return s.snapshotId();
            }
        }
        throw new IllegalStateException("the manifest rewrite just committed is not among " + table.name() + "'s snapshots");
    }

    private static ActionReport.Count count(List<ManifestFile> manifests, Predicate<ManifestFile> which) {
        ActionReport.Count c = ActionReport.Count.NONE;
        for (ManifestFile m : manifests) {
            if (which.test(m)) {
                c = c.plus(1, m.length());
            }
        }
        return c;
    }

    private static ActionReport report(String name, String outcome, ActionReport.Count before, ActionReport.Count after,
                                       ActionReport.Count removed, ActionReport.Count added, String detail) {
        return new ActionReport(name, ACTION, outcome, before, after, removed, added, detail);
    }
}
