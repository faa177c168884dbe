package io.lakehose.kcl;

import io.lakehose.commit.CrashPoints;
import io.lakehose.commit.iceberg.IcebergCommitter;
import io.lakehose.testing.ChangeProducer;
import io.lakehose.testing.HoldingTcpProxy;
import io.lakehose.testing.IcebergLake;
import io.lakehose.testing.ProcessAssertions;
import io.lakehose.testing.StreamLake;
import io.lakehose.testing.WorkerHarness;
import io.lakehose.testing.WorkerProcess;
import io.lakehose.testing.WorkerProcessTestBase;
import org.apache.iceberg.Snapshot;
import org.apache.iceberg.Table;
import org.junit.jupiter.api.Test;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.net.URI;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.stream.Collectors;

import static io.lakehose.testing.ProcessAssertions.assertExactlyOnce;
import static io.lakehose.testing.ProcessAssertions.assertNoProcessorExceptions;
import static io.lakehose.testing.ProcessAssertions.atOrPast;
import static io.lakehose.testing.ProcessAssertions.awaitEverythingCheckpointed;
import static io.lakehose.testing.ProcessAssertions.awaitLeases;
import static io.lakehose.testing.ProcessAssertions.awaitLeasesLost;
import static io.lakehose.testing.ProcessAssertions.count;
import static io.lakehose.testing.ProcessAssertions.poll;
import static io.lakehose.testing.ProcessAssertions.pollQuietly;
import static io.lakehose.testing.ProcessAssertions.workerId;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * The stale owner with {@code lake.format: iceberg} and real worker processes (docs/design.md,
 * "Tables", "The fence"): both workers share one Iceberg JDBC catalog (one SQLite file in the
 * test's directory) and one S3 warehouse prefix. Worker A owns both shards and commits; it is
 * frozen with SIGSTOP past its lease expiry while it has files uploaded or uploading that no
 * snapshot holds yet (a file is sealed every second, a commit every 2 s). Worker B takes both
 * shards, re-reads from the table's watermarks and commits past everything put before the
 * freeze. Then A wakes (SIGCONT): a commit of its queued files must be refused by the watermark
 * fence, after which A adopts the table's watermark and deletes the files it uploaded.
 *
 * <p>Afterwards: every good record exactly once in the change-log table (Iceberg's generic
 * reader, by shard/sequence), each bad record exactly once in the folder error output, the
 * checkpoints at the last records, every data file under the warehouse prefix referenced by the
 * table and every referenced one present (a refused commit's uploads were deleted).
 *
 * <p>Refusals are counted from A's and B's logs ("another writer committed the table of") and
 * logged, not required: on waking, A's commit thread (a 1 s tick, overdue) races KCL's lease
 * renewal, which hands the lease loss to the processor and drops the shard's queued files; the
 * commit won by about 100 ms in the runs here, not a margin to assert on.
 *
 * <p>A's S3 traffic, its Iceberg FileIO's and its error output's, goes through a
 * {@link HoldingTcpProxy}, held from just before the freeze until B has committed past it: an
 * upload A had begun (a data file, a manifest) reaches S3 only after B owns the shards, as a
 * network stall would deliver it, and A wakes to its answer. A deletes the uploads of a refused
 * commit, but a stop in the middle of its retries (seen: three files cut to the rows after B's
 * watermark, uploaded again after waking) leaves them for {@code lakehose maintain}'s orphan
 * cleanup. Whatever the warehouse holds unreferenced must hold only rows the table holds; whose
 * upload it was (A's before or after the freeze, or B's: only A's traffic goes through the
 * proxy) is logged. (An earlier run through
 * the proxy failed every upload with "Unexpected end of file from server"; the proxy path works
 * now, cause not pinned.)
 *
 * <p>The held commit instead, certain: {@link #aCommitHeldPastItsFenceCheckWhileItsWorkerIsFrozenIsRefusedOnItsNextAttempt}
 * freezes A inside a commit, right after the fence passed and before the snapshot is swapped into
 * the catalog (a test-only crash point, {@link CrashPoints}, {@code -Dlakehose.test.freezeAt}).
 *
 * <p>{@code -Dlakehose.it.logDir=DIR} keeps the workers' logs. About 70 s per test on 2 cores.
 */
class IcebergStaleOwnerIT extends WorkerProcessTestBase {

    private static final Logger LOG = LoggerFactory.getLogger(IcebergStaleOwnerIT.class);
    private static final String NAMESPACE = "cdc";
    private static final String TABLE = "orders_changes";
    private static final String REFUSED = IcebergCommitter.REFUSED_BY_ANOTHER_WRITER;

    @Test
    void aFrozenOwnersLateCommitIsRefusedAndItsFilesDeleted() throws Exception {
        long started = System.nanoTime();
        String name = "icefence";
        WorkerHarness h = new WorkerHarness(aws.stack(), name, 2);
        HoldingTcpProxy proxy = workers.closeAfter(HoldingTcpProxy.start(aws.s3().endpoint().getPort()));
        workers.onFailure(() -> "proxy statuses " + proxy.statusCounts() + ", connections " + proxy.connectionsAccepted()
                + "; exchanges not 2xx: " + proxy.exchanges().stream().filter(e -> e.status() >= 300).toList()
                + "; last exchanges: " + proxy.exchanges().subList(Math.max(0, proxy.exchanges().size() - 20),
                proxy.exchanges().size()));
        String warehousePrefix = name + "-warehouse-" + tmp.getFileName();
        Path sqlite = tmp.resolve("catalog.db");

        Map<String, String> common = IcebergLake.tableWorkerConfig(aws.s3(), sqlite, warehousePrefix, NAMESPACE, 2);
        common.put("kinesis.failoverTimeMillis", "3000");
        Map<String, String> viaProxy = new LinkedHashMap<>(common);
        viaProxy.put("s3.endpoint", proxy.endpoint().toString()); // the tables' FileIO and the error output
        Path yamlA = h.writeConfig(tmp.resolve(name + "-a.yaml"), viaProxy);
        Path yamlB = h.writeConfig(tmp.resolve(name + "-b.yaml"), common);

        ChangeProducer producer = workers.closeAfter(StaleOwnerFenceIT.producer(h)).start();

        // 1. A alone: both leases, committed and checkpointed (the table exists).
        WorkerProcess a = workers.start(JAR, yamlA, tmp, name + "-a");
        awaitLeases(a, 2, Duration.ofSeconds(60));
        poll("checkpoints of both shards from " + a, Duration.ofSeconds(60), a,
                () -> h.checkpoints().values().stream().filter(ProcessAssertions::isNumber).count() == 2);
        String idA = workerId(a);

        // 2. Freeze A while it has files uploaded or uploading that no snapshot holds yet (a file is
        //    sealed every second, a commit every 2 s: there always are some).
        poll("a commit of " + a, Duration.ofSeconds(30), a, () -> count(a, "Committed snapshot") >= 2);
        int exchangesBeforeFreeze = proxy.exchanges().size();
        proxy.hold();
        a.sigstop();
        long frozenAt = System.nanoTime();
        Map<String, String> putBeforeFreeze = WorkerHarness.lastSequenceByShard(producer.all());
        Snapshot atFreeze;
        try (IcebergLake reader = IcebergLake.open(aws.s3(), sqlite, warehousePrefix)) {
            atFreeze = reader.table(NAMESPACE, TABLE).currentSnapshot();
        }
        LOG.info("{}: froze {} with checkpoints {}; last put {}; table at snapshot {} {}", name, a,
                h.checkpoints(), putBeforeFreeze, atFreeze.snapshotId(), IcebergLake.watermarks(atFreeze));

        // 3. B takes both shards once A's leases expired, and commits past everything put before the
        //    freeze: past everything A has uploaded or buffered.
        WorkerProcess b = workers.start(JAR, yamlB, tmp, name + "-b");
        poll("both leases owned by " + b, Duration.ofSeconds(60), b, () -> {
            Map<String, String> owners = h.leaseOwners();
            return owners.size() == 2 && !owners.containsValue(idA) && count(b, "lease taken at") >= 2;
        });
        poll("checkpoints of " + b + " past every record put before the freeze", Duration.ofSeconds(60), b,
                () -> atOrPast(h.checkpoints(), putBeforeFreeze));
        long frozenMillis = (System.nanoTime() - frozenAt) / 1_000_000;
        LOG.info("{}: {} owns both shards and committed past the freeze; {} frozen for {} ms", name, b, a, frozenMillis);
        assertThat(a.isAlive()).isTrue();
        List<String> heldAtFreeze = proxy.heldRequestLines();
        proxy.release(); // A's held requests reach S3 now, late; A reads their answers when it wakes

        // 4. A wakes: a commit of its files still queued must be refused (if its commit thread gets
        //    there before it handles the lease loss, which drops them).
        a.sigcont();
        awaitLeasesLost(a, 2, Duration.ofSeconds(60));
        pollQuietly(Duration.ofSeconds(20), () -> count(a, REFUSED) > 0);
        List<String> put = awaitEverythingCheckpointed(h, producer, b, Duration.ofSeconds(120), Duration.ofSeconds(90));
        Map<String, String> last = WorkerHarness.lastSequenceByShard(put);
        Map<String, String> ownersAtEnd = h.leaseOwners();

        // 5. Stop both; read the table, the warehouse and the error output.
        boolean aAliveAtEnd = a.isAlive();
        a.sigterm();
        b.sigterm();
        int exitB = b.waitFor(Duration.ofSeconds(60));
        int exitA = a.waitFor(Duration.ofSeconds(60));

        IcebergLake reader = workers.closeAfter(IcebergLake.open(aws.s3(), sqlite, warehousePrefix));
        Table table = reader.table(NAMESPACE, TABLE);
        List<String> rows = IcebergLake.rows(table);
        Set<String> referenced = IcebergLake.referencedDataFiles(table);
        Set<String> dataObjects = reader.storedDataFiles();
        int metadataObjects = reader.storedObjects() - dataObjects.size();
        Set<String> orphans = new TreeSet<>(dataObjects);
        orphans.removeAll(referenced);
        Set<String> missing = new TreeSet<>(referenced);
        missing.removeAll(dataObjects);
        List<String> errorIds = StreamLake.read(h, tmp.resolve(name + "-lake")).errorIds();
        int snapshots = 0;
        for (Snapshot ignored : table.snapshots()) {
            snapshots++;
        }
        LOG.info("{}: {} records put ({} bad); {} rows, {} snapshots, {} data files ({} referenced), {} metadata objects; "
                        + "refused commits (logged): a {}, b {}; owners at the end {} (a = {}); "
                        + "a frozen {} ms, {} at the end, exit a {}, exit b {}; {} s", name, put.size(),
                producer.ids(StaleOwnerFenceIT.BAD).size(), rows.size(), snapshots, dataObjects.size(), referenced.size(),
                metadataObjects, count(a, REFUSED), count(b, REFUSED), ownersAtEnd, idA, frozenMillis, aAliveAtEnd ? "running" : "exited", exitA, exitB,
                (System.nanoTime() - started) / 1_000_000_000L);

        Set<String> badIds = producer.ids(StaleOwnerFenceIT.BAD);
        List<String> good = put.stream().filter(p -> !badIds.contains(p)).toList();
        assertExactlyOnce("rows", rows, good);
        assertExactlyOnce("error lines", errorIds, badIds);
        assertThat(h.checkpoints()).isEqualTo(last);
        assertThat(exitB).as("exit code of b after SIGTERM").isZero();
        assertThat(missing).as("data files the table references but S3 does not hold").isEmpty();
        // A's S3 traffic alone goes through the proxy: its data-file PUTs from the freeze on (held, or
        // made after it woke: files cut to the rows after B's watermark, uploaded again). Answered
        // or not: a PUT whose answer was lost may have landed (A then deletes it, where it can).
        List<HoldingTcpProxy.Exchange> exchanges = proxy.exchanges();
        List<HoldingTcpProxy.Exchange> sinceFreeze = exchanges.subList(exchangesBeforeFreeze, exchanges.size());
        Set<String> lateUploadsOfA = putLocations(sinceFreeze);
        Set<String> earlyUploadsOfA = putLocations(exchanges.subList(0, exchangesBeforeFreeze));
        long heldPuts = sinceFreeze.stream().filter(e -> e.held() && e.method().equals("PUT")).count();
        Map<String, String> orphanSources = orphans.stream().collect(Collectors.toMap(o -> o,
                o -> lateUploadsOfA.contains(o) ? "A, from the freeze on" : earlyUploadsOfA.contains(o) ? "A, before the freeze"
                        : "not A (B's)", (x, y) -> x, TreeMap::new));
        LOG.info("{}: requests held at the freeze {}; {} held PUTs; {} PUTs of A from the freeze on; unreferenced data "
                + "files {}", name, heldAtFreeze, heldPuts, lateUploadsOfA.size(), orphanSources);
        // An unreferenced file (an upload of a refused commit or of a lost lease that its writer was
        // stopped before deleting) must hold only rows the table holds: nothing is lost by it, and
        // maintain's orphan cleanup removes it after its safety age. Expected only from A (its late
        // uploads); CI once left two that were not among A's PUTs after the freeze, so who left
        // them is logged (the workers log each upload they delete or keep) and not asserted.
        Set<String> rowSet = new HashSet<>(rows);
        for (String orphan : orphans) {
            assertThat(IcebergLake.fileRows(table, orphan)).as("rows of the unreferenced file %s (%s)", orphan,
                    orphanSources.get(orphan)).isNotEmpty().allMatch(rowSet::contains);
        }
        assertNoProcessorExceptions(workers.all());
    }

    /** Where the PUTs among {@code exchanges} wrote, as the table names its files ("s3://bucket/key"). */
    private static Set<String> putLocations(List<HoldingTcpProxy.Exchange> exchanges) {
        return exchanges.stream().filter(e -> e.method().equals("PUT"))
                .map(e -> "s3:/" + URI.create(e.requestLine().split(" ")[1]).getPath()).collect(Collectors.toSet());
    }

    private static String fileName(String location) {
        return location.substring(location.lastIndexOf('/') + 1);
    }

    /**
     * The held commit, made certain: A freezes itself inside its third commit attempt, after the
     * fence passed and before the snapshot is swapped into the catalog (its files uploaded, its
     * snapshot's manifests not yet). B takes both shards and commits past every record put before
     * the freeze. A wakes: the catalog's compare-and-swap fails (B moved the table), Iceberg
     * refreshes and tries again, the fence runs again on the new base and refuses; A deletes the
     * uploads. Without the fence on every attempt A's retry would append rows B committed. A file
     * may stay unreferenced (an orphan for maintenance), holding only rows the table holds.
     */
    @Test
    void aCommitHeldPastItsFenceCheckWhileItsWorkerIsFrozenIsRefusedOnItsNextAttempt() throws Exception {
        long started = System.nanoTime();
        String name = "iceheld";
        WorkerHarness h = new WorkerHarness(aws.stack(), name, 2);
        String warehousePrefix = name + "-warehouse-" + tmp.getFileName();
        Path sqlite = tmp.resolve(name + "-catalog.db");
        Map<String, String> config = IcebergLake.tableWorkerConfig(aws.s3(), sqlite, warehousePrefix, NAMESPACE, 1);
        Path yaml = h.writeConfig(tmp.resolve(name + ".yaml"), config);
        // A's S3 traffic passes a proxy (never held here), which records A's uploads.
        HoldingTcpProxy proxy = workers.closeAfter(HoldingTcpProxy.start(aws.s3().endpoint().getPort()));
        Map<String, String> viaProxy = new LinkedHashMap<>(config);
        viaProxy.put("s3.endpoint", proxy.endpoint().toString());
        Path yamlA = h.writeConfig(tmp.resolve(name + "-a.yaml"), viaProxy);
        ChangeProducer producer = workers.closeAfter(StaleOwnerFenceIT.producer(h));

        // 1. A freezes itself inside its third commit attempt, past the fence.
        WorkerProcess a = workers.start(JAR, yamlA, tmp, name + "-a",
                List.of("-D" + CrashPoints.FREEZE_PROPERTY + "=" + IcebergCommitter.VALIDATED + "@3"));
        awaitLeases(a, 2, Duration.ofSeconds(60));
        String idA = workerId(a);
        producer.start();
        poll(a + " frozen at its crash point", Duration.ofSeconds(90), a,
                () -> a.isStopped() && a.logText().contains(CrashPoints.FREEZING + IcebergCommitter.VALIDATED));
        long frozenAt = System.nanoTime();
        Map<String, String> putBeforeFreeze = WorkerHarness.lastSequenceByShard(producer.all());

        // 2. B takes both shards once A's leases expired and commits past everything put before the freeze.
        WorkerProcess b = workers.start(JAR, yaml, tmp, name + "-b");
        poll("both leases owned by " + b, Duration.ofSeconds(60), b, () -> {
            Map<String, String> owners = h.leaseOwners();
            return owners.size() == 2 && !owners.containsValue(idA) && count(b, "lease taken at") >= 2;
        });
        poll("checkpoints of " + b + " past every record put before the freeze", Duration.ofSeconds(60), b,
                () -> atOrPast(h.checkpoints(), putBeforeFreeze));
        long frozenMillis = (System.nanoTime() - frozenAt) / 1_000_000;

        // 3. A wakes inside its commit: the next attempt must be refused.
        a.sigcont();
        pollQuietly(Duration.ofSeconds(30), () -> count(a, REFUSED) > 0); // asserted below, after the rows
        awaitLeasesLost(a, 2, Duration.ofSeconds(60));
        List<String> put = awaitEverythingCheckpointed(h, producer, b, Duration.ofSeconds(120), Duration.ofSeconds(90));
        a.sigterm();
        b.sigterm();
        int exitB = b.waitFor(Duration.ofSeconds(60));
        a.waitFor(Duration.ofSeconds(60));

        IcebergLake lake = workers.closeAfter(IcebergLake.open(aws.s3(), sqlite, warehousePrefix));
        Table table = lake.table(NAMESPACE, TABLE);
        List<String> rows = IcebergLake.rows(table);
        Set<String> referenced = IcebergLake.referencedDataFiles(table);
        Set<String> stored = lake.storedDataFiles();
        Set<String> orphans = new TreeSet<>(stored);
        orphans.removeAll(referenced);
        Set<String> badIds = producer.ids(StaleOwnerFenceIT.BAD);
        List<String> good = put.stream().filter(p -> !badIds.contains(p)).toList();
        LOG.info("{}: {} records put; {} rows; a frozen {} ms inside its commit; refusals logged by a {}; {} data files "
                        + "({} referenced); {} s", name, put.size(), rows.size(), frozenMillis, count(a, REFUSED), stored.size(),
                referenced.size(), (System.nanoTime() - started) / 1_000_000_000L);

        assertExactlyOnce("rows", rows, good);
        assertThat(rows).as("rows in the table").hasSize(good.size());
        assertExactlyOnce("error lines", StreamLake.read(h, tmp.resolve(name + "-lake")).errorIds(), badIds);
        assertThat(h.checkpoints()).isEqualTo(WorkerHarness.lastSequenceByShard(put));
        assertThat(exitB).as("exit code of b after SIGTERM").isZero();
        // An unreferenced file holds only rows the table holds: nothing is lost by it, and maintain's
        // orphan cleanup removes it after its safety age. CI runs left one or two, once two that
        // were not among the PUTs A made through the proxy (their source is not found yet), so
        // their number and owner are only logged.
        Set<String> uploadsOfA = putLocations(proxy.exchanges().stream().filter(e -> e.status() == 200).toList());
        LOG.info("{}: unreferenced data files {}, of which uploads of A {}", name, orphans,
                orphans.stream().filter(uploadsOfA::contains).toList());
        Set<String> rowSet = new HashSet<>(rows);
        for (String orphan : orphans) {
            assertThat(IcebergLake.fileRows(table, orphan)).as("rows of the unreferenced file %s", orphan)
                    .isNotEmpty().allMatch(rowSet::contains);
        }
        assertThat(count(a, REFUSED)).as("refusals logged by %s after it woke inside its commit", a).isPositive();
        assertNoProcessorExceptions(workers.all());
    }
}
