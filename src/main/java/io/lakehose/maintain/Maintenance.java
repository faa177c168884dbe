package io.lakehose.maintain;

import io.lakehose.commit.iceberg.ChangeLogTables;
import io.lakehose.config.MaintainConfig;
import io.lakehose.encode.ParquetSettings;
import io.lakehose.metrics.MaintainMeters;
import org.apache.iceberg.Table;
import org.apache.iceberg.catalog.Catalog;
import org.apache.iceberg.catalog.Namespace;
import org.apache.iceberg.catalog.TableIdentifier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * Maintains lakehose's tables in one namespace (docs/design.md, "Tables", "Maintenance"): per
 * table, compaction (of data files and the delete files that apply to them), then the rewrite of
 * small manifests, then snapshot expiry (which deletes the files compaction replaced once no
 * snapshot is left that needs them), then orphan cleanup. An action that fails is reported and
 * the next goes on; each logs one line with the table's files and bytes before and after, and
 * counts in {@code lakehose_maintain_*}.
 */
public final class Maintenance {

    private static final Logger LOG = LoggerFactory.getLogger(Maintenance.class);

    private final Catalog catalog;
    private final String namespace;
    private final Compaction compaction;
    private final ManifestRewrite manifests;
    private final SnapshotExpiry expiry;
    private final OrphanCleanup orphans;
    private final MaintainMeters meters;

    /** @param workDir where compaction writes its files before they are uploaded */
    public Maintenance(Catalog catalog, String namespace, MaintainConfig config, ParquetSettings parquet, Path workDir,
                       Clock clock, MaintainMeters meters) {
        this(catalog, namespace, new Compaction(config.targetFileBytes(), config.minInputFiles(), parquet, workDir, () -> { }),
                new ManifestRewrite(config.minInputFiles()), new SnapshotExpiry(config.expireAfter(), config.keepSnapshots(), clock),
                new OrphanCleanup(config.orphanMinAge(), clock), meters);
    }

    Maintenance(Catalog catalog, String namespace, Compaction compaction, ManifestRewrite manifests,
                SnapshotExpiry expiry, OrphanCleanup orphans, MaintainMeters meters) {
        this.catalog = catalog;
        this.namespace = namespace;
        this.compaction = compaction;
        this.manifests = manifests;
        this.expiry = expiry;
        this.orphans = orphans;
        this.meters = meters;
    }

    /**
     * The tables to maintain: {@code only} (a table of the namespace, which must exist), or every
     * table of the namespace lakehose made (a change-log table {@code *_changes}, or one whose
     * {@value ChangeLogTables#SOURCE_TABLE} property says which DynamoDB table it holds).
     */
    public List<TableIdentifier> tables(Optional<String> only) {
        Namespace ns = Namespace.of(namespace);
        if (only.isPresent()) {
            TableIdentifier id = TableIdentifier.of(ns, only.get());
            if (!catalog.tableExists(id)) {
                throw new IllegalArgumentException("no table " + id + " in the catalog " + catalog.name());
            }
            return List.of(id);
        }
        List<TableIdentifier> tables = new ArrayList<>();
        for (TableIdentifier id : catalog.listTables(ns)) {
            if (id.name().endsWith("_changes")
                    || catalog.loadTable(id).properties().containsKey(ChangeLogTables.SOURCE_TABLE)) {
                tables.add(id);
            }
        }
        return tables;
    }

    /** Every action on every table of {@link #tables}; a report per action and table. */
    public List<ActionReport> run(Optional<String> only, boolean dryRun) {
        List<ActionReport> reports = new ArrayList<>();
        for (TableIdentifier id : tables(only)) {
            reports.addAll(run(catalog.loadTable(id), id.name(), dryRun));
        }
        return reports;
    }

    List<ActionReport> run(Table table, String name, boolean dryRun) {
        List<ActionReport> reports = new ArrayList<>();
        reports.add(timed(name, Compaction.ACTION, () -> compaction.run(table, name, dryRun)));
        reports.add(timed(name, ManifestRewrite.ACTION, () -> manifests.run(table, name, dryRun)));
        reports.add(timed(name, SnapshotExpiry.ACTION, () -> expiry.run(table, name, dryRun)));
        reports.add(timed(name, OrphanCleanup.ACTION, () -> orphans.run(table, name, dryRun)));
        return reports;
    }

    private interface Action {
        ActionReport run() throws IOException;
    }

    private ActionReport timed(String table, String action, Action a) {
        long start = System.nanoTime();
        ActionReport report;
        try {
            report = a.run();
        } catch (IOException | RuntimeException e) {
            LOG.warn("maintain {} {} failed", table, action, e);
            report = new ActionReport(table, action, ActionReport.FAILED, ActionReport.Count.NONE,
                    ActionReport.Count.NONE, ActionReport.Count.NONE, ActionReport.Count.NONE, e.toString());
        }
        if (report.failed()) {
            LOG.warn(report.line());
        } else {
            LOG.info(report.line());
        }
        meters.record(table, action, report.outcome(), report.removed().files(), report.removed().bytes(),
                report.added().files(), report.added().bytes(), Duration.ofNanos(System.nanoTime() - start));
        return report;
    }
}
