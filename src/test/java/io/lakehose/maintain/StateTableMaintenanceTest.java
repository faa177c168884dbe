package io.lakehose.maintain;

import io.lakehose.commit.CrashPoints;
import io.lakehose.commit.iceberg.LocalWarehouse;
import io.lakehose.decode.SequenceNumber;
import io.lakehose.decode.SourceRecord;
import io.lakehose.encode.ParquetSettings;
import io.lakehose.metrics.MaintainMeters;
import io.lakehose.pipeline.ShardPipeline;
import io.lakehose.sink.LocalDirectoryStore;
import io.lakehose.testing.IcebergLake;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import org.apache.iceberg.CatalogUtil;
import org.apache.iceberg.DeleteFile;
import org.apache.iceberg.FileScanTask;
import org.apache.iceberg.ManifestContent;
import org.apache.iceberg.ManifestFile;
import org.apache.iceberg.Table;
import org.apache.iceberg.catalog.Catalog;
import org.apache.iceberg.catalog.Namespace;
import org.apache.iceberg.catalog.TableIdentifier;
import org.apache.iceberg.io.CloseableIterable;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.UncheckedIOException;
import java.net.URI;
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
import java.util.Random;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.stream.Collectors;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Maintenance of the current-state table (docs/design.md, "Tables", "Maintenance"), whose commits
 * add position deletes: a worker (IcebergCommitter with the state table, as the service runs it)
 * on Iceberg's JDBC catalog on SQLite with local files, maintenance through its own catalog
 * connection, the tables read back with Iceberg's generic reader (which applies the deletes).
 * The reference is kept here: per key, the sequence number of its newest change (none after a
 * REMOVE).
 */
class StateTableMaintenanceTest {

    private static final long T0_MILLIS = Instant.parse("2024-11-25T06:00:00Z").toEpochMilli();
    private static final String A = "shardId-000000000001";
    private static final long TARGET = 128L * 1024 * 1024;
    private static final int KEYS = 12;
    private static final TableIdentifier STATE = TableIdentifier.of(Namespace.of("cdc"), "orders");
    private static final TableIdentifier CHANGES = TableIdentifier.of(Namespace.of("cdc"), "orders_changes");

    @TempDir
    Path tmp;

    private final List<AutoCloseable> open = new ArrayList<>();
    private final Map<Integer, Long> newest = new HashMap<>();
    private final List<String> changeLog = new ArrayList<>();
    private final Random random = new Random(17);
    private long seq;
    private TableWriter writer;
    private ShardPipeline shard;

    @BeforeEach
    void startWriter() throws Exception {
        Files.createDirectories(tmp.resolve("warehouse"));
        writer = new TableWriter(tmp.resolve("spool"), catalog(), tmp.resolve("lake").toString(),
                new LocalDirectoryStore(Files.createDirectories(tmp.resolve("lake"))), true);
        open.add(writer);
        shard = writer.shard(A);
    }

    @AfterEach
    void closeAll() throws Exception {
        for (AutoCloseable c : open) {
            c.close();
        }
    }

    /**
     * The state table's small files and the position deletes against them become one file and no
     * delete file; the summary keys (watermarks, the change-log snapshot applied) are carried; the
     * worker's next state commit is refused once by its fence, catches up on the compacted file
     * and goes on. Then a file compacted before, whose rows later changes mostly deleted, is
     * rewritten alone though it is not small, and its delete files go with it.
     */
    @Test
    void compactionAppliesThePositionDeletesAndDropsTheDeleteFiles() throws Exception {
        for (int i = 0; i < 6; i++) {
            changes(15);
        }
        Table state = table(STATE);
        int deleteFilesBefore = deleteFiles(state).size();
        assertThat(deleteFilesBefore).as("the state commits deleted replaced rows").isPositive();
        assertThat(rows(state)).containsExactlyInAnyOrderElementsOf(expected());
        Map<String, String> summary = lakehoseKeys(state);

        ActionReport report = compaction(TARGET, () -> { }).run(state, "orders", false);

        state.refresh();
        assertThat(report.outcome()).as(report.line()).isEqualTo(ActionReport.DONE);
        assertThat(report.detail()).contains(deleteFilesBefore + " delete files applied and removed");
        assertThat(report.removed()).isEqualTo(report.before());
        assertThat(IcebergLake.referencedDataFiles(state)).hasSize(1);
        assertThat(deleteFiles(state)).isEmpty();
        assertThat(rows(state)).containsExactlyInAnyOrderElementsOf(expected());
        assertThat(state.currentSnapshot().summary()).containsEntry(Compaction.SUMMARY_KEY, Compaction.ACTION);
        assertThat(lakehoseKeys(state)).isEqualTo(summary);
        String compacted = IcebergLake.referencedDataFiles(state).iterator().next();

        changes(40); // the worker goes on: most keys change, their rows in the compacted file are deleted
        assertThat(rows(table(STATE))).containsExactlyInAnyOrderElementsOf(expected());
        assertThat(writer.committer.refusedCommits()).isZero();

        // Nothing is small against a target of 8 bytes: only the mostly deleted file is rewritten.
        Table now = table(STATE);
        assertThat(deleteFiles(now)).isNotEmpty();
        ActionReport second = compaction(8, () -> { }).run(now, "orders", false);

        now.refresh();
        assertThat(second.outcome()).as(second.line()).isEqualTo(ActionReport.DONE);
        assertThat(IcebergLake.referencedDataFiles(now)).doesNotContain(compacted);
        assertThat(deleteFiles(now)).isEmpty();
        assertThat(rows(now)).containsExactlyInAnyOrderElementsOf(expected());
        changes(15);
        assertThat(rows(table(STATE))).containsExactlyInAnyOrderElementsOf(expected());
    }

