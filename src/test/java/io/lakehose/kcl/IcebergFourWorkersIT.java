package io.lakehose.kcl;

import io.lakehose.commit.iceberg.IcebergCommitter;
import io.lakehose.decode.SequenceNumber;
import io.lakehose.testing.ChangeProducer;
import io.lakehose.testing.IcebergLake;
import io.lakehose.testing.StreamLake;
import io.lakehose.testing.WorkerHarness;
import io.lakehose.testing.WorkerProcess;
import io.lakehose.testing.WorkerProcessTestBase;
import org.apache.iceberg.Snapshot;
import org.apache.iceberg.Table;
import org.apache.iceberg.util.SnapshotUtil;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.EnabledIfSystemProperty;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;

import static io.lakehose.testing.ProcessAssertions.assertExactlyOnce;
import static io.lakehose.testing.ProcessAssertions.assertNoProcessorExceptions;
import static io.lakehose.testing.ProcessAssertions.awaitEverythingCheckpointed;
import static io.lakehose.testing.ProcessAssertions.awaitLeases;
import static io.lakehose.testing.ProcessAssertions.count;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * Four worker processes commit to one change-log table at once (docs/design.md, "Tables",
 * "Commits"): one stream of 16 shards, one JDBC catalog on SQLite, a commit every 2 s per
 * worker, so commits race on the catalog all the time; KCL moves leases among the workers while
 * they balance (each move a lease loss and a re-read).
 *
 * <p>Afterwards: every good record exactly once in the table (Iceberg's generic reader), every bad
 * one once in the error output, the checkpoints at the last records; no lost commit (every
 * snapshot a worker logged as committed is in the table's one line of ancestry, and the table has
 * no other); along that line no snapshot drops a shard's watermark or moves one backwards, and the
 * newest alone carries all 16, each at or past its shard's last good record.
 *
 * <p>Real processes rather than four KCL schedulers in the test's JVM: each worker has its own
 * catalog connection, commit thread and lease coordinator, as in production. 2-3 minutes on 2
 * cores shared with other builds (load 12-20); {@code -Dlakehose.it.logDir=DIR} keeps the workers' logs.
 *
 * <p>Not in the CI run (skipped unless {@code -Dlakehose.slowTests=true}): it takes up to three
 * minutes of CI's fifteen, and it failed once in eight runs here with 99 rows the producer did not
 * know, none duplicated or lost: most likely the SDK's retry of a PutRecords the emulator had
 * already applied (the stream then holds that batch twice), not yet verified. Run it with
 * {@code mvn -B -o failsafe:integration-test failsafe:verify -Dit.test=IcebergFourWorkersIT -Dlakehose.slowTests=true}.
 */
@EnabledIfSystemProperty(named = "lakehose.slowTests", matches = "true")
class IcebergFourWorkersIT extends WorkerProcessTestBase {

    private static final Logger LOG = LoggerFactory.getLogger(IcebergFourWorkersIT.class);
    private static final String NAMESPACE = "cdc";
    private static final String TABLE = "orders_changes";
    private static final int WORKERS = 4;
    private static final int SHARDS = 16;
    /**
     * About 8 s of records: 1,600 in batches of 100 every 500 ms, every 97th one bad. A batch's
     * partition keys are "0".."99" (KinesisLocal), which hash onto all 16 shards (40 would miss 3).
     */
    private static final int TOTAL = 1_600;
    private static final int BATCH = 100;
    private static final String COMMITTED = "Committed snapshot";
    private static final String REFUSED = IcebergCommitter.REFUSED_BY_ANOTHER_WRITER;
    private static final String RETRIED = "trying again in";
    /** Iceberg's own retry after the catalog's compare-and-swap failed: another worker committed first. */
    private static final String RACED = "Retrying task after failure";

    @Test
    void fourWorkersCommitToOneTableWithoutLosingOrDuplicatingACommitOrARecord() throws Exception {
        long started = System.nanoTime();
        String name = "icefour";
        WorkerHarness h = new WorkerHarness(aws.stack(), name, SHARDS);
        String warehousePrefix = name + "-warehouse-" + tmp.getFileName();
        Path sqlite = tmp.resolve("catalog.db");
        Map<String, String> config = new LinkedHashMap<>(IcebergLake.workerConfig(aws.s3(), sqlite, warehousePrefix));
        config.put("buffer.maxRecords", "100");
        config.put("buffer.maxAgeSeconds", "1");
        config.put("lake.format", "iceberg");
        config.put("iceberg.namespace", NAMESPACE);
        config.put("iceberg.commitIntervalSeconds", "2");
        Path yaml = h.writeConfig(tmp.resolve(name + ".yaml"), config);

        List<WorkerProcess> all = new ArrayList<>();
        // The first worker alone sets up the fresh catalog: JdbcCatalog migrating its SQL schema in two
        // processes at once fails one of them at start ("duplicate column name: iceberg_type").
        all.add(workers.start(JAR, yaml, tmp, name + "-0"));
        awaitLeases(all.get(0), 1, Duration.ofSeconds(60));
        for (int i = 1; i < WORKERS; i++) {
            all.add(workers.start(JAR, yaml, tmp, name + "-" + i));
        }
        // Records come once every worker holds a lease, so that all four commit while they arrive.
        all.forEach(w -> awaitLeases(w, 1, Duration.ofSeconds(90)));
        ChangeProducer producer = workers.closeAfter(new ChangeProducer(h, TOTAL, BATCH, Duration.ofMillis(500),
                ChangeProducer.changesWithBad(StaleOwnerFenceIT.BAD, "orders"))).start();
        List<String> put = awaitEverythingCheckpointed(h, producer, all.get(0), Duration.ofSeconds(120), Duration.ofSeconds(120));
        long caughtUp = (System.nanoTime() - started) / 1_000_000_000L;
        all.forEach(WorkerProcess::sigterm);
        List<Integer> exits = new ArrayList<>();
        for (WorkerProcess w : all) {
            exits.add(w.waitFor(Duration.ofSeconds(60)));
        }

        IcebergLake lake = workers.closeAfter(IcebergLake.open(aws.s3(), sqlite, warehousePrefix));
        Table table = lake.table(NAMESPACE, TABLE);
        List<String> rows = IcebergLake.rows(table);
        List<Snapshot> line = new ArrayList<>();
        SnapshotUtil.currentAncestors(table).forEach(line::add);
        Collections.reverse(line); // oldest first
        List<Snapshot> snapshots = new ArrayList<>();
        table.snapshots().forEach(snapshots::add);
        Map<String, Long> committedPerWorker = new TreeMap<>();
        all.forEach(w -> committedPerWorker.put(w.name(), count(w, COMMITTED)));
        long commitsLogged = committedPerWorker.values().stream().mapToLong(Long::longValue).sum();
        Set<String> badIds = producer.ids(StaleOwnerFenceIT.BAD);
        List<String> good = put.stream().filter(p -> !badIds.contains(p)).toList();
        Map<String, String> lastGood = WorkerHarness.lastSequenceByShard(good);
        LOG.info("{}: {} records put ({} bad) on {} shards; {} rows; {} snapshots ({} in the line); commits logged per worker {}; "
                        + "swaps lost to another worker's commit (Iceberg retried) {}; refusals logged {}; commits retried later "
                        + "(logged) {}; exits {}; caught up after {} s, {} s in all",
                name, put.size(), badIds.size(), SHARDS, rows.size(), snapshots.size(), line.size(), committedPerWorker,
                logged(all, RACED), logged(all, REFUSED), logged(all, RETRIED),
                exits, caughtUp, (System.nanoTime() - started) / 1_000_000_000L);

        assertExactlyOnce("rows", rows, good);
        assertThat(rows).as("rows in the table").hasSize(good.size());
        assertExactlyOnce("error lines", StreamLake.read(h, tmp.resolve(name + "-lake")).errorIds(), badIds);
        assertThat(h.checkpoints()).isEqualTo(WorkerHarness.lastSequenceByShard(put));
        assertThat(exits).as("exit codes after SIGTERM").containsOnly(0);

        // No lost commit: the table has one line of snapshots, as many as the workers committed.
        assertThat(line).as("snapshots in the current snapshot's ancestry").hasSameSizeAs(snapshots);
        assertThat((long) line.size()).as("snapshots against commits logged by the workers %s", committedPerWorker)
                .isEqualTo(commitsLogged);
        assertThat(committedPerWorker.values()).as("commits per worker: all four committed").allMatch(n -> n > 0);

        // Watermarks: carried forward by every snapshot, never backwards; the newest tells all 16.
        Map<String, String> previous = Map.of();
        for (Snapshot s : line) {
            Map<String, String> marks = IcebergLake.watermarks(s);
            assertThat(marks.keySet()).as("shards with a watermark in snapshot %d (parent's: %s)", s.snapshotId(), previous)
                    .containsAll(previous.keySet());
            for (Map.Entry<String, String> e : previous.entrySet()) {
                assertThat(SequenceNumber.parse(marks.get(e.getKey())))
                        .as("watermark of %s in snapshot %d", e.getKey(), s.snapshotId())
                        .isGreaterThanOrEqualTo(SequenceNumber.parse(e.getValue()));
            }
            previous = marks;
        }
        Map<String, String> newest = IcebergLake.watermarks(table.currentSnapshot());
        assertThat(newest).as("watermarks of the newest snapshot").hasSize(SHARDS);
        lastGood.forEach((shard, sequence) -> assertThat(SequenceNumber.parse(newest.get(shard)))
                .as("watermark of %s in the newest snapshot", shard)
                .isGreaterThanOrEqualTo(SequenceNumber.parse(sequence)));
        assertNoProcessorExceptions(workers.all());
    }

    /** How often {@code text} stands in the workers' logs. */
    private static long logged(List<WorkerProcess> workers, String text) {
        return workers.stream().mapToLong(w -> count(w, text)).sum();
    }
}
