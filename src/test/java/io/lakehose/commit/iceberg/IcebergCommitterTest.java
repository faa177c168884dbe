package io.lakehose.commit.iceberg;

import io.lakehose.commit.iceberg.state.CurrentStateSettings;
import io.lakehose.config.ConfigKeys.LakeFormat;
import io.lakehose.pipeline.ShardPipeline;
import io.lakehose.pipeline.ShardSession;
import io.lakehose.testing.Await;
import io.lakehose.testing.DuckDbLake;
import io.lakehose.testing.RecordingCheckpointer;
import org.apache.iceberg.Snapshot;
import org.apache.iceberg.Table;
import org.apache.iceberg.catalog.Catalog;
import org.apache.iceberg.catalog.Namespace;
import org.apache.iceberg.catalog.TableIdentifier;
import org.apache.iceberg.jdbc.JdbcCatalog;
import org.junit.jupiter.api.Test;
import software.amazon.awssdk.services.s3.model.HeadObjectResponse;
import software.amazon.awssdk.services.s3.model.S3Object;
import software.amazon.awssdk.services.s3.model.ServerSideEncryption;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Collectors;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * The Iceberg adapter against real parts, on Iceberg's JDBC catalog on an SQLite file: the commit
 * protocol's cases ({@link IcebergCommitProtocolCases}) and the rest, which do not depend on the
 * catalog's protocol: every record once with SSE-KMS on every object, a table name that is
 * another table's, the namespace race of JdbcCatalog, both formats, a dropped table.
 */
class IcebergCommitterTest extends IcebergCommitProtocolCases {

    /**
     * Workers starting together on a new catalog race to create the namespace: JdbcCatalog checks
     * that it is missing, then inserts it, and the loser of that race gets the database's
     * unique-key error rather than AlreadyExistsException (seen with four worker processes,
     * IcebergFourWorkersIT: one stopped its shard and exited). Here the race is forced: the
     * namespace is created by another catalog between this one's checks and its insert.
     */
    @Test
    void aWorkerThatLosesTheRaceToCreateTheNamespaceGoesOn() throws Exception {
        try (JdbcCatalog other = (JdbcCatalog) catalog()) {
            other.createNamespace(Namespace.of("cdc"));
        }
        AtomicInteger checks = new AtomicInteger();
        try (JdbcCatalog racing = new JdbcCatalog() {
            @Override
            public boolean namespaceExists(Namespace namespace) {
                // ChangeLogTables' check and createNamespace's own both ran before the other worker's insert
                return checks.incrementAndGet() > 2 && super.namespaceExists(namespace);
            }
        }) {
            racing.initialize("lake", catalogProperties());
            ChangeLogTables tables = new ChangeLogTables(racing, new IcebergSettings("lake", catalogProperties(), "cdc",
                    Duration.ofHours(1), "day", Map.of()), Map.of());
            assertThat(tables.table("orders").name()).isEqualTo("lake.cdc.orders_changes");
            assertThat(checks.get()).as("namespace checks: the race was run").isGreaterThan(2);
        }
    }

    @Test
    void everyRecordOnceInItsTableWithEveryShardsWatermarkAndSseKmsOnEveryObject() throws Exception {
        try (Worker w = new Worker("w", 40)) {
            ShardPipeline a = w.shard("shardId-000000000000");
            ShardPipeline b = w.shard("shardId-000000000001");
            for (long s = 1; s <= 300; s++) {
                a.accept(record("shardId-000000000000", s));
                if (s <= 120) {
                    b.accept(record("shardId-000000000001", s));
                }
            }
            a.flush().get(60, TimeUnit.SECONDS);
            b.flush().get(60, TimeUnit.SECONDS);
        }
        Catalog catalog = catalog();
        List<String> orders = rows(catalog, "orders_changes");
        assertThat(orders).doesNotHaveDuplicates();
        Set<String> expectedOrders = expected("shardId-000000000000", 1, 300, false);
        expectedOrders.addAll(expected("shardId-000000000001", 1, 120, false));
        assertThat(new TreeSet<>(orders)).isEqualTo(expectedOrders);
        List<String> payments = rows(catalog, "payments_v2_changes");
        assertThat(payments).doesNotHaveDuplicates().hasSize(expected("shardId-000000000000", 1, 300, true).size()
                + expected("shardId-000000000001", 1, 120, true).size());

        Snapshot newest = catalog.loadTable(TableIdentifier.of(Namespace.of("cdc"), "orders_changes")).currentSnapshot();
        assertThat(newest.summary()).containsEntry("lakehose.watermark.shardId-000000000000", "1000300")
                .containsEntry("lakehose.watermark.shardId-000000000001", "1000120");

        // SSE-KMS with our key on every object of the warehouse: data, manifests, manifest lists, metadata.
        List<S3Object> objects = s3.client().listObjectsV2Paginator(b -> b.bucket(s3.bucket()).prefix(warehouse() + "/"))
                .contents().stream().toList();
        assertThat(objects.stream().map(S3Object::key).collect(Collectors.toList()))
                .anyMatch(k -> k.endsWith(".parquet")).anyMatch(k -> k.endsWith(".avro"))
                .anyMatch(k -> k.endsWith(".metadata.json"));
        for (S3Object o : objects) {
            HeadObjectResponse head = s3.client().headObject(h -> h.bucket(s3.bucket()).key(o.key()));
            assertThat(head.serverSideEncryption()).as(o.key()).isEqualTo(ServerSideEncryption.AWS_KMS);
            assertThat(head.ssekmsKeyId()).as(o.key()).isEqualTo(KEY);
        }
        // Bad records stay files of the folder layout's error output.
        assertThat(s3.client().listObjectsV2Paginator(b -> b.bucket(s3.bucket()).prefix("errors/")).contents()
                .stream().map(S3Object::key).toList()).isNotEmpty().allMatch(k -> k.contains("orders-cdc~shardId-"));
    }