    /**
     * The race: a state commit lands between the compaction's plan and its commit and deletes rows
     * of the very files being compacted. Iceberg's validation (new position deletes against a
     * replaced file, from the planned snapshot) refuses the compaction; it deletes its upload,
     * plans again on the state commit's snapshot and commits: the state commit's deletes are
     * applied, not lost. Without that validation the rewritten file would bring back the rows the
     * state commit deleted (two rows of one key, an old value).
     */
    @Test
    void aStateCommitBetweenPlanAndCommitIsNeverLost() throws Exception {
        for (int i = 0; i < 4; i++) {
            changes(15);
        }
        Table state = table(STATE);
        AtomicBoolean once = new AtomicBoolean();
        Set<String> deletedByTheRace = new TreeSet<>();
        ActionReport report = compaction(TARGET, () -> {
            if (once.compareAndSet(false, true)) {
                try {
                    Set<String> before = deleteFiles(table(STATE));
                    changes(30);
                    deletedByTheRace.addAll(deleteFiles(table(STATE)));
                    deletedByTheRace.removeAll(before);
                } catch (Exception e) {
                    throw new IllegalStateException(e);
                }
            }
        }).run(state, "orders", false);

        assertThat(deletedByTheRace).as("the state commit deleted rows of the files being compacted").isNotEmpty();
        Table now = table(STATE);
        assertThat(rows(now)).containsExactlyInAnyOrderElementsOf(expected());
        assertThat(report.outcome()).as(report.line()).isEqualTo(ActionReport.DONE);
        assertThat(report.detail()).contains("1 partitions planned again");
        assertThat(deleteFiles(now)).isEmpty();
        Set<String> referenced = referencedFiles(now);
        assertThat(storedFiles()).as("the refused attempt's upload deleted")
                .noneMatch(f -> f.contains("maintain-compact") && !referenced.contains(f));

        changes(15);
        assertThat(rows(table(STATE))).containsExactlyInAnyOrderElementsOf(expected());
    }

    /**
     * A fast append adds a manifest per commit: the change log's many small manifests become one,
     * and the state table's data manifests too, each commit carrying the watermarks (and the
     * state table's change-log snapshot); the worker goes on without a refused commit.
     */
    @Test
    void smallManifestsAreRewrittenIntoOneCarryingTheSummaryKeys() throws Exception {
        for (int i = 0; i < 5; i++) {
            changes(10);
        }
        for (TableIdentifier id : List.of(CHANGES, STATE)) {
            Table table = table(id);
            assertThat(dataManifests(table)).hasSizeGreaterThanOrEqualTo(5);
            Map<String, String> summary = lakehoseKeys(table);
            List<String> rows = IcebergLake.rows(table);

            ActionReport report = new ManifestRewrite(2).run(table, id.name(), false);

            table.refresh();
            assertThat(report.outcome()).as(report.line()).isEqualTo(ActionReport.DONE);
            assertThat(dataManifests(table)).hasSize(1);
            assertThat(report.added().files()).isEqualTo(1);
            assertThat(table.currentSnapshot().summary()).containsEntry(Compaction.SUMMARY_KEY, ManifestRewrite.ACTION);
            assertThat(lakehoseKeys(table)).isEqualTo(summary);
            assertThat(IcebergLake.rows(table)).containsExactlyInAnyOrderElementsOf(rows);
        }
        changes(10);
        assertThat(writer.committer.refusedCommits()).isZero();
        assertThat(rows(table(STATE))).containsExactlyInAnyOrderElementsOf(expected());
        assertThat(IcebergLake.rows(table(CHANGES))).containsExactlyInAnyOrderElementsOf(changeLog);
    }

