package io.lakehose.maintain;

import io.lakehose.commit.iceberg.IcebergParquetFiles;
import io.lakehose.commit.iceberg.LocalWarehouse;
import io.lakehose.commit.iceberg.WatermarkFence;
import io.lakehose.decode.SequenceNumber;
import io.lakehose.decode.SourceRecord;
import io.lakehose.encode.LibraryCodecFactory;
import io.lakehose.encode.ParquetRows;
import io.lakehose.encode.ParquetSettings;
import io.lakehose.metrics.MaintainMeters;
import io.lakehose.pipeline.ShardPipeline;
import io.lakehose.sink.LocalDirectoryStore;
import io.lakehose.sink.ObjectStore;
import io.lakehose.sink.S3ObjectStore;
import io.lakehose.testing.IcebergLake;
import io.lakehose.testing.S3EmulatorExtension;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import org.apache.iceberg.CatalogUtil;
import org.apache.iceberg.Snapshot;
import org.apache.iceberg.Table;
import org.apache.iceberg.catalog.Catalog;
import org.apache.iceberg.catalog.Namespace;
import org.apache.iceberg.catalog.TableIdentifier;
import org.apache.iceberg.io.FileInfo;
import org.apache.iceberg.io.OutputFile;
import org.apache.iceberg.io.PositionOutputStream;
import org.apache.iceberg.io.SupportsPrefixOperations;
import org.apache.iceberg.parquet.ParquetSchemaUtil;
import org.apache.parquet.HadoopFreeReadOptions;
import org.apache.parquet.hadoop.ParquetFileReader;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

import java.io.File;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.stream.Collectors;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Table maintenance against real parts: writers (IcebergCommitter, as the service runs it) on
 * Iceberg's JDBC catalog on SQLite with S3FileIO on S3Proxy (or local files), maintenance through
 * its own catalog connection, and the tables read back with Iceberg's generic reader.
 */
class MaintenanceTest {

    private static final long T0_MILLIS = Instant.parse("2024-11-25T06:00:00Z").toEpochMilli();
    private static final String A = "shardId-000000000001";
    private static final String B = "shardId-000000000002";
    private static final long TARGET = 128L * 1024 * 1024;

    @RegisterExtension
    static final S3EmulatorExtension s3 = new S3EmulatorExtension();

    @TempDir
    Path tmp;

    private final List<AutoCloseable> open = new ArrayList<>();

    @AfterEach
    void closeAll() throws Exception {
        for (AutoCloseable c : open) {
            c.close();
        }
    }

    // --- compaction --------------------------------------------------------------------------

    @Test
    void compactionKeepsEveryRowOnceAndTheWatermarksAndWritesFieldIds() throws Exception {
        TableWriter w = writer("w", s3Catalog());
        ShardPipeline a = w.shard(A);
        ShardPipeline b = w.shard(B);
        write(a, 1, 100);
        write(b, 1, 50);
        Table table = table(s3Catalog());
        int filesBefore = IcebergLake.referencedDataFiles(table).size();
        Map<String, String> marks = IcebergLake.watermarks(table.currentSnapshot());
        assertThat(filesBefore).as("small files written").isGreaterThanOrEqualTo(15);

        ActionReport report = compaction(() -> { }).run(table, "orders_changes", false);

        table.refresh();
        assertThat(report.outcome()).isEqualTo(ActionReport.DONE);
        assertThat(report.removed().files()).isEqualTo(filesBefore);
        assertThat(IcebergLake.referencedDataFiles(table)).hasSize(1);
        assertThat(IcebergLake.rows(table)).doesNotHaveDuplicates()
                .containsExactlyInAnyOrderElementsOf(expected(Map.of(A, 100L, B, 50L)));
        assertThat(table.currentSnapshot().summary()).containsEntry(Compaction.SUMMARY_KEY, Compaction.ACTION);
        assertThat(IcebergLake.watermarks(table.currentSnapshot())).isEqualTo(marks);
        String compacted = IcebergLake.referencedDataFiles(table).iterator().next();
        try (ParquetFileReader r = ParquetFileReader.open(IcebergParquetFiles.in(table.io().newInputFile(compacted)),
                HadoopFreeReadOptions.with(new LibraryCodecFactory(1)))) {
            assertThat(ParquetSchemaUtil.hasIds(r.getFooter().getFileMetaData().getSchema())).isTrue();
        }

        // The writer goes on through the compaction's snapshot: its fence finds its own marks there.
        write(a, 101, 120);
        assertThat(w.committer.refusedCommits()).isZero();
        table.refresh();
        assertThat(IcebergLake.rows(table)).doesNotHaveDuplicates()
                .containsExactlyInAnyOrderElementsOf(expected(Map.of(A, 120L, B, 50L)));
    }

