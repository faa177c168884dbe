package io.lakehose.maintain;

import io.lakehose.commit.iceberg.LocalWarehouse;
import io.lakehose.config.ConfigLoader;
import io.lakehose.config.LakehoseConfig;
import io.lakehose.config.MaintainConfig;
import io.lakehose.decode.SequenceNumber;
import io.lakehose.decode.SourceRecord;
import io.lakehose.testing.Await;
import io.lakehose.testing.IcebergLake;
import io.lakehose.testing.TableWorker;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import org.apache.iceberg.CatalogUtil;
import org.apache.iceberg.Table;
import org.apache.iceberg.catalog.TableIdentifier;
import org.apache.iceberg.jdbc.JdbcCatalog;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Maintenance inside {@code run} ({@link MaintenanceSchedule}, started by {@code RunCommand} with the
 * worker's configuration; docs/design.md, "Tables", "Maintenance"): with a schedule the tables a
 * worker wrote are compacted and their snapshots expired while it runs, rows and watermarks kept;
 * without one ({@code maintain.intervalMinutes} unset) nothing runs.
 *
 * <p>The schedule is driven in this JVM through its own entry point with the worker's
 * configuration, whose maintain section is rebuilt with an interval of half a second and an
 * expiry age of a millisecond: the keys' smallest values (a minute, an hour) would make this
 * test wait a minute and expire nothing. The wiring in {@code RunCommand} itself (one line) is not
 * run here.
 */
class MaintenanceScheduleTest {

    private static final long T0_MILLIS = Instant.parse("2024-11-25T06:00:00Z").toEpochMilli();
    private static final String SHARD = "shardId-000000000001";

    @TempDir
    Path tmp;

    @Test
    void aScheduledWorkerCompactsAndExpiresAndAnUnscheduledOneDoesNothing() throws Exception {
        Path scheduled = tmp.resolve("scheduled");
        Path unscheduled = tmp.resolve("unscheduled");
        Map<String, String> on = TableWorker.localTables(scheduled.resolve("tables"), scheduled.resolve("lake"), 10);
        Map<String, String> off = TableWorker.localTables(unscheduled.resolve("tables"), unscheduled.resolve("lake"), 10);
        write(scheduled, on, 3);
        write(unscheduled, off, 2);

        LakehoseConfig offConfig = ConfigLoader.load(null, Map.of(), off);
        assertThat(offConfig.maintain().scheduled()).as("no maintain.* key: no schedule").isFalse();
        LakehoseConfig onConfig = ConfigLoader.load(null, Map.of(), on);
        MaintainConfig defaults = onConfig.maintain();
        MaintainConfig fast = new MaintainConfig(Duration.ofMillis(500), defaults.targetFileBytes(), 2,
                Duration.ofMillis(1), 1, defaults.orphanMinAge());
        onConfig = new LakehoseConfig(onConfig.lake(), onConfig.input(), onConfig.iceberg(), onConfig.s3(), onConfig.buffer(),
                onConfig.parquet(), onConfig.kinesis(), onConfig.backfill(), onConfig.http(), fast, onConfig.tableSchemas(),
                onConfig.currentState());

        try (JdbcCatalog onCatalog = catalog(scheduled); JdbcCatalog offCatalog = catalog(unscheduled)) {
            Table onTable = onCatalog.loadTable(TableIdentifier.of("cdc", "orders_changes"));
            Table offTable = offCatalog.loadTable(TableIdentifier.of("cdc", "orders_changes"));
            Shape onBefore = Shape.of(onTable);
            Shape offBefore = Shape.of(offTable);
            assertThat(onBefore.dataFiles).as("small files written").isGreaterThanOrEqualTo(9);
            assertThat(onBefore.snapshots).as("one snapshot per commit").isGreaterThanOrEqualTo(3);
            assertThat(offBefore.dataFiles).as("enough small files for the default maintain.minInputFiles")
                    .isGreaterThanOrEqualTo(defaults.minInputFiles());

            long maintainThreads = maintainThreads();
            SimpleMeterRegistry registry = new SimpleMeterRegistry();
            try (AutoCloseable none = MaintenanceSchedule.start(offConfig, registry)) {
                assertThat(maintainThreads()).as("no maintenance thread without a schedule").isEqualTo(maintainThreads);
                try (AutoCloseable schedule = MaintenanceSchedule.start(onConfig, registry)) {
                    Shape after = Await.until("the scheduled maintenance compacted and expired", Duration.ofSeconds(30),
                            Duration.ofMillis(100), () -> Shape.of(onTable), s -> s.dataFiles == 1 && s.snapshots == 1);
                    assertThat(after.rows).as("every row once").isEqualTo(onBefore.rows);
                    assertThat(after.watermarks).isEqualTo(onBefore.watermarks).isNotEmpty();
                    assertThat(registry.find("lakehose.maintain.runs").tag("outcome", "done").counters())
                            .as("counted in lakehose_maintain_runs").isNotEmpty();
                }
            }
            assertThat(Shape.of(offTable)).as("the unscheduled worker's table, after the other's runs").isEqualTo(offBefore);
        }
    }

    /** Commits of 30 records each (one day, one partition): three small files and a snapshot each. */
    private static void write(Path dir, Map<String, String> config, int commits) throws Exception {
        try (TableWorker w = new TableWorker(dir.resolve("spool"), config)) {
            for (int commit = 0; commit < commits; commit++) {
                for (long s = commit * 30L + 1; s <= commit * 30L + 30; s++) {
                    w.shard(SHARD).accept(change(s));
                }
                w.commit();
            }
        }
    }

    private static SourceRecord change(long seq) {
        String json = "{\"eventID\":\"e" + seq + "\",\"eventName\":\"INSERT\",\"tableName\":\"orders\","
                + "\"awsRegion\":\"us-east-1\",\"dynamodb\":{\"ApproximateCreationDateTime\":" + (T0_MILLIS + seq)
                + ",\"Keys\":{\"id\":{\"N\":\"" + seq + "\"}},\"NewImage\":{\"id\":{\"N\":\"" + seq + "\"}},\"SizeBytes\":"
                + seq + "},\"eventSource\":\"aws:dynamodb\"}";
        return SourceRecord.of(SHARD, SequenceNumber.of(1_000_000 + seq), (T0_MILLIS + seq) * 1000,
                json.getBytes(StandardCharsets.UTF_8));
    }

    private static JdbcCatalog catalog(Path dir) {
        return (JdbcCatalog) CatalogUtil.buildIcebergCatalog("lakehose", LocalWarehouse.writerProperties(dir.resolve("tables")),
                null);
    }

    private static long maintainThreads() {
        return Thread.getAllStackTraces().keySet().stream().filter(t -> t.getName().equals("maintain")).count();
    }

    /** What maintenance may change of a table and what it must keep. */
    private record Shape(int dataFiles, int snapshots, List<String> rows, Map<String, String> watermarks) {
        static Shape of(Table table) {
            table.refresh();
            List<String> rows = new ArrayList<>(IcebergLake.rows(table));
            rows.sort(null);
            int snapshots = 0;
            for (var ignored : table.snapshots()) {
                snapshots++;
            }
            return new Shape(IcebergLake.referencedDataFiles(table).size(), snapshots, rows,
                    IcebergLake.watermarks(table.currentSnapshot()));
        }
    }
}
