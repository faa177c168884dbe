package io.lakehose.kcl;

import io.lakehose.commit.CrashPoints;
import io.lakehose.commit.iceberg.IcebergCommitter;
import io.lakehose.decode.SequenceNumber;
import io.lakehose.testing.ChangeProducer;
import io.lakehose.testing.IcebergLake;
import io.lakehose.testing.StreamLake;
import io.lakehose.testing.WorkerHarness;
import io.lakehose.testing.WorkerProcess;
import io.lakehose.testing.WorkerProcessTestBase;
import org.apache.iceberg.Table;
import org.junit.jupiter.api.Test;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static io.lakehose.testing.ProcessAssertions.assertExactlyOnce;
import static io.lakehose.testing.ProcessAssertions.assertNoProcessorExceptions;
import static io.lakehose.testing.ProcessAssertions.awaitEverythingCheckpointed;
import static io.lakehose.testing.ProcessAssertions.awaitLeases;
import static io.lakehose.testing.ProcessAssertions.isNumber;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * kill -9 of an Iceberg worker inside each window of the commit protocol (docs/design.md,
 * "Delivery guarantee", "Tables"), hit every time: worker A runs with a test-only crash point
 * armed ({@link CrashPoints}, {@code -Dlakehose.test.haltAt=<point>@3}) and halts itself at its
 * third commit, as kill -9 would;
 * <ul>
 *   <li>{@code iceberg.uploaded}: the commit's data files are in S3, no snapshot holds them, the
 *       lease is not checkpointed past their records;</li>
 *   <li>{@code iceberg.committed}: the snapshot is in the table, the lease is not checkpointed past
 *       it (the table is ahead of the lease).</li>
 * </ul>
 * Worker B then takes both shards from the lease checkpoints and the table's watermarks and
 * finishes. Afterwards: every good record exactly once in the change-log table (Iceberg's generic
 * reader; count per record and total), every bad one once in the error output, the checkpoints at
 * the last records, the newest snapshot carrying both shards' watermarks, and every data file the
 * table references stored. The data files of the killed attempt are not referenced and are left in
 * S3 (with any file the worker had uploaded for its next commit): nothing removes them (no table
 * maintenance yet, and {@code audit} reads the folder layout only). The test requires them among
 * the orphans, and every orphan to have been stored before the kill (B leaves none).
 *
 * <p>{@code -Dlakehose.it.logDir=DIR} keeps the workers' logs. 30-55 s per window on 2 cores.
 */
class IcebergCrashWindowsIT extends WorkerProcessTestBase {

    private static final Logger LOG = LoggerFactory.getLogger(IcebergCrashWindowsIT.class);
    private static final String NAMESPACE = "cdc";
    private static final String TABLE = "orders_changes";
    /** The data files listed on the halting line of {@code iceberg.uploaded}. */
    private static final Pattern UPLOADED_FILES = Pattern.compile(
            Pattern.quote(CrashPoints.HALTING + IcebergCommitter.UPLOADED) + "[^\\[]*\\[([^\\]]*)\\]");

    /** About 15 s of records: 1,500 in batches of 25 every 250 ms, over 2 shards; every 97th one bad. */
    private static final int TOTAL = 1_500;

    @Test
    void killedBetweenUploadAndCommit() throws Exception {
        Outcome o = runScenario("iceuploaded", IcebergCommitter.UPLOADED);
        Matcher m = UPLOADED_FILES.matcher(o.killed().logText());
        assertThat(m.find()).as("the halting line of %s lists the uploaded files", o.killed()).isTrue();
        Set<String> leftBehind = new TreeSet<>(Arrays.stream(m.group(1).split(",\\s*")).filter(s -> !s.isBlank()).toList());
        assertThat(leftBehind).as("files of the killed attempt").isNotEmpty();
        assertThat(o.orphans()).as("data files stored but not referenced").containsAll(leftBehind);
    }

    @Test
    void killedBetweenCommitAndCheckpoint() throws Exception {
        Outcome o = runScenario("icecommitted", IcebergCommitter.COMMITTED);
        // The window was real: at the kill the table held records of a shard past its lease checkpoint.
        assertThat(o.atKill().entrySet()).as("(checkpoint, table watermark) per shard at the kill")
                .anyMatch(e -> e.getValue()[1] != null && (e.getValue()[0] == null
                        || SequenceNumber.parse(e.getValue()[1]).compareTo(SequenceNumber.parse(e.getValue()[0])) > 0));
    }

    /** The killed worker, per shard its lease checkpoint and table watermark at the kill, the orphan data files at the end. */
    private record Outcome(WorkerProcess killed, Map<String, String[]> atKill, Set<String> orphans) {
    }