    /**
     * The current-state table beside the change log: its catch-up fails after the change-log
     * commits (a foreign table holds its name, as a crash between the two commits would leave
     * it: the change log ahead), the change log goes on; once the name is free, a restarted
     * worker applies every change-log snapshot the state table lacks, even with nothing new for
     * the change log (it re-reads what is committed; no commit of its own), and goes on: each item
     * once, none lost.
     */
    @Test
    void theCurrentStateTableCatchesUpWithItsChangeLogAfterMissedCommitsEachItemOnce() throws Exception {
        Catalog catalog = catalog();
        ((org.apache.iceberg.catalog.SupportsNamespaces) catalog).createNamespace(Namespace.of("cdc"));
        TableIdentifier stateId = TableIdentifier.of(Namespace.of("cdc"), "orders");
        catalog.createTable(stateId, ChangeLogTables.SCHEMA);
        CurrentStateSettings on =
                new CurrentStateSettings(true, Map.of(), false);
        String shard = "shardId-000000000004";
        try (Worker w = new Worker("w1", 40)) {
            w.committer.keepingCurrentState(on);
            w.write(shard, 1, 150);
            assertThat(w.committer.health()).hasValueSatisfying(h -> assertThat(h).contains("current-state table of orders"));
        }
        assertThat(new TreeSet<>(rows(catalog, "orders_changes"))).isEqualTo(expected(shard, 1, 150, false));
        assertThat(rows(catalog, "orders")).as("the foreign table untouched").isEmpty();
        catalog.dropTable(stateId);
        try (Worker w = new Worker("w2", 40)) {
            w.committer.keepingCurrentState(on);
            w.write(shard, 1, 150);
            Await.until("the state table caught up with no change-log commit", Duration.ofSeconds(30), Duration.ofMillis(200),
                    () -> catalog.tableExists(stateId) ? new TreeSet<>(rows(catalog, "orders")) : Set.of(),
                    r -> r.equals(expected(shard, 1, 150, false)));
            w.write(shard, 151, 300);
            assertThat(w.committer.health()).isEmpty();
        }
        List<String> state = rows(catalog, "orders");
        assertThat(state).doesNotHaveDuplicates();
        assertThat(new TreeSet<>(state)).isEqualTo(expected(shard, 1, 300, false));
        Table t = catalog.loadTable(stateId);
        assertThat(t.currentSnapshot().summary()).containsEntry("lakehose.source-snapshot",
                Long.toString(catalog.loadTable(TableIdentifier.of(Namespace.of("cdc"), "orders_changes"))
                        .currentSnapshot().snapshotId()))
                .containsEntry("lakehose.watermark." + shard, "1000300");
    }