    /**
     * A writer commits between the compaction's plan and its commit: the compaction's first
     * attempt is made on the old base, the catalog refuses it, Iceberg tries again on the
     * writer's snapshot and the commit's validation copies the writer's new watermark, not the
     * old one. The writer's next commit then passes its fence. Copying the marks when the
     * compaction began would move the shard's mark back: the writer would be refused, adopt the
     * old mark and commit its rows again.
     */
    @Test
    void aWriterCommittingDuringCompactionLosesNothingAndKeepsItsWatermark() throws Exception {
        TableWriter w = writer("w", s3Catalog());
        ShardPipeline a = w.shard(A);
        write(a, 1, 60);
        Table table = table(s3Catalog());
        long[] writerSnapshot = {0};
        AtomicBoolean once = new AtomicBoolean();
        ActionReport report = compaction(() -> {
            if (once.compareAndSet(false, true)) {
                try {
                    write(a, 61, 80);
                    writerSnapshot[0] = table(s3Catalog()).currentSnapshot().snapshotId();
                } catch (Exception e) {
                    throw new IllegalStateException(e);
                }
            }
        }).run(table, "orders_changes", false);

        assertThat(report.outcome()).isEqualTo(ActionReport.DONE);
        Table now = table(s3Catalog());
        assertThat(now.currentSnapshot().summary()).containsEntry(Compaction.SUMMARY_KEY, Compaction.ACTION);
        assertThat(now.currentSnapshot().parentId()).as("retried on the writer's snapshot").isEqualTo(writerSnapshot[0]);
        assertThat(IcebergLake.watermarks(now.currentSnapshot())).containsEntry(A, "1000080");
        assertThat(IcebergLake.rows(now)).doesNotHaveDuplicates()
                .containsExactlyInAnyOrderElementsOf(expected(Map.of(A, 80L)));

        write(a, 81, 100);
        assertThat(w.committer.refusedCommits()).isZero();
        assertThat(IcebergLake.rows(table(s3Catalog()))).doesNotHaveDuplicates()
                .containsExactlyInAnyOrderElementsOf(expected(Map.of(A, 100L)));
    }

    /**
     * Two compactions of the same files: the loser is refused, commits nothing and leaves no file
     * behind; planned again on the winner's snapshot, it finds nothing left to do.
     */
    @Test
    void aCompactionThatLosesToAnotherCommitsNothingAndDeletesItsFiles() throws Exception {
        TableWriter w = writer("w", s3Catalog());
        write(w.shard(A), 1, 60);
        Table table = table(s3Catalog());
        AtomicBoolean once = new AtomicBoolean();
        ActionReport loser = compaction(() -> {
            if (once.compareAndSet(false, true)) {
                try {
                    assertThat(compaction(() -> { }).run(table(s3Catalog()), "orders_changes", false).outcome())
                            .isEqualTo(ActionReport.DONE);
                } catch (Exception e) {
                    throw new IllegalStateException(e);
                }
            }
        }).run(table, "orders_changes", false);

        assertThat(loser.outcome()).as(loser.line()).isEqualTo(ActionReport.DONE);
        assertThat(loser.detail()).contains("0 partitions compacted").contains("1 partitions planned again");
        assertThat(loser.removed().files()).isZero();
        Table now = table(s3Catalog());
        assertThat(IcebergLake.rows(now)).doesNotHaveDuplicates()
                .containsExactlyInAnyOrderElementsOf(expected(Map.of(A, 60L)));
        assertThat(IcebergLake.referencedDataFiles(now)).hasSize(1);
        assertThat(storedDataFiles()).noneMatch(f -> f.contains("maintain-compact")
                && !IcebergLake.referencedDataFiles(now).contains(f));
    }

