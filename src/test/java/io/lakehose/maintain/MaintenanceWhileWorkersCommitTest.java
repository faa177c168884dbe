package io.lakehose.maintain;

import io.lakehose.commit.iceberg.LocalWarehouse;
import io.lakehose.config.ConfigLoader;
import io.lakehose.config.LakehoseConfig;
import io.lakehose.config.MaintainConfig;
import io.lakehose.decode.SequenceNumber;
import io.lakehose.decode.SourceRecord;
import io.lakehose.metrics.MaintainMeters;
import io.lakehose.testing.DuckDbLake;
import io.lakehose.testing.IcebergLake;
import io.lakehose.testing.TableWorker;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import org.apache.iceberg.CatalogUtil;
import org.apache.iceberg.Table;
import org.apache.iceberg.catalog.Namespace;
import org.apache.iceberg.catalog.TableIdentifier;
import org.apache.iceberg.data.IcebergGenerics;
import org.apache.iceberg.data.Record;
import org.apache.iceberg.io.CloseableIterable;
import org.apache.iceberg.jdbc.JdbcCatalog;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Maintenance while four workers commit (docs/design.md, "Tables", "Maintenance": "Several
 * workers maintaining at once is safe", a worker's append never refused by a compaction, the
 * current-state table catching up after anything else committed): four workers in this JVM, each
 * with its own catalog connection, commit thread and four of the sixteen shards, commit to one
 * change-log table and its current-state table on one JDBC catalog on SQLite, while maintenance
 * (compaction, and expiry down to one snapshot) runs over and over through a catalog of its own.
 *
 * <p>Afterwards no record is lost or doubled in the change log (its data files read by DuckDB)
 * and the state table holds each live key once with its newest change (Iceberg's generic reader,
 * position deletes applied), both against what the test put.
 *
 * <p>Threads rather than processes ({@code IcebergFourWorkersIT}: 2-3 minutes, outside the CI
 * run): the commit paths are the same (the committer {@code run} builds, one per worker); not
 * exercised here are KCL's lease moves and a worker's own process and catalog pool.
 */
class MaintenanceWhileWorkersCommitTest {

    private static final long T0_MILLIS = Instant.parse("2024-11-25T06:00:00Z").toEpochMilli();
    private static final int WORKERS = 4;
    private static final int SHARDS_PER_WORKER = 4;
    private static final int COMMITS = 3;
    private static final int RECORDS_PER_SHARD_AND_COMMIT = 20;
    /** Keys per shard: each key changes several times, so the state table deletes rows all along. */
    private static final int KEYS_PER_SHARD = 25;

    @TempDir
    Path tmp;

    @Test
    void noRowLostOrDoubledInEitherTableWhileMaintenanceCompactsAndExpires() throws Exception {
        Path tables = tmp.resolve("tables");
        Map<String, String> config = TableWorker.localTables(tables, tmp.resolve("lake"), 10);
        config.put("iceberg.currentState", "true");
        LakehoseConfig cfg = ConfigLoader.load(null, Map.of(), config);
        MaintainConfig aggressive = new MaintainConfig(Duration.ZERO, cfg.maintain().targetFileBytes(), 2,
                Duration.ofMillis(1), 1, cfg.maintain().orphanMinAge());

        Map<String, String> written = new ConcurrentHashMap<>(); // shard/sequence -> key, REMOVE as key + "-"
        List<ActionReport> reports = new CopyOnWriteArrayList<>();
        AtomicBoolean writing = new AtomicBoolean(true);
        ExecutorService threads = Executors.newFixedThreadPool(WORKERS + 1);
        try (JdbcCatalog maintainCatalog = catalog(tables)) {
            Maintenance maintenance = new Maintenance(maintainCatalog, "cdc", aggressive, cfg.parquet(),
                    Files.createDirectories(tmp.resolve("maintain")), Clock.systemUTC(), new MaintainMeters(new SimpleMeterRegistry()));
            List<Future<?>> workers = new ArrayList<>();
            for (int w = 0; w < WORKERS; w++) {
                int worker = w;
                workers.add(threads.submit(() -> {
                    write(worker, config, written);
                    return null;
                }));
            }
            Future<?> maintaining = threads.submit(() -> {
                while (writing.get()) {
                    if (maintainCatalog.namespaceExists(Namespace.of("cdc"))) { // created by the first commit
                        reports.addAll(maintenance.run(Optional.empty(), false));
                    }
                }
                return null;
            });
            for (Future<?> f : workers) {
                f.get(120, TimeUnit.SECONDS);
            }
            writing.set(false);
            maintaining.get(120, TimeUnit.SECONDS);
        } finally {
            threads.shutdownNow();
        }

        assertThat(reports).as("maintenance compacted and expired while the workers committed")
                .anyMatch(r -> r.action().equals(Compaction.ACTION) && r.outcome().equals(ActionReport.DONE)
                        && r.removed().files() > 0)
                .anyMatch(r -> !r.action().equals(Compaction.ACTION) && r.outcome().equals(ActionReport.DONE)
                        && r.removed().files() > 0);
        assertThat(reports).as("no maintenance action failed").noneMatch(r -> r.outcome().equals(ActionReport.FAILED));
        try (JdbcCatalog catalog = catalog(tables)) {
            Table changeLog = catalog.loadTable(TableIdentifier.of("cdc", "orders_changes"));
            Table state = catalog.loadTable(TableIdentifier.of("cdc", "orders"));
            try (DuckDbLake duck = DuckDbLake.open()) {
                List<String> rows = duck.query("SELECT shard_id || '/' || sequence_number AS r FROM "
                        + DuckDbLake.files(IcebergLake.localDataFiles(changeLog))).stream().map(r -> (String) r.get("r")).toList();
                assertThat(rows).as("the change log: every record once").doesNotHaveDuplicates()
                        .containsExactlyInAnyOrderElementsOf(written.keySet());
            }
            assertThat(stateRows(state)).as("the state table: each live key once, its newest change")
                    .isEqualTo(newestPerKey(written));
        }
    }