    private Outcome runScenario(String name, String point) throws Exception {
        long started = System.nanoTime();
        WorkerHarness h = new WorkerHarness(aws.stack(), name, 2);
        String warehousePrefix = name + "-warehouse-" + tmp.getFileName();
        Path sqlite = tmp.resolve(name + "-catalog.db");
        Map<String, String> config = IcebergLake.tableWorkerConfig(aws.s3(), sqlite, warehousePrefix, NAMESPACE, 1);
        Path yaml = h.writeConfig(tmp.resolve(name + ".yaml"), config);
        ChangeProducer producer = workers.closeAfter(new ChangeProducer(h, TOTAL, 25, Duration.ofMillis(250),
                ChangeProducer.changesWithBad(StaleOwnerFenceIT.BAD, "orders")));

        // 1. A halts itself at its third commit's crash point, as kill -9 would; records keep coming.
        WorkerProcess a = workers.start(JAR, yaml, tmp, name + "-a",
                List.of("-D" + CrashPoints.HALT_PROPERTY + "=" + point + "@3"));
        awaitLeases(a, 2, Duration.ofSeconds(60));
        producer.start();
        int exitA = a.waitFor(Duration.ofSeconds(90));
        assertThat(exitA).as("exit code of %s (halted at %s)\n%s", a, point, a.tail(40)).isEqualTo(CrashPoints.EXIT_CODE);
        assertThat(a.logText()).contains(CrashPoints.HALTING + point);
        Map<String, String[]> atKill = checkpointsAndWatermarks(h, sqlite, warehousePrefix);
        Set<String> storedAtKill;
        try (IcebergLake lake = IcebergLake.open(aws.s3(), sqlite, warehousePrefix)) {
            storedAtKill = lake.storedDataFiles();
        }
        int putAtKill = producer.count();

        // 2. B takes both shards once A's leases expired and finishes.
        WorkerProcess b = workers.start(JAR, yaml, tmp, name + "-b");
        List<String> put = awaitEverythingCheckpointed(h, producer, b, Duration.ofSeconds(120), Duration.ofSeconds(90));
        b.sigterm();
        assertThat(b.waitFor(Duration.ofSeconds(60))).as("exit code of b after SIGTERM").isZero();

        // 3. The table, the warehouse and the error output.
        IcebergLake lake = workers.closeAfter(IcebergLake.open(aws.s3(), sqlite, warehousePrefix));
        Table table = lake.table(NAMESPACE, TABLE);
        List<String> rows = IcebergLake.rows(table);
        Set<String> referenced = IcebergLake.referencedDataFiles(table);
        Set<String> stored = lake.storedDataFiles();
        Set<String> orphans = new TreeSet<>(stored);
        orphans.removeAll(referenced);
        Set<String> missing = new TreeSet<>(referenced);
        missing.removeAll(stored);
        Set<String> badIds = producer.ids(StaleOwnerFenceIT.BAD);
        List<String> good = put.stream().filter(p -> !badIds.contains(p)).toList();
        LOG.info("{}: halted at {} after {} of {} records put; (checkpoint, watermark) at the kill {}; {} rows, "
                        + "{} data files ({} referenced, {} orphans); {} s", name, point, putAtKill, put.size(),
                atKill.entrySet().stream().map(e -> e.getKey() + "=" + Arrays.toString(e.getValue())).toList(),
                rows.size(), stored.size(), referenced.size(), orphans.size(), (System.nanoTime() - started) / 1_000_000_000L);

        assertExactlyOnce("rows", rows, good);
        assertThat(rows).as("rows in the table").hasSize(good.size());
        assertExactlyOnce("error lines", StreamLake.read(h, tmp.resolve(name + "-lake")).errorIds(), badIds);
        assertThat(h.checkpoints()).isEqualTo(WorkerHarness.lastSequenceByShard(put));
        assertThat(IcebergLake.watermarks(table.currentSnapshot())).as("watermarks of the newest snapshot")
                .containsOnlyKeys(WorkerHarness.lastSequenceByShard(put).keySet());
        assertThat(missing).as("data files the table references but S3 does not hold").isEmpty();
        // Orphans come from the killed worker only (its attempt, and uploads of files it had not sealed yet).
        assertThat(storedAtKill).as("data files stored at the kill").containsAll(orphans);
        assertNoProcessorExceptions(workers.all());
        return new Outcome(a, atKill, orphans);
    }

    /** Per shard: its lease checkpoint (null when none is a sequence number yet) and its watermark in the table (or null). */
    private static Map<String, String[]> checkpointsAndWatermarks(WorkerHarness h, Path sqlite, String warehousePrefix)
            throws Exception {
        Map<String, String> marks;
        try (IcebergLake lake = IcebergLake.open(aws.s3(), sqlite, warehousePrefix)) {
            marks = IcebergLake.watermarks(lake.table(NAMESPACE, TABLE).currentSnapshot());
        }
        Map<String, String[]> both = new LinkedHashMap<>();
        h.checkpoints().forEach((shard, cp) -> both.put(shard, new String[] {isNumber(cp) ? cp : null, marks.get(shard)}));
        return both;
    }
}