    // --- expiry ------------------------------------------------------------------------------

    /**
     * Expiry keeps the newest snapshot that carries watermarks even when a newer one carries none
     * (another tool's commit) and only one snapshot is to be kept: the table still says where its
     * shard stands, and a stale writer's late commit is still refused. Without that rule the
     * marks would go, and the stale writer's rows would be committed a second time.
     */
    @Test
    void expiryKeepsTheNewestWatermarkAndTheFenceStillRefusesAStaleWriter() throws Exception {
        TableWriter stale = writer("stale", s3Catalog());
        ShardPipeline old = stale.shard(A); // saw the shard at nothing
        for (long s = 1; s <= 50; s++) {
            old.accept(change(A, s));
        }
        TableWriter owner = writer("owner", s3Catalog());
        ShardPipeline now = owner.shard(A);
        write(now, 1, 40);
        write(now, 41, 80);
        Table table = table(s3Catalog());
        compaction(() -> { }).run(table, "orders_changes", false);
        table.refresh();
        table.newFastAppend().set("written-by", "another tool").commit(); // a snapshot without marks
        table.refresh();
        assertThat(IcebergLake.watermarks(table.currentSnapshot())).isEmpty();

        Clock later = Clock.offset(Clock.systemUTC(), Duration.ofDays(30));
        ActionReport report = new SnapshotExpiry(Duration.ofHours(1), 1, later).run(table, "orders_changes", false);

        table.refresh();
        assertThat(report.outcome()).isEqualTo(ActionReport.DONE);
        assertThat(table.snapshots()).hasSize(2);
        assertThat(WatermarkFence.current(table)).containsEntry(A, SequenceNumber.parse("1000080"));
        assertThat(report.removed().files()).as("the files compaction replaced").isPositive();

        old.flush().get(60, TimeUnit.SECONDS); // the stale writer wakes up: refused, deletes its uploads
        assertThat(stale.committer.refusedCommits()).isPositive();
        assertThat(storedDataFiles()).as("the replaced files deleted").isEqualTo(IcebergLake.referencedDataFiles(table));
        write(now, 81, 90);
        assertThat(owner.committer.refusedCommits()).isZero();
        assertThat(IcebergLake.rows(table(s3Catalog()))).doesNotHaveDuplicates()
                .containsExactlyInAnyOrderElementsOf(expected(Map.of(A, 90L)));
    }

    // --- orphans -----------------------------------------------------------------------------

    /** An upload no snapshot references goes once older than the safety age; referenced files all stay. */
    @Test
    void orphanCleanupOnS3RemovesAnUncommittedUploadOnlyOnceItIsOldEnough() throws Exception {
        TableWriter w = writer("w", s3Catalog());
        write(w.shard(A), 1, 30);
        Table table = table(s3Catalog());
        String orphan = upload(table, "killed-worker.parquet");
        int stored = objects().size();
        OrphanCleanup young = new OrphanCleanup(Duration.ofDays(1), Clock.systemUTC());
        assertThat(young.run(table, "orders_changes", false).removed().files()).isZero();
        assertThat(storedDataFiles()).contains(orphan);

        ActionReport report = new OrphanCleanup(Duration.ofDays(1), Clock.offset(Clock.systemUTC(), Duration.ofDays(2)))
                .run(table, "orders_changes", false);

        assertThat(report.outcome()).isEqualTo(ActionReport.DONE);
        assertThat(report.removed().files()).isEqualTo(1);
        assertThat(storedDataFiles()).doesNotContain(orphan)
                .isEqualTo(IcebergLake.referencedDataFiles(table(s3Catalog())));
        assertThat(objects().size()).isEqualTo(stored - 1);
        assertThat(IcebergLake.rows(table(s3Catalog()))).containsExactlyInAnyOrderElementsOf(expected(Map.of(A, 30L)));
        write(w.shard(B), 1, 10); // the table still takes commits: no metadata file was lost
        assertThat(IcebergLake.rows(table(s3Catalog()))).hasSize(40);
    }

