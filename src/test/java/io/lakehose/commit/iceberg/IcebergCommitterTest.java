package io.lakehose.commit.iceberg;

import io.lakehose.commit.BothCommitter;
import io.lakehose.commit.LakeCommitter;
import io.lakehose.config.ConfigKeys.LakeFormat;
import io.lakehose.config.ConfigLoader;
import io.lakehose.config.LakehoseConfig;
import io.lakehose.decode.SequenceNumber;
import io.lakehose.decode.SourceRecord;
import io.lakehose.encode.ParquetTrimmer;
import io.lakehose.encode.RowEncoders;
import io.lakehose.pipeline.PipelineContext;
import io.lakehose.pipeline.PipelineStats;
import io.lakehose.pipeline.Pipelines;
import io.lakehose.pipeline.ShardPipeline;
import io.lakehose.pipeline.ShardSession;
import io.lakehose.sink.KmsKeyId;
import io.lakehose.sink.S3ObjectStore;
import io.lakehose.testing.Await;
import io.lakehose.testing.DuckDbLake;
import io.lakehose.testing.EmulatorAccess;
import io.lakehose.testing.FaultyJdbc;
import io.lakehose.testing.S3EmulatorExtension;
import io.lakehose.testing.RecordingCheckpointer;
import org.apache.iceberg.CatalogUtil;
import org.apache.iceberg.Snapshot;
import org.apache.iceberg.Table;
import org.apache.iceberg.catalog.Catalog;
import org.apache.iceberg.catalog.Namespace;
import org.apache.iceberg.catalog.TableIdentifier;
import org.apache.iceberg.data.IcebergGenerics;
import org.apache.iceberg.data.Record;
import org.apache.iceberg.io.CloseableIterable;
import org.apache.iceberg.jdbc.JdbcCatalog;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;
import software.amazon.awssdk.services.s3.model.HeadObjectResponse;
import software.amazon.awssdk.services.s3.model.S3Object;
import software.amazon.awssdk.services.s3.model.ServerSideEncryption;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Stream;
import java.util.stream.Collectors;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * The Iceberg adapter against real parts: Iceberg's JDBC catalog on an SQLite file, S3FileIO on
 * S3Proxy with SSE-KMS, and Iceberg's own generic reader. Two committers on one catalog file are
 * two workers (two processes, in production).
 */
class IcebergCommitterTest {

    private static final String KEY = "arn:aws:kms:us-east-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab";
    private static final long T0 = Instant.parse("2024-11-25T06:00:00Z").toEpochMilli() * 1000;
    @RegisterExtension
    static final S3EmulatorExtension s3 = new S3EmulatorExtension();

    @TempDir
    Path tmp;


    private Map<String, String> catalogProperties() {
        return catalogProperties(false);
    }

    /** @param faulty through {@link FaultyJdbc}, which fails the commits a test asks it to */
    Map<String, String> catalogProperties(boolean faulty) {
        Map<String, String> p = new HashMap<>();
        String sqlite = "jdbc:sqlite:" + tmp.resolve("catalog.db").toAbsolutePath();
        p.put("type", "jdbc");
        p.put("uri", faulty ? FaultyJdbc.url(sqlite) : sqlite);
        p.put("jdbc.schema-version", "V1");
        p.put("warehouse", "s3://" + s3.bucket() + "/" + warehouse());
        p.put("io-impl", "org.apache.iceberg.aws.s3.S3FileIO");
        p.put("s3.endpoint", s3.endpoint().toString());
        p.put("s3.path-style-access", "true");
        p.put("s3.access-key-id", EmulatorAccess.ACCESS_KEY);
        p.put("s3.secret-access-key", EmulatorAccess.SECRET_KEY);
        p.put("client.region", EmulatorAccess.REGION);
        p.put("http-client.type", "urlconnection");
        p.put("s3.sse.type", "kms");
        p.put("s3.sse.key", KEY);
        return p;
    }

    /** The catalog the workers commit through; the tests read the tables from {@link #catalog()}. */
    Map<String, String> writerCatalog(boolean faulty) throws Exception {
        return catalogProperties(faulty);
    }

    /** Each test its own warehouse prefix (the emulator's bucket is shared). */
    private String warehouse() {
        return "warehouse-" + tmp.getFileName();
    }