    /**
     * Maintains the local warehouse in {@code args[0]} (the state table only): run by the test
     * below in its own JVM, which a crash point halts as kill -9 would.
     */
    public static void main(String[] args) throws Exception {
        Catalog c = CatalogUtil.buildIcebergCatalog("lake", LocalWarehouse.writerProperties(Path.of(args[0])), null);
        maintenance(c, Path.of(args[1])).run(Optional.of(STATE.name()), false)
                .forEach(r -> System.out.println("REPORT " + r.line()));
        System.exit(0);
    }

    /** Every action, as {@code lakehose maintain} runs them, on the tables of {@code catalog}. */
    private static Maintenance maintenance(Catalog catalog, Path work) throws Exception {
        return new Maintenance(catalog, "cdc", new Compaction(TARGET, 2, ParquetSettings.defaults(),
                Files.createDirectories(work), () -> { }), new ManifestRewrite(2),
                new SnapshotExpiry(Duration.ofHours(1), 1, Clock.systemUTC()),
                new OrphanCleanup(Duration.ofDays(1), Clock.systemUTC()), new MaintainMeters(new SimpleMeterRegistry()));
    }

    /**
     * Kill -9 in the middle of a compaction (its files uploaded, its commit not tried): the state
     * table still equals the reference, every file it references is there and none is the killed
     * run's upload; a second run compacts; orphan cleanup later removes the killed run's upload;
     * the worker goes on.
     */
    @Test
    void aCompactionKilledAfterItsUploadLosesNothingAndItsUploadBecomesAnOrphan() throws Exception {
        for (int i = 0; i < 2; i++) {
            changes(15);
        }
        Set<String> filesBefore = storedFiles();
        // A short-lived JVM: the first compiler tier and the serial collector start it fastest. It
        // halts, so the native libraries it unpacks go under the test's directory, not /tmp.
        Path childTmp = Files.createDirectories(tmp.resolve("child-tmp"));
        Process p = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-XX:TieredStopAtLevel=1", "-XX:+UseSerialGC", "-Djava.io.tmpdir=" + childTmp, "-D" + CrashPoints.HALT_PROPERTY + "=" + Compaction.UPLOADED, "-cp", System.getProperty("java.class.path"),
                StateTableMaintenanceTest.class.getName(), tmp.resolve("warehouse").toString(), tmp.resolve("work").toString())
                .redirectErrorStream(true).start();
        String output = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(p.waitFor(120, TimeUnit.SECONDS)).isTrue();
        assertThat(p.exitValue()).as(output).isEqualTo(CrashPoints.EXIT_CODE);
        assertThat(output).contains(CrashPoints.HALTING + Compaction.UPLOADED).doesNotContain("REPORT");

        Table state = table(STATE);
        assertThat(rows(state)).containsExactlyInAnyOrderElementsOf(expected());
        Set<String> uploaded = new TreeSet<>(storedFiles());
        uploaded.removeAll(filesBefore);
        assertThat(uploaded).as("the killed run's upload").hasSize(1).allMatch(f -> f.contains("maintain-compact"));
        Set<String> referenced = referencedFiles(state);
        assertThat(storedFiles()).as("every referenced file is there").containsAll(referenced);
        assertThat(referenced).as("the upload is not referenced").doesNotContainAnyElementsOf(uploaded);

        Catalog catalog = CatalogUtil.buildIcebergCatalog("lake", catalog(), null);
        open.add((AutoCloseable) catalog);
        List<ActionReport> again = maintenance(catalog, tmp.resolve("work")).run(Optional.of(STATE.name()), false);

        assertThat(again).hasSize(4).noneMatch(ActionReport::failed);
        assertThat(again.get(0).outcome()).as(again.get(0).line()).isEqualTo(ActionReport.DONE);
        assertThat(again.get(0).removed().files()).isPositive();
        Table now = table(STATE);
        assertThat(rows(now)).containsExactlyInAnyOrderElementsOf(expected());
        assertThat(deleteFiles(now)).isEmpty();
        assertThat(storedFiles()).containsAll(uploaded); // younger than a day: kept by a cleanup now

        ActionReport orphans = new OrphanCleanup(Duration.ofDays(1), Clock.offset(Clock.systemUTC(), Duration.ofDays(2)))
                .run(now, "orders", false);