    /** The local warehouse (LocalFileIO lists its files): an old orphan goes, a young one stays. */
    @Test
    void orphanCleanupOnLocalFilesKeepsAYoungOrphanAndRemovesAnOldOne() throws Exception {
        Path warehouse = Files.createDirectories(tmp.resolve("local"));
        Map<String, String> catalog = LocalWarehouse.writerProperties(warehouse);
        TableWriter w = writer("w", catalog);
        write(w.shard(A), 1, 30);
        Table table = table(catalog);
        String oldOrphan = upload(table, "old.parquet");
        String youngOrphan = upload(table, "young.parquet");
        Files.setLastModifiedTime(Path.of(URI.create(oldOrphan)),
                FileTime.from(Instant.now().minus(Duration.ofDays(3))));
        Set<String> before = listed(table);

        ActionReport report = new OrphanCleanup(Duration.ofDays(1), Clock.systemUTC()).run(table, "orders_changes", false);

        assertThat(report.removed().files()).isEqualTo(1);
        Set<String> after = listed(table);
        Set<String> gone = new TreeSet<>(before);
        gone.removeAll(after);
        assertThat(gone).containsExactly(StoredFiles.normalize(oldOrphan));
        assertThat(after).contains(StoredFiles.normalize(youngOrphan));
        assertThat(IcebergLake.rows(table(catalog))).containsExactlyInAnyOrderElementsOf(expected(Map.of(A, 30L)));
    }

    // --- dry run -----------------------------------------------------------------------------

    @Test
    void aDryRunPlansEveryActionAndChangesNothing() throws Exception {
        TableWriter w = writer("w", s3Catalog());
        write(w.shard(A), 1, 40);
        write(w.shard(A), 41, 80);
        Table table = table(s3Catalog());
        upload(table, "killed-worker.parquet");
        long snapshot = table.currentSnapshot().snapshotId();
        List<String> objects = objects();
        Clock later = Clock.offset(Clock.systemUTC(), Duration.ofDays(30));
        SimpleMeterRegistry registry = new SimpleMeterRegistry();
        Maintenance maintenance = new Maintenance(s3Catalog(open), "cdc", compaction(() -> { }), new ManifestRewrite(2),
                new SnapshotExpiry(Duration.ofHours(1), 1, later), new OrphanCleanup(Duration.ofDays(1), later),
                new MaintainMeters(registry));

        List<ActionReport> reports = maintenance.run(Optional.empty(), true);

        assertThat(reports).hasSize(4).allMatch(r -> r.outcome().equals(ActionReport.DRY_RUN));
        assertThat(reports).filteredOn(r -> !r.action().equals(SnapshotExpiry.ACTION))
                .allMatch(r -> r.removed().files() > 0, "each action found work");
        // Expiry finds the first snapshot; the second still reads every data file of it (appends).
        assertThat(reports).filteredOn(r -> r.action().equals(SnapshotExpiry.ACTION)).singleElement()
                .satisfies(r -> assertThat(r.detail()).startsWith("1 of 2 snapshots to expire"))
                .satisfies(r -> assertThat(r.removed().files()).isZero());
        Table after = table(s3Catalog());
        assertThat(after.currentSnapshot().snapshotId()).isEqualTo(snapshot);
        assertThat(after.snapshots()).hasSameSizeAs(table.snapshots());
        assertThat(objects()).isEqualTo(objects);
        assertThat(registry.find("lakehose.maintain.runs").tag("outcome", "dry_run").counters()).hasSize(4)
                .allMatch(c -> c.count() == 1);
        assertThat(registry.get("lakehose.maintain.files.removed").tag("action", "orphans").counter().count())
                .isEqualTo(1);
    }