    /** One worker: its four shards, {@value #COMMITS} commits of {@value #RECORDS_PER_SHARD_AND_COMMIT} records a shard. */
    private void write(int worker, Map<String, String> config, Map<String, String> written) throws Exception {
        try (TableWorker w = new TableWorker(tmp.resolve("w" + worker), config)) {
            for (int commit = 0; commit < COMMITS; commit++) {
                for (int s = 0; s < SHARDS_PER_WORKER; s++) {
                    String shard = String.format("shardId-%012d", worker * SHARDS_PER_WORKER + s);
                    for (int i = 0; i < RECORDS_PER_SHARD_AND_COMMIT; i++) {
                        long seq = commit * RECORDS_PER_SHARD_AND_COMMIT + i + 1;
                        String key = shard + "-k" + (seq * 7 % KEYS_PER_SHARD);
                        boolean remove = seq % 11 == 0;
                        w.shard(shard).accept(change(shard, seq, key, remove));
                        written.put(shard + "/" + (1_000_000 + seq), remove ? key + "-" : key);
                    }
                }
                w.commit();
            }
        }
    }

    /** A change of {@code key}; its event time grows with the sequence, so the newest per key is the last put. */
    private static SourceRecord change(String shard, long seq, String key, boolean remove) {
        String image = "{\"id\":{\"S\":\"" + key + "\"},\"seq\":{\"N\":\"" + seq + "\"}}";
        String json = "{\"eventID\":\"e" + shard + seq + "\",\"eventName\":\"" + (remove ? "REMOVE" : "MODIFY")
                + "\",\"tableName\":\"orders\",\"awsRegion\":\"us-east-1\",\"dynamodb\":{\"ApproximateCreationDateTime\":"
                + (T0_MILLIS + seq) + ",\"Keys\":{\"id\":{\"S\":\"" + key + "\"}},"
                + (remove ? "\"OldImage\":" : "\"NewImage\":") + image + ",\"SizeBytes\":10},\"eventSource\":\"aws:dynamodb\"}";
        return SourceRecord.of(shard, SequenceNumber.of(1_000_000 + seq), (T0_MILLIS + seq) * 1000,
                json.getBytes(StandardCharsets.UTF_8));
    }

    /** key JSON -> shard/sequence of its newest change, for the keys whose newest change is not a REMOVE. */
    private static Map<String, String> newestPerKey(Map<String, String> written) {
        Map<String, String> newest = new TreeMap<>();
        Map<String, Long> at = new TreeMap<>();
        written.forEach((row, key) -> {
            long seq = Long.parseLong(row.substring(row.indexOf('/') + 1));
            String k = key.endsWith("-") ? key.substring(0, key.length() - 1) : key;
            if (at.getOrDefault(k, -1L) < seq) {
                at.put(k, seq);
                newest.put(k, key.endsWith("-") ? null : row);
            }
        });
        newest.values().removeIf(v -> v == null);
        Map<String, String> byKeyJson = new TreeMap<>();
        newest.forEach((k, row) -> byKeyJson.put("{\"id\":\"" + k + "\"}", row));
        return byKeyJson;
    }

    /** key -> shard/sequence of the state table's rows; fails on a key twice. */
    private static Map<String, String> stateRows(Table state) throws Exception {
        Map<String, String> rows = new TreeMap<>();
        try (CloseableIterable<Record> records = IcebergGenerics.read(state).build()) {
            for (Record r : records) {
                assertThat(rows.put((String) r.getField("keys"), r.getField("shard_id") + "/" + r.getField("sequence_number")))
                        .as("one row per key").isNull();
            }
        }
        return rows;
    }


    private static JdbcCatalog catalog(Path tables) {
        return (JdbcCatalog) CatalogUtil.buildIcebergCatalog("lakehose", LocalWarehouse.writerProperties(tables), null);
    }
}