    private Catalog catalog() {
        return CatalogUtil.buildIcebergCatalog("lake", catalogProperties(), null);
    }

    /** A record of table orders or payments (every third), in one of two hours, some of them bad. */
    private static SourceRecord record(String shard, long seq) {
        SourceRecord change = change(shard, seq, seq % 3 == 0 ? "Payments.v2" : "orders");
        return seq % 29 == 0 ? SourceRecord.of(shard, change.sequence(), change.arrivalMicros(),
                "{\"not\":\"a change\"}".getBytes(StandardCharsets.UTF_8)) : change;
    }

    /** A change of DynamoDB table {@code table}, in one of two hours. */
    /** Hands records {@code from..to} of {@code shard} to {@code pipeline}, in order. */
    private static void accept(ShardPipeline pipeline, String shard, long from, long to) throws InterruptedException {
        for (long s = from; s <= to; s++) {
            pipeline.accept(record(shard, s));
        }
    }

    private static SourceRecord change(String shard, long seq, String table) {
        long eventMillis = T0 / 1000 + (seq % 2) * 3_600_000L + seq;
        String json = "{\"eventID\":\"e" + shard + seq + "\",\"eventName\":\"INSERT\",\"tableName\":\"" + table + "\","
                + "\"awsRegion\":\"us-east-1\",\"dynamodb\":{\"ApproximateCreationDateTime\":" + eventMillis
                + ",\"Keys\":{\"id\":{\"N\":\"" + seq + "\"}},\"NewImage\":{\"id\":{\"N\":\"" + seq + "\"}},\"SizeBytes\":"
                + seq + "},\"eventSource\":\"aws:dynamodb\"}";
        return SourceRecord.of(shard, SequenceNumber.of(1_000_000 + seq), T0 + seq * 1000, json.getBytes(StandardCharsets.UTF_8));
    }

    /** A worker: its own catalog and committer over the shared catalog file and bucket. */
    private final class Worker implements AutoCloseable {
        final IcebergCommitter committer;
        final LakeCommitter lake;
        final PipelineContext ctx;
        final S3ObjectStore store;

        Worker(String name, int maxRecords) throws Exception {
            this(name, maxRecords, false, IcebergCommitter.giveUpAfter(Duration.ofHours(1)), LakeFormat.ICEBERG);
        }

        Worker(String name, int maxRecords, LakeFormat format) throws Exception {
            this(name, maxRecords, false, IcebergCommitter.giveUpAfter(Duration.ofHours(1)), format);
        }

        Worker(String name, int maxRecords, boolean faultyCatalog, Duration giveUpAfter) throws Exception {
            this(name, maxRecords, faultyCatalog, giveUpAfter, LakeFormat.ICEBERG);
        }

        Worker(String name, int maxRecords, boolean faultyCatalog, Duration giveUpAfter, LakeFormat format)
                throws Exception {
            LakehoseConfig cfg = ConfigLoader.load(null, Map.of(), Map.of(
                    "lake.uri", "s3://" + s3.bucket() + "/lake",
                    "kinesis.stream", "orders-cdc",
                    "buffer.maxRecords", Integer.toString(maxRecords),
                    "s3.kmsKeyId", KEY));
            store = new S3ObjectStore(s3.settings(Optional.of(new KmsKeyId(KEY))));
            IcebergSettings settings = new IcebergSettings("lake", catalogProperties(), "cdc", Duration.ofHours(1),
                    "day", Map.of());
            committer = new IcebergCommitter(CatalogUtil.buildIcebergCatalog("lake", writerCatalog(faultyCatalog), null),
                    settings, cfg.layout(), "orders-cdc", Pipelines.folders(cfg, store), new ParquetTrimmer(cfg.parquet()),
                    giveUpAfter);
            lake = switch (format) {
                case ICEBERG -> committer;
                case FOLDERS -> Pipelines.folders(cfg, store);
                case BOTH -> new BothCommitter(Pipelines.folders(cfg, store), committer);
            };
            ctx = Pipelines.context(cfg, lake, Files.createDirectories(tmp.resolve(name)), RowEncoders.envelopeOnly(),
                    new PipelineStats(), false);
        }