    // --- without Hadoop ------------------------------------------------------------------------

    /**
     * Maintains a local warehouse in a JVM without Hadoop on its classpath, as in the service jar
     * (which carries none): writes small files, then compacts, expires and cleans up; prints each
     * report's line. Run by the test below.
     */
    public static void main(String[] args) throws Exception {
        Path dir = Path.of(args[0]);
        Map<String, String> catalog = LocalWarehouse.writerProperties(Files.createDirectories(dir.resolve("warehouse")));
        try (TableWriter w = new TableWriter(dir.resolve("spool"), catalog, dir.resolve("lake").toString(),
                new LocalDirectoryStore(Files.createDirectories(dir.resolve("lake"))), false)) {
            ShardPipeline a = w.shard(A);
            write(a, 1, 30);
            write(a, 31, 60);
        }
        Catalog c = CatalogUtil.buildIcebergCatalog("lake", catalog, null);
        Clock later = Clock.offset(Clock.systemUTC(), Duration.ofDays(30));
        Path work = Files.createDirectories(dir.resolve("work"));
        Maintenance m = new Maintenance(c, "cdc", new Compaction(TARGET, 2, ParquetSettings.defaults(), work, () -> { }),
                new ManifestRewrite(2), new SnapshotExpiry(Duration.ofHours(1), 1, later), new OrphanCleanup(Duration.ofDays(1), later),
                new MaintainMeters(new SimpleMeterRegistry()));
        m.run(Optional.empty(), false).forEach(r -> System.out.println("REPORT " + r.line()));
        System.exit(0); // the writer's and catalog's threads are daemons or closed; do not wait for the rest
    }

    @Test
    void maintainsWithoutHadoopOnTheClasspathAsInTheServiceJar() throws Exception {
        // Hadoop's own artifacts (org.apache.hadoop) out; parquet-hadoop stays, as in the service jar.
        String classpath = Arrays.stream(System.getProperty("java.class.path").split(File.pathSeparator))
                .filter(entry -> !entry.replace(File.separatorChar, '/').contains("/org/apache/hadoop/"))
                .collect(Collectors.joining(File.pathSeparator));
        Path dir = Files.createDirectories(tmp.resolve("child"));
        Process p = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-cp", classpath, MaintenanceTest.class.getName(), dir.toString()).redirectErrorStream(true).start();
        String output = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(p.waitFor(120, TimeUnit.SECONDS)).isTrue();
        assertThat(output).as("no Hadoop class needed").doesNotContain("NoClassDefFoundError")
                .contains("REPORT maintain orders_changes compact done")
                .contains("REPORT maintain orders_changes manifests done").contains("REPORT maintain orders_changes expire done")
                .contains("REPORT maintain orders_changes orphans done");
        assertThat(p.exitValue()).as(output).isZero();
        Table table = table(LocalWarehouse.writerProperties(dir.resolve("warehouse")));
        assertThat(IcebergLake.referencedDataFiles(table)).hasSize(1);
        assertThat(IcebergLake.rows(table)).doesNotHaveDuplicates()
                .containsExactlyInAnyOrderElementsOf(expected(Map.of(A, 60L)));
    }

    // --- the parts -----------------------------------------------------------------------------

    private TableWriter writer(String name, Map<String, String> catalog) throws Exception {
        TableWriter w = new TableWriter(tmp.resolve(name), catalog, "s3://" + s3.bucket() + "/lake-" + tmp.getFileName(),
                new S3ObjectStore(s3.settings(Optional.empty())), false);
        open.add(w);
        return w;
    }

    /** Records {@code from..to} of the pipeline's shard, flushed and committed. */
    private static void write(ShardPipeline p, long from, long to) throws Exception {
        for (long s = from; s <= to; s++) {
            p.accept(change(p.shardId(), s));
        }
        p.flush().get(60, TimeUnit.SECONDS);
    }