        assertThat(orphans.outcome()).as(orphans.line()).isEqualTo(ActionReport.DONE);
        assertThat(storedFiles()).doesNotContainAnyElementsOf(uploaded).containsAll(referencedFiles(table(STATE)));
        assertThat(rows(table(STATE))).containsExactlyInAnyOrderElementsOf(expected());
        changes(15);
        assertThat(rows(table(STATE))).containsExactlyInAnyOrderElementsOf(expected());
    }

    // --- the parts -----------------------------------------------------------------------------

    /** {@code n} changes of random keys (a sixth of them REMOVEs), flushed: one change-log commit and one state commit. */
    private void changes(int n) throws Exception {
        for (int i = 0; i < n; i++) {
            seq++;
            int key = random.nextInt(KEYS);
            boolean remove = random.nextInt(6) == 0;
            shard.accept(change(seq, key, remove));
            changeLog.add(A + "/" + (1_000_000 + seq));
            if (remove) {
                newest.remove(key);
            } else {
                newest.put(key, seq);
            }
        }
        shard.flush().get(60, TimeUnit.SECONDS);
    }

    /** A change of item {@code key} of DynamoDB table orders; event times in order, all of one day. */
    private static SourceRecord change(long seq, int key, boolean remove) {
        String image = "{\"id\":{\"N\":\"" + key + "\"},\"v\":{\"N\":\"" + seq + "\"}}";
        String json = "{\"eventID\":\"e" + seq + "\",\"eventName\":\"" + (remove ? "REMOVE" : "MODIFY")
                + "\",\"tableName\":\"orders\",\"awsRegion\":\"us-east-1\",\"dynamodb\":{\"ApproximateCreationDateTime\":"
                + (T0_MILLIS + seq) + ",\"Keys\":{\"id\":{\"N\":\"" + key + "\"}}," + (remove ? "\"OldImage\":" : "\"NewImage\":")
                + image + ",\"SizeBytes\":" + seq + "},\"eventSource\":\"aws:dynamodb\"}";
        return SourceRecord.of(A, SequenceNumber.of(1_000_000 + seq), (T0_MILLIS + seq) * 1000,
                json.getBytes(StandardCharsets.UTF_8));
    }

    /** The state table's rows as they must be: per key still there, its newest change. */
    private List<String> expected() {
        return newest.values().stream().map(s -> A + "/" + (1_000_000 + s)).toList();
    }

    private static List<String> rows(Table table) {
        table.refresh();
        return IcebergLake.rows(table);
    }

    private Compaction compaction(long targetBytes, Runnable beforeCommit) throws Exception {
        return new Compaction(targetBytes, 2, ParquetSettings.defaults(), Files.createDirectories(tmp.resolve("work")),
                beforeCommit);
    }

    private Map<String, String> catalog() {
        return LocalWarehouse.writerProperties(tmp.resolve("warehouse"));
    }

    private Table table(TableIdentifier id) {
        Catalog c = CatalogUtil.buildIcebergCatalog("lake", catalog(), null);
        if (c instanceof AutoCloseable closeable) {
            open.add(closeable);
        }
        return c.loadTable(id);
    }

    /** The {@code lakehose.*} keys of the current snapshot's summary but the action's own and a worker's commit id (its own only). */
    private static Map<String, String> lakehoseKeys(Table table) {
        return table.currentSnapshot().summary().entrySet().stream()
                .filter(e -> e.getKey().startsWith("lakehose.") && !e.getKey().equals(Compaction.SUMMARY_KEY)
                        && !e.getKey().equals("lakehose.commit-id"))
                .collect(Collectors.toMap(Map.Entry::getKey, Map.Entry::getValue));
    }

    private static Set<String> deleteFiles(Table table) {
        table.refresh();
        Set<String> deletes = new TreeSet<>();
        try (CloseableIterable<FileScanTask> tasks = table.newScan().planFiles()) {
            tasks.forEach(t -> t.deletes().stream().map(DeleteFile::location).forEach(deletes::add));
        } catch (java.io.IOException e) {
            throw new UncheckedIOException(e);
        }
        return deletes;
    }

    /** Every data and delete file the current snapshot references, as local paths. */
    private static Set<String> referencedFiles(Table table) {
        Set<String> files = new TreeSet<>();
        IcebergLake.referencedDataFiles(table).forEach(f -> files.add(local(f)));
        deleteFiles(table).forEach(f -> files.add(local(f)));
        return files;
    }

    private static List<ManifestFile> dataManifests(Table table) {
        return table.currentSnapshot().allManifests(table.io()).stream()
                .filter(m -> m.content() == ManifestContent.DATA).toList();
    }

    /** Every file under the warehouse's data folders, as local paths. */
    private Set<String> storedFiles() throws Exception {
        try (Stream<Path> files = Files.walk(tmp.resolve("warehouse"))) {
            return files.filter(Files::isRegularFile).filter(f -> f.toString().contains("/data/"))
                    .map(f -> f.toAbsolutePath().normalize().toString()).collect(Collectors.toCollection(TreeSet::new));
        }
    }

    private static String local(String location) {
        return location.startsWith("file:") ? Path.of(URI.create(location)).toString() : location;
    }
}