        ShardPipeline shard(String shardId) {
            return new ShardPipeline(shardId, ctx, lake.openShard(shardId, true));
        }

        /** Records {@code from..to} of a fresh lease on {@code shardId}, flushed and committed. */
        void write(String shardId, long from, long to) throws Exception {
            ShardPipeline p = shard(shardId);
            accept(p, shardId, from, to);
            p.flush().get(60, TimeUnit.SECONDS);
        }

        /** A lease on {@code shardId} as the service runs it: a failure that would stop the worker goes to {@code fatal}. */
        ShardSession session(String shardId, List<Throwable> fatal) {
            return new ShardSession(shard(shardId), Clock.systemUTC(), Duration.ZERO, (shard, e) -> fatal.add(e));
        }

        @Override
        public void close() {
            lake.close();
            committer.close();
        }
    }

    /** Every row of a table as "shard/sequence", read by Iceberg's generic reader (which applies the name mapping). */
    private List<String> rows(Catalog catalog, String table) throws Exception {
        Table t = catalog.loadTable(TableIdentifier.of(Namespace.of("cdc"), table));
        List<String> out = new ArrayList<>();
        try (CloseableIterable<Record> records = IcebergGenerics.read(t).build()) {
            for (Record r : records) {
                out.add(r.getField("shard_id") + "/" + r.getField("sequence_number"));
            }
        }
        return out;
    }

    private static Set<String> expected(String shard, long from, long to, boolean payments) {
        Set<String> out = new TreeSet<>();
        for (long s = from; s <= to; s++) {
            if (s % 29 != 0 && (s % 3 == 0) == payments) {
                out.add(shard + "/" + (1_000_000 + s));
            }
        }
        return out;
    }

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
        io.lakehose.commit.iceberg.state.CurrentStateSettings on =
                new io.lakehose.commit.iceberg.state.CurrentStateSettings(true, Map.of(), false);
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

    @Test
    void aStaleWritersLateCommitIsRefusedAndAddsNothing() throws Exception {
        String shard = "shardId-000000000007";
        try (Worker stale = new Worker("stale", 23); Worker owner = new Worker("owner", 17)) {
            ShardPipeline old = stale.shard(shard);
            accept(old, shard, 1, 150); // frozen before its commit
            ShardPipeline now = owner.shard(shard);
            accept(now, shard, 1, 200);
            now.flush().get(60, TimeUnit.SECONDS);
            old.flush().get(60, TimeUnit.SECONDS); // wakes up and commits: refused, its files deleted
            assertThat(stale.committer.refusedCommits()).isPositive();
        }
        Catalog catalog = catalog();
        assertThat(rows(catalog, "orders_changes")).doesNotHaveDuplicates()
                .containsExactlyInAnyOrderElementsOf(expected(shard, 1, 200, false));
        assertThat(rows(catalog, "payments_v2_changes")).doesNotHaveDuplicates()
                .containsExactlyInAnyOrderElementsOf(expected(shard, 1, 200, true));
        assertNoOrphans(catalog);
    }

    @Test
    void whenTheStaleWriterCommitsFirstTheOwnerGoesOnFromItsWatermark() throws Exception {
        String shard = "shardId-000000000009";
        try (Worker stale = new Worker("stale", 23); Worker owner = new Worker("owner", 17)) {
            ShardPipeline now = owner.shard(shard);
            accept(now, shard, 1, 200); // saw the tables at nothing for this shard
            ShardPipeline old = stale.shard(shard);
            accept(old, shard, 1, 150);
            old.flush().get(60, TimeUnit.SECONDS); // the stale writer's commit lands first
            now.flush().get(60, TimeUnit.SECONDS); // refused, cut to the rows after 150, committed
            assertThat(owner.committer.refusedCommits()).isPositive();
        }
        Catalog catalog = catalog();
        assertThat(rows(catalog, "orders_changes")).doesNotHaveDuplicates()
                .containsExactlyInAnyOrderElementsOf(expected(shard, 1, 200, false));
        assertThat(rows(catalog, "payments_v2_changes")).doesNotHaveDuplicates()
                .containsExactlyInAnyOrderElementsOf(expected(shard, 1, 200, true));
        Snapshot newest = catalog.loadTable(TableIdentifier.of(Namespace.of("cdc"), "orders_changes")).currentSnapshot();
        assertThat(newest.summary()).containsEntry("lakehose.watermark." + shard, "1000200");
        assertNoOrphans(catalog);
    }