    /**
     * A forged record (anyone who may put to the stream can send one) whose table name is another
     * table's in the catalog, ORDERS for orders (Iceberg's names ignore case and punctuation), goes
     * to the error output with its own reason and the shard goes on. It used to fail the shard: the
     * worker exited, its successor re-read the record and failed again until the stream's
     * retention dropped it. The change-log table says whose it is, so a restarted worker that meets
     * the forged name first refuses it too.
     */
    @Test
    void aTableNameThatIsAnotherTablesInTheCatalogGoesToTheErrorOutputAndTheShardGoesOn() throws Exception {
        String first = "shardId-000000000013";
        String second = "shardId-000000000014";
        List<Throwable> fatal = new ArrayList<>();
        List<String> firstCheckpoints = new ArrayList<>();
        List<String> secondCheckpoints = new ArrayList<>();
        try (Worker w = new Worker("w", 1000)) {
            ShardSession s = w.session(first, fatal);
            s.process(List.of(change(first, 1, "orders"), change(first, 2, "ORDERS"), change(first, 3, "orders")),
                    new RecordingCheckpointer(firstCheckpoints));
            s.shutdownRequested(new RecordingCheckpointer(firstCheckpoints), Duration.ofSeconds(60));
        }
        try (Worker restarted = new Worker("restarted", 1000)) {
            ShardSession s = restarted.session(second, fatal);
            s.process(List.of(change(second, 1, "ORDERS"), change(second, 2, "orders")), new RecordingCheckpointer(secondCheckpoints));
            s.shutdownRequested(new RecordingCheckpointer(secondCheckpoints), Duration.ofSeconds(60));
        }
        assertThat(fatal).as("failures that stop the worker").isEmpty();
        assertThat(firstCheckpoints).last().isEqualTo("1000003");
        assertThat(secondCheckpoints).last().isEqualTo("1000002");
        assertThat(rows(catalog(), "orders_changes")).containsExactlyInAnyOrder(
                first + "/1000001", first + "/1000003", second + "/1000002");
        List<String> refused = s3.client().listObjectsV2Paginator(b -> b.bucket(s3.bucket())
                .prefix("errors/table=ORDERS/reason=table_name_conflict/")).contents().stream().map(S3Object::key).toList();
        assertThat(refused).hasSize(2).anyMatch(k -> k.contains("~" + first + "~")).anyMatch(k -> k.contains("~" + second + "~"));
        String line = s3.client().getObjectAsBytes(b -> b.bucket(s3.bucket()).key(refused.get(0))).asUtf8String();
        assertThat(line).contains("\"error_code\":\"table_name_conflict\"").contains("orders_changes");
    }

    /**
     * A migration (lake.format both): the folder lake holds records 1..120 of a shard before the
     * tables exist; a worker writing both re-reads 1..200. The folders get only 121..200 (their
     * fence cuts what they hold), the tables get all of 1..200: every record once in each. Then
     * the reverse: the tables ahead of the folders.
     */
    @Test
    void bothFormatsHoldEveryRecordOnceEachWhicheverIsAhead() throws Exception {
        String shard = "shardId-000000000021";
        try (Worker before = new Worker("folders-only", 25, LakeFormat.FOLDERS)) {
            before.write(shard, 1, 120);
        }
        try (Worker both = new Worker("both", 30, LakeFormat.BOTH)) {
            both.write(shard, 1, 200);
        }
        // The tables ahead now: a tables-only worker adds 201..260, then both re-read 150..300.
        try (Worker tablesOnly = new Worker("tables-only", 30, LakeFormat.ICEBERG)) {
            tablesOnly.write(shard, 201, 260);
        }
        try (Worker both = new Worker("both-again", 30, LakeFormat.BOTH)) {
            both.write(shard, 150, 300);
        }
        Catalog catalog = catalog();
        List<String> tableRows = new ArrayList<>(rows(catalog, "orders_changes"));
        tableRows.addAll(rows(catalog, "payments_v2_changes"));
        Set<String> all = expected(shard, 1, 300, false);
        all.addAll(expected(shard, 1, 300, true));
        assertThat(tableRows.stream().filter(r -> r.startsWith(shard + "/")).toList()).doesNotHaveDuplicates()
                .containsExactlyInAnyOrderElementsOf(all);
        assertThat(folderRows(shard)).doesNotHaveDuplicates().containsExactlyInAnyOrderElementsOf(all);
    }

    /** "shard/sequence" of every row of {@code shard} in the folder lake (under lake/), read by DuckDB. */
    private List<String> folderRows(String shard) throws IOException {
        Path dir = Files.createDirectories(tmp.resolve("folder-lake"));
        for (S3Object o : s3.client().listObjectsV2Paginator(b -> b.bucket(s3.bucket()).prefix("lake/")).contents()) {
            if (o.key().contains("~" + shard + "~") && o.key().endsWith(".parquet")) {
                Path target = dir.resolve(o.key());
                Files.createDirectories(target.getParent());
                s3.client().getObject(b -> b.bucket(s3.bucket()).key(o.key()), target);
            }
        }
        try (DuckDbLake db = DuckDbLake.open()) {
            return db.query("SELECT shard_id || '/' || sequence_number AS r FROM " + DuckDbLake.lake(dir))
                    .stream().map(m -> (String) m.get("r")).toList();
        }
    }