    /** An INSERT into DynamoDB table orders; every change of one day (one partition). */
    private static SourceRecord change(String shard, long seq) {
        String json = "{\"eventID\":\"e" + shard + seq + "\",\"eventName\":\"INSERT\",\"tableName\":\"orders\","
                + "\"awsRegion\":\"us-east-1\",\"dynamodb\":{\"ApproximateCreationDateTime\":" + (T0_MILLIS + seq)
                + ",\"Keys\":{\"id\":{\"N\":\"" + seq + "\"}},\"NewImage\":{\"id\":{\"N\":\"" + seq + "\"}},\"SizeBytes\":"
                + seq + "},\"eventSource\":\"aws:dynamodb\"}";
        return SourceRecord.of(shard, SequenceNumber.of(1_000_000 + seq), (T0_MILLIS + seq) * 1000,
                json.getBytes(StandardCharsets.UTF_8));
    }

    private static List<String> expected(Map<String, Long> upTo) {
        List<String> rows = new ArrayList<>();
        upTo.forEach((shard, last) -> {
            for (long s = 1; s <= last; s++) {
                rows.add(shard + "/" + (1_000_000 + s));
            }
        });
        return rows;
    }

    private Compaction compaction(Runnable beforeCommit) throws Exception {
        return new Compaction(TARGET, 2, ParquetSettings.defaults(), Files.createDirectories(tmp.resolve("work")),
                beforeCommit);
    }

    /** The workers' catalog: JDBC on SQLite, S3FileIO on the emulator; each test its own warehouse prefix. */
    private Map<String, String> s3Catalog() {
        Map<String, String> p = IcebergLake.s3FileIoProperties(s3.endpoint());
        p.put("type", "jdbc");
        p.put("uri", "jdbc:sqlite:" + tmp.resolve("catalog.db").toAbsolutePath());
        p.put("warehouse", "s3://" + s3.bucket() + "/" + warehouse());
        return p;
    }

    private Catalog s3Catalog(List<AutoCloseable> closeWith) {
        Catalog c = CatalogUtil.buildIcebergCatalog("lake", s3Catalog(), null);
        if (c instanceof AutoCloseable closeable) {
            closeWith.add(closeable);
        }
        return c;
    }

    private String warehouse() {
        return "warehouse-" + tmp.getFileName();
    }

    private Table table(Map<String, String> catalog) {
        Catalog c = CatalogUtil.buildIcebergCatalog("lake", catalog, null);
        if (c instanceof AutoCloseable closeable) {
            open.add(closeable);
        }
        return c.loadTable(TableIdentifier.of(Namespace.of("cdc"), "orders_changes"));
    }

    /** The locations of the objects under the warehouse's data folders. */
    private Set<String> storedDataFiles() {
        Set<String> data = new TreeSet<>();
        s3.client().listObjectsV2Paginator(b -> b.bucket(s3.bucket()).prefix(warehouse() + "/")).contents().stream()
                .filter(o -> o.key().contains("/data/")).forEach(o -> data.add("s3://" + s3.bucket() + "/" + o.key()));
        return data;
    }

    /** Every object under the warehouse, name and size. */
    private List<String> objects() {
        return s3.client().listObjectsV2Paginator(b -> b.bucket(s3.bucket()).prefix(warehouse() + "/")).contents()
                .stream().map(o -> o.key() + " " + o.size()).sorted().toList();
    }

    /** Writes a file into the table's data location as a worker's upload does, and commits nothing. */
    private static String upload(Table table, String name) throws Exception {
        String location = table.locationProvider().newDataLocation(name);
        OutputFile out = table.io().newOutputFile(location);
        try (PositionOutputStream os = out.create()) {
            os.write("PAR1 uploaded, never committed".getBytes(StandardCharsets.UTF_8));
        }
        return location;
    }

    private static Set<String> listed(Table table) {
        Set<String> names = new TreeSet<>();
        for (FileInfo f : ((SupportsPrefixOperations) table.io()).listPrefix(table.location() + "/")) {
            names.add(StoredFiles.normalize(f.location()));
        }
        return names;
    }
}