    @Test
    void aCommitThatFailedIsTriedAgainAndLandsOnce() throws Exception {
        commitThroughFaults("shardId-000000000011", FaultyJdbc.Fault.BEFORE);
    }

    /**
     * The commit ran but its answer was lost: tried again, the fence would refuse the writer's
     * own snapshot and a writer that then deleted "its refused uploads" would break the table. The
     * attempt's id in the snapshot says it landed: the files count as committed, once.
     */
    @Test
    void aCommitWhoseAnswerWasLostIsFoundInTheTableAndNotRepeated() throws Exception {
        double refused = commitThroughFaults("shardId-000000000012", FaultyJdbc.Fault.AFTER);
        assertThat(refused).isZero();
    }

    /** 100 records of one shard, whose first two commits fail with {@code fault}: each good record once in its table. */
    private double commitThroughFaults(String shard, FaultyJdbc.Fault fault) throws Exception {
        double refused;
        try (Worker w = new Worker("w", 30, true, Duration.ofMinutes(2))) {
            ShardPipeline p = w.shard(shard);
            FaultyJdbc.failNextCommits(fault, fault);
            int injected = FaultyJdbc.injected();
            accept(p, shard, 1, 100);
            p.flush().get(60, TimeUnit.SECONDS);
            assertThat(FaultyJdbc.injected() - injected).isEqualTo(2);
            refused = w.committer.refusedCommits();
        } finally {
            FaultyJdbc.clear();
        }
        Catalog catalog = catalog();
        assertThat(rows(catalog, "orders_changes")).doesNotHaveDuplicates()
                .containsExactlyInAnyOrderElementsOf(expected(shard, 1, 100, false));
        assertThat(rows(catalog, "payments_v2_changes")).doesNotHaveDuplicates()
                .containsExactlyInAnyOrderElementsOf(expected(shard, 1, 100, true));
        assertNoOrphans(catalog);
        return refused;
    }

    @Test
    void commitsThatKeepFailingFailTheShardAfterTheBudgetAndAddNothing() throws Exception {
        String shard = "shardId-000000000013";
        try (Worker w = new Worker("w", 1000, true, Duration.ofSeconds(3))) {
            ShardPipeline p = w.shard(shard);
            accept(p, shard, 1, 50);
            FaultyJdbc.failNextCommits(Stream.generate(() -> FaultyJdbc.Fault.BEFORE).limit(100)
                    .toArray(FaultyJdbc.Fault[]::new));
            assertThatThrownBy(() -> p.flush().get(60, TimeUnit.SECONDS)).isInstanceOf(ExecutionException.class)
                    .hasStackTraceContaining("injected: the connection dropped before the commit ran");
            assertThat(w.committer.health()).hasValueSatisfying(h -> assertThat(h).contains("kept failing"));
        } finally {
            FaultyJdbc.clear();
        }
        Catalog catalog = catalog();
        assertThat(catalog.tableExists(TableIdentifier.of(Namespace.of("cdc"), "orders_changes"))
                ? rows(catalog, "orders_changes") : List.of()).isEmpty();
        assertNoOrphans(catalog);
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

    /** No data file in the warehouse that no table references (refused files were deleted). */
    private void assertNoOrphans(Catalog catalog) {
        Set<String> referenced = new TreeSet<>();
        for (String table : List.of("orders_changes", "payments_v2_changes")) {
            Table t = catalog.loadTable(TableIdentifier.of(Namespace.of("cdc"), table));
            try (var tasks = t.newScan().planFiles()) {
                tasks.forEach(task -> referenced.add(task.file().location()));
            } catch (IOException e) {
                throw new AssertionError(e);
            }
        }
        Set<String> stored = s3.client().listObjectsV2Paginator(b -> b.bucket(s3.bucket()).prefix(warehouse() + "/"))
                .contents().stream().map(S3Object::key).filter(k -> k.endsWith(".parquet"))
                .map(k -> "s3://" + s3.bucket() + "/" + k).collect(Collectors.toCollection(TreeSet::new));
        assertThat(stored).isEqualTo(referenced);
    }
}