    /**
     * The table dropped while the worker runs: its commits fail naming it, /health says so, the
     * shard's files are not committed (their records never checkpointed) and fail only after the
     * budget, and the worker never creates the table again behind the operator's back (a new
     * worker does, on start, and re-reads from the checkpoints).
     */
    @Test
    void aTableDroppedWhileRunningStopsItsCommitsAndSaysWhich() throws Exception {
        String shard = "shardId-000000000031";
        TableIdentifier orders = TableIdentifier.of(Namespace.of("cdc"), "orders_changes");
        try (Worker w = new Worker("w", 30, false, Duration.ofSeconds(4))) {
            ShardPipeline p = w.shard(shard);
            accept(p, shard, 1, 60);
            p.flush().get(60, TimeUnit.SECONDS);
            assertThat(catalog().dropTable(orders, false)).isTrue();
            accept(p, shard, 61, 120);
            assertThatThrownBy(() -> p.flush().get(60, TimeUnit.SECONDS)).isInstanceOf(ExecutionException.class)
                    .hasStackTraceContaining("orders_changes");
            assertThat(w.committer.health()).hasValueSatisfying(h -> assertThat(h).contains("table of orders"));
        }
        assertThat(catalog().tableExists(orders)).as("not created again by the running worker").isFalse();
    }

    /**
     * A long-running worker with no maintenance schedule: its commits expire the tables' old
     * snapshots (here every commit, any older than now, the newest 2 kept), the change log's and
     * the current-state table's, so the metadata file every commit writes and reads stops growing
     * with every snapshot; the expired snapshots' manifest lists are deleted. The newest
     * watermarks stay: leases that resume after it skip what the table holds and the fence lets
     * their commits through, each record once; the state table stays caught up.
     */
    @Test
    void aWorkersCommitsKeepItsTablesSnapshotsBoundedAndTheirWatermarks() throws Exception {
        String a = "shardId-000000000041";
        String b = "shardId-000000000042";
        try (JdbcCatalog reader = (JdbcCatalog) catalog(); Worker w = new Worker("w", 10)) {
            w.committer.boundingSnapshots(new SnapshotBound(Duration.ZERO, 2, Duration.ZERO, Clock.systemUTC()))
                    .keepingCurrentState(new CurrentStateSettings(true, Map.of(), false));
            for (long from = 1; from <= 50; from += 10) {
                w.write(a, from, from + 9);
                w.write(b, from, from + 4);
            }
            w.write(a, 31, 70); // a new lease from behind the table's mark: 31..50 are skipped, not re-committed
            // The expiry follows the commit on the commit thread: wait for it before the worker stops.
            Await.until("the last commit's expiry", Duration.ofSeconds(30),
                    () -> snapshots(orders(reader)).size() == 2 && manifestLists("orders_changes").size() == 2
                            && snapshots(reader.loadTable(TableIdentifier.of(Namespace.of("cdc"), "orders"))).size() == 2
                            && manifestLists("orders").size() == 2);
        }
        Table orders = orders(catalog());
        assertThat(snapshots(orders)).as("snapshots kept after 11 leases' commits").hasSize(2);
        assertThat(orders.currentSnapshot().summary()).containsEntry("lakehose.watermark." + a, "1000070")
                .containsEntry("lakehose.watermark." + b, "1000045");
        List<String> rows = rows(catalog(), "orders_changes");
        Set<String> expected = expected(a, 1, 70, false);
        for (long from = 1; from <= 50; from += 10) {
            expected.addAll(expected(b, from, from + 4, false));
        }
        assertThat(rows).doesNotHaveDuplicates();
        assertThat(new TreeSet<>(rows)).isEqualTo(expected);
        assertThat(manifestLists("orders_changes")).as("manifest lists left: those of the snapshots kept").hasSize(2);
        Table state = catalog().loadTable(TableIdentifier.of(Namespace.of("cdc"), "orders"));
        assertThat(snapshots(state)).as("the current-state table's snapshots").hasSize(2);
        assertThat(state.currentSnapshot().summary())
                .containsEntry("lakehose.source-snapshot", Long.toString(orders.currentSnapshot().snapshotId()))
                .containsEntry("lakehose.watermark." + a, "1000070");
        assertThat(rows(catalog(), "orders")).doesNotHaveDuplicates().isNotEmpty();
    }

    private static Table orders(Catalog catalog) {
        return catalog.loadTable(TableIdentifier.of(Namespace.of("cdc"), "orders_changes"));
    }

    private static List<Snapshot> snapshots(Table table) {
        List<Snapshot> out = new ArrayList<>();
        table.snapshots().forEach(out::add);
        return out;
    }

    private List<String> manifestLists(String table) {
        return s3.client().listObjectsV2Paginator(l -> l.bucket(s3.bucket())
                        .prefix(warehouse() + "/cdc/" + table + "/metadata/")).contents().stream().map(S3Object::key)
                .filter(k -> k.substring(k.lastIndexOf('/') + 1).startsWith("snap-")).toList();
    }
}
