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
import io.lakehose.testing.FaultyJdbc;
import io.lakehose.testing.IcebergLake;
import io.lakehose.testing.S3EmulatorExtension;
import org.apache.iceberg.CatalogUtil;
import org.apache.iceberg.Snapshot;
import org.apache.iceberg.Table;
import org.apache.iceberg.catalog.Catalog;
import org.apache.iceberg.catalog.Namespace;
import org.apache.iceberg.catalog.TableIdentifier;
import org.apache.iceberg.data.IcebergGenerics;
import org.apache.iceberg.data.Record;
import org.apache.iceberg.io.CloseableIterable;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;
import software.amazon.awssdk.services.s3.model.S3Object;

import java.io.IOException;
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
import java.util.TreeSet;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import java.util.stream.Collectors;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * The commit protocol of the Iceberg adapter (docs/design.md, "Tables (Apache Iceberg)") against real
 * parts: S3FileIO on S3Proxy with SSE-KMS, Iceberg's own generic reader, and a catalog the
 * subclass chooses for the workers' commits ({@link #writerCatalog}); the tests read the tables
 * from Iceberg's JDBC catalog on an SQLite file. Two committers on one catalog are two workers
 * (two processes, in production). These cases run once per catalog protocol: the fence, failed
 * and unanswered commits and the retry budget are where a catalog's answers matter.
 * {@link IcebergCommitterTest} runs them on JDBC with the adapter's other cases,
 * {@link IcebergRestCommitterTest} through the REST protocol.
 */
abstract class IcebergCommitProtocolCases {
    static final String KEY = "arn:aws:kms:us-east-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab";
    static final long T0 = Instant.parse("2024-11-25T06:00:00Z").toEpochMilli() * 1000;
    @RegisterExtension
    static final S3EmulatorExtension s3 = new S3EmulatorExtension();

    @TempDir
    Path tmp;


    Map<String, String> catalogProperties() {
        return catalogProperties(false);
    }

    /** @param faulty through {@link FaultyJdbc}, which fails the commits a test asks it to */
    Map<String, String> catalogProperties(boolean faulty) {
        Map<String, String> p = IcebergLake.s3FileIoProperties(s3.endpoint());
        String sqlite = "jdbc:sqlite:" + tmp.resolve("catalog.db").toAbsolutePath();
        p.put("type", "jdbc");
        p.put("uri", faulty ? FaultyJdbc.url(sqlite) : sqlite);
        p.put("warehouse", "s3://" + s3.bucket() + "/" + warehouse());
        p.put("s3.sse.type", "kms");
        p.put("s3.sse.key", KEY);
        return p;
    }

    /** The catalog the workers commit through; the tests read the tables from {@link #catalog()}. */
    Map<String, String> writerCatalog(boolean faulty) throws Exception {
        return catalogProperties(faulty);
    }

    /** Each test its own warehouse prefix (the emulator's bucket is shared). */
    String warehouse() {
        return "warehouse-" + tmp.getFileName();
    }

    Catalog catalog() {
        return CatalogUtil.buildIcebergCatalog("lake", catalogProperties(), null);
    }

    /** A record of table orders or payments (every third), in one of two hours, some of them bad. */
    static SourceRecord record(String shard, long seq) {
        SourceRecord change = change(shard, seq, seq % 3 == 0 ? "Payments.v2" : "orders");
        return seq % 29 == 0 ? SourceRecord.of(shard, change.sequence(), change.arrivalMicros(),
                "{\"not\":\"a change\"}".getBytes(StandardCharsets.UTF_8)) : change;
    }

    /** Hands records {@code from..to} of {@code shard} to {@code pipeline}, in order. */
    static void accept(ShardPipeline pipeline, String shard, long from, long to) throws InterruptedException {
        for (long s = from; s <= to; s++) {
            pipeline.accept(record(shard, s));
        }
    }

    /** A change of DynamoDB table {@code table}, in one of two hours. */
    static SourceRecord change(String shard, long seq, String table) {
        long eventMillis = T0 / 1000 + (seq % 2) * 3_600_000L + seq;
        String json = "{\"eventID\":\"e" + shard + seq + "\",\"eventName\":\"INSERT\",\"tableName\":\"" + table + "\","
                + "\"awsRegion\":\"us-east-1\",\"dynamodb\":{\"ApproximateCreationDateTime\":" + eventMillis
                + ",\"Keys\":{\"id\":{\"N\":\"" + seq + "\"}},\"NewImage\":{\"id\":{\"N\":\"" + seq + "\"}},\"SizeBytes\":"
                + seq + "},\"eventSource\":\"aws:dynamodb\"}";
        return SourceRecord.of(shard, SequenceNumber.of(1_000_000 + seq), T0 + seq * 1000, json.getBytes(StandardCharsets.UTF_8));
    }

    /** A worker: its own catalog and committer over the shared catalog file and bucket. */
    final class Worker implements AutoCloseable {
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
    List<String> rows(Catalog catalog, String table) throws Exception {
        Table t = catalog.loadTable(TableIdentifier.of(Namespace.of("cdc"), table));
        List<String> out = new ArrayList<>();
        try (CloseableIterable<Record> records = IcebergGenerics.read(t).build()) {
            for (Record r : records) {
                out.add(r.getField("shard_id") + "/" + r.getField("sequence_number"));
            }
        }
        return out;
    }

    static Set<String> expected(String shard, long from, long to, boolean payments) {
        Set<String> out = new TreeSet<>();
        for (long s = from; s <= to; s++) {
            if (s % 29 != 0 && (s % 3 == 0) == payments) {
                out.add(shard + "/" + (1_000_000 + s));
            }
        }
        return out;
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
        assertEachGoodRecordOnce(catalog, shard, 1, 200);
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
        assertEachGoodRecordOnce(catalog, shard, 1, 200);
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
        assertEachGoodRecordOnce(catalog, shard, 1, 100);
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

    /** Each good record of {@code shard} from..to once in its table (orders or payments), and nothing else. */
    void assertEachGoodRecordOnce(Catalog catalog, String shard, long from, long to) throws Exception {
        assertThat(rows(catalog, "orders_changes")).doesNotHaveDuplicates()
                .containsExactlyInAnyOrderElementsOf(expected(shard, from, to, false));
        assertThat(rows(catalog, "payments_v2_changes")).doesNotHaveDuplicates()
                .containsExactlyInAnyOrderElementsOf(expected(shard, from, to, true));
    }

    /** No data file in the warehouse that no table references (refused files were deleted). */
    void assertNoOrphans(Catalog catalog) {
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
