package io.lakehose.cli;

import io.lakehose.buffer.SpoolDirectory;
import io.lakehose.config.ConfigKeys;
import io.lakehose.config.LakeConfig;
import io.lakehose.config.LakehoseConfig;
import io.lakehose.maintain.ActionReport;
import io.lakehose.maintain.Maintenance;
import io.lakehose.metrics.MaintainMeters;
import io.lakehose.pipeline.Pipelines;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import org.apache.iceberg.catalog.Catalog;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.Callable;

/** {@code lakehose maintain}: compaction, manifest rewrite, snapshot expiry and orphan cleanup of the Iceberg tables, once. */
@Command(name = "maintain", mixinStandardHelpOptions = true,
        description = "Maintains the Iceberg tables of iceberg.namespace, safe while workers commit: compacts small "
                + "data files and the delete files that apply to them, rewrites small manifests, expires old snapshots (never the newest that carries the shards' watermarks), deletes "
                + "files no snapshot references that are older than maintain.orphanMinAgeHours. Prints one line per "
                + "table and action; exit 0, or 1 when an action failed. `run` does the same every "
                + "maintain.intervalMinutes when set.")
final class MaintainCommand implements Callable<Integer> {

    @Option(names = {"-c", "--config"}, required = true, paramLabel = "FILE", description = "YAML configuration of the service.")
    Path config;

    @Option(names = "--table", paramLabel = "NAME", description = "Only this table of the namespace (its catalog name, "
            + "e.g. orders_changes). Default: every table lakehose made there.")
    String table;

    @Option(names = "--dry-run", description = "Plan every action and print what it would do; change nothing.")
    boolean dryRun;

    @Override
    public Integer call() throws Exception {
        LakehoseConfig cfg = ConfigFiles.load(config);
        if (cfg.lake().format() == ConfigKeys.LakeFormat.FOLDERS) {
            throw new UserError(LakeConfig.FORMAT.path() + " is folders: there are no tables to maintain");
        }
        LakeWriterSetup.requireLoadableCodec(cfg); // compaction writes with parquet.compression
        Path work = Files.createTempDirectory("lakehose-maintain-");
        Catalog catalog = Pipelines.catalog(cfg);
        try {
            Maintenance maintenance = new Maintenance(catalog, cfg.iceberg().namespace(), cfg.maintain(), cfg.parquet(),
                    work, Clock.systemUTC(), new MaintainMeters(new SimpleMeterRegistry()));
            List<ActionReport> reports;
            try {
                reports = maintenance.run(Optional.ofNullable(table), dryRun);
            } catch (IllegalArgumentException e) {
                throw new UserError("--table: " + e.getMessage());
            }
            reports.forEach(r -> System.out.println(r.line()));
            return reports.stream().anyMatch(ActionReport::failed) ? 1 : 0;
        } finally {
            SpoolDirectory.deleteTree(work);
            if (catalog instanceof AutoCloseable closeable) {
                closeable.close();
            }
        }
    }
}
