package io.lakehose.kcl;

import io.lakehose.commit.CrashPoints;
import io.lakehose.commit.iceberg.IcebergCommitter;
import io.lakehose.commit.iceberg.state.CurrentStateTable;
import io.lakehose.testing.ChangeProducer;
import io.lakehose.testing.IcebergLake;
import io.lakehose.testing.LocalStackExtension;
import io.lakehose.testing.WorkerHarness;
import io.lakehose.testing.WorkerProcess;
import io.lakehose.testing.WorkerProcesses;
import org.apache.iceberg.Snapshot;
import org.apache.iceberg.Table;
import org.apache.iceberg.data.IcebergGenerics;
import org.apache.iceberg.data.Record;
import org.apache.iceberg.io.CloseableIterable;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.UncheckedIOException;
import java.math.BigInteger;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

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
 * The current-state table ({@code iceberg.currentState: true}, docs/design.md, "Tables") with real
 * worker processes, at its crash windows, hit every time through the test-only crash points
 * ({@link CrashPoints}):
 * <ul>
 *   <li>{@code iceberg.state.pending}: worker A halts (as kill -9) after a change-log commit,
 *       before the state table caught up with it;</li>
 *   <li>{@code iceberg.state.validated}: A halts inside a state commit, its files written and its
 *       fence passed, its snapshot not in the catalog;</li>
 *   <li>the same point with {@code lakehose.test.freezeAt}: A freezes there past its lease expiry,
 *       B takes over and moves both tables on; A wakes and its late state commit must be refused
 *       (the catalog's compare-and-swap fails, Iceberg retries, the fence sees the table moved),
 *       its files deleted.</li>
 * </ul>
 * The records change 50 items many times (inserts, updates, removes), their event times out of
 * arrival order (blocks of 50 records swapped in pairs), so the newest change of an item is often
 * not its last to arrive. Afterwards the state table (Iceberg's generic reader, which applies
 * position deletes) must equal the newest change per key computed here from the change-log rows
 * (newest event time, then sequence number; REMOVE leaves no row): no item missing, none twice,
 * no row of a change that is not its item's newest; and the change log must hold every record once.
 *
 * <p>{@code -Dlakehose.it.logDir=DIR} keeps the workers' logs. 33-56 s per test on 2 cores at load
 * 3-7, 66-85 s at load 20.
 */
class IcebergCurrentStateIT {

    private static final Logger LOG = LoggerFactory.getLogger(IcebergCurrentStateIT.class);
    private static final Path JAR = Path.of(System.getProperty("lakehose.jar", "target/lakehose.jar"));
    private static final String NAMESPACE = "cdc";
    private static final String CHANGES = "orders_changes";
    private static final String STATE = "orders";
    private static final String MOVED = "moved while this writer computed a commit";
    /** About 10 s of records: 1,000 in batches of 20 every 200 ms, over 2 shards. */
    private static final int TOTAL = 1_000;
    private static final int ITEMS = 50;
    private static final Instant T0 = Instant.parse("2024-11-25T07:00:00Z");
    /** The data files listed on the crash line of {@code iceberg.state.validated}. */
    private static final Pattern STATE_FILES = Pattern.compile(
            Pattern.quote(CurrentStateTable.VALIDATED) + "[^\\[]*\\[([^\\]]*)\\]");

    @RegisterExtension
    static final LocalStackExtension aws = new LocalStackExtension();

    @RegisterExtension
    final WorkerProcesses workers = new WorkerProcesses();

    @TempDir
    Path tmp;

    @Test
    void killedBetweenTheChangeLogCommitAndTheStateCommit() throws Exception {
        killedAt("statepending", IcebergCommitter.STATE_PENDING);
    }

    @Test
    void killedInsideTheStateCommitPastItsFence() throws Exception {
        String log = killedAt("statevalidated", CurrentStateTable.VALIDATED);
        assertThat(filesOnCrashLine(log)).as("state files of the killed commit").isNotEmpty();
    }

    /** A halts the second time it reaches {@code point}; B takes over and finishes; returns A's log. */
    private String killedAt(String name, String point) throws Exception {
        long started = System.nanoTime();
        Scenario s = new Scenario(name);
        WorkerProcess a = workers.start(JAR, s.yaml, tmp, name + "-a", List.of("-D" + CrashPoints.HALT_PROPERTY + "=" + point + "@2"));
        awaitLeases(a, 2, Duration.ofSeconds(60));
        s.producer.start();
        int exitA = a.waitFor(Duration.ofSeconds(90));
        assertThat(exitA).as("exit code of %s (halted at %s)\n%s", a, point, a.tail(40)).isEqualTo(CrashPoints.EXIT_CODE);
        assertThat(a.logText()).contains(CrashPoints.HALTING + point);
        try (IcebergLake lake = IcebergLake.open(aws.s3(), s.sqlite, s.warehouse)) {
            // The window was real: the change log held a snapshot the state table had not applied.
            assertThat(source(lake.table(NAMESPACE, STATE)))
                    .as("the change-log snapshot the state table holds, at the kill")
                    .isNotEqualTo(lake.table(NAMESPACE, CHANGES).currentSnapshot().snapshotId());
        }

        WorkerProcess b = workers.start(JAR, s.yaml, tmp, name + "-b");
        List<String> put = awaitEverythingCheckpointed(s.h, s.producer, b, Duration.ofSeconds(120), Duration.ofSeconds(90));
        s.awaitStateCaughtUp(b);
        b.sigterm();
        assertThat(b.waitFor(Duration.ofSeconds(60))).as("exit code of b after SIGTERM").isZero();

        Set<String> orphans = s.assertStateIsTheNewestChangePerKey(put);
        LOG.info("{}: halted at {}; {} records put; orphan data files (of the killed worker) {}; {} s", name, point,
                put.size(), orphans.size(), (System.nanoTime() - started) / 1_000_000_000L);
        if (point.equals(CurrentStateTable.VALIDATED)) {
            assertThat(orphans).as("data files stored but not referenced").containsAll(filesOnCrashLine(a.logText()));
        }
        assertNoProcessorExceptions(workers.all());
        return a.logText();
    }

    /**
     * A freezes inside its second state commit, past the fence; B takes both shards and moves both
     * tables past every record put before the freeze; A wakes: its held state commit is refused
     * and its files deleted. Without the fence on every attempt, A's retry would delete rows B
     * wrote and write rows older than B's.
     */
    @Test
    void aFrozenWritersLateStateCommitIsRefusedAndAddsNothing() throws Exception {
        long started = System.nanoTime();
        String name = "statefrozen";
        Scenario s = new Scenario(name);
        WorkerProcess a = workers.start(JAR, s.yaml, tmp, name + "-a",
                List.of("-D" + CrashPoints.FREEZE_PROPERTY + "=" + CurrentStateTable.VALIDATED + "@2"));
        awaitLeases(a, 2, Duration.ofSeconds(60));
        String idA = workerId(a);
        s.producer.start();
        poll(a + " frozen at its crash point", Duration.ofSeconds(90), a,
                () -> a.isStopped() && a.logText().contains(CrashPoints.FREEZING + CurrentStateTable.VALIDATED));
        Set<String> held = filesOnCrashLine(a.logText());
        Map<String, String> putBeforeFreeze = WorkerHarness.lastSequenceByShard(s.producer.all());

        WorkerProcess b = workers.start(JAR, s.yaml, tmp, name + "-b");
        poll("both leases owned by " + b, Duration.ofSeconds(60), b, () -> {
            Map<String, String> owners = s.h.leaseOwners();
            return owners.size() == 2 && !owners.containsValue(idA) && count(b, "lease taken at") >= 2;
        });
        poll("checkpoints of " + b + " past every record put before the freeze", Duration.ofSeconds(60), b,
                () -> atOrPast(s.h.checkpoints(), putBeforeFreeze));
        s.awaitStateCaughtUp(b);

        a.sigcont();
        pollQuietly(Duration.ofSeconds(30), () -> count(a, MOVED) > 0); // asserted below, after the rows
        awaitLeasesLost(a, 2, Duration.ofSeconds(60));
        List<String> put = awaitEverythingCheckpointed(s.h, s.producer, b, Duration.ofSeconds(120), Duration.ofSeconds(90));
        s.awaitStateCaughtUp(b);
        a.sigterm();
        b.sigterm();
        int exitB = b.waitFor(Duration.ofSeconds(60));
        a.waitFor(Duration.ofSeconds(60));

        Set<String> orphans = s.assertStateIsTheNewestChangePerKey(put);
        LOG.info("{}: {} records put; held state files {}; refusals logged by a {}; {} s", name, put.size(), held,
                count(a, MOVED), (System.nanoTime() - started) / 1_000_000_000L);
        assertThat(held).as("state files of the held commit").isNotEmpty();
        assertThat(count(a, MOVED)).as("refusals of the state commit logged by %s after it woke", a).isPositive();
        assertThat(orphans).as("data files under the warehouse that no table references (the held commit's deleted)").isEmpty();
        assertThat(exitB).as("exit code of b after SIGTERM").isZero();
        assertNoProcessorExceptions(workers.all());
    }

    /** One scenario's stream, lake and configuration. */
    private final class Scenario {
        final WorkerHarness h;
        final Path sqlite;
        final String warehouse;
        final Path yaml;
        final ChangeProducer producer;

        Scenario(String name) throws Exception {
            h = new WorkerHarness(aws.stack(), name, 2);
            sqlite = tmp.resolve(name + "-catalog.db");
            warehouse = name + "-warehouse-" + tmp.getFileName();
            Map<String, String> config = new LinkedHashMap<>(IcebergLake.workerConfig(aws.s3(), sqlite, warehouse));
            config.put("kinesis.failoverTimeMillis", "3000");
            config.put("buffer.maxRecords", "50");
            config.put("buffer.maxAgeSeconds", "1");
            config.put("lake.format", "iceberg");
            config.put("iceberg.namespace", NAMESPACE);
            config.put("iceberg.commitIntervalSeconds", "1");
            config.put("iceberg.currentState", "true");
            yaml = h.writeConfig(tmp.resolve(name + ".yaml"), config);
            producer = workers.closeAfter(new ChangeProducer(h, TOTAL, 20, Duration.ofMillis(200), IcebergCurrentStateIT::change));
        }

        /** The state table holds the change log's newest snapshot (B's checkpoint waits for it; a failed catch-up is retried). */
        void awaitStateCaughtUp(WorkerProcess w) {
            poll("the state table caught up with the change log", Duration.ofSeconds(30), w, () -> {
                try (IcebergLake lake = IcebergLake.open(aws.s3(), sqlite, warehouse)) {
                    return Objects.equals(source(lake.table(NAMESPACE, STATE)),
                            lake.table(NAMESPACE, CHANGES).currentSnapshot().snapshotId());
                } catch (Exception e) {
                    throw new IllegalStateException(e);
                }
            });
        }

        /** Asserts the change log and the state table; returns the data files stored but referenced by neither. */
        Set<String> assertStateIsTheNewestChangePerKey(List<String> put) throws Exception {
            IcebergLake lake = workers.closeAfter(IcebergLake.open(aws.s3(), sqlite, warehouse));
            Table changes = lake.table(NAMESPACE, CHANGES);
            Table state = lake.table(NAMESPACE, STATE);
            assertExactlyOnce("change-log rows", IcebergLake.rows(changes), put);

            Map<String, Record> newest = new HashMap<>();
            try (CloseableIterable<Record> rows = IcebergGenerics.read(changes).build()) {
                for (Record r : rows) {
                    newest.merge((String) r.getField("keys"), r.copy(), (x, y) -> NEWER.compare(y, x) > 0 ? y : x);
                }
            }
            Map<String, String> expected = new TreeMap<>();
            newest.forEach((key, r) -> {
                if (!"REMOVE".equals(r.getField("event_name"))) {
                    expected.put(key, (String) r.getField("event_id"));
                }
            });
            Map<String, String> actual = new TreeMap<>();
            List<String> keys = new ArrayList<>();
            try (CloseableIterable<Record> rows = IcebergGenerics.read(state).build()) {
                for (Record r : rows) {
                    keys.add((String) r.getField("keys"));
                    actual.put((String) r.getField("keys"), (String) r.getField("event_id"));
                }
            }
            assertThat(keys).as("keys of the state table's rows").doesNotHaveDuplicates();
            assertThat(actual).as("key -> event id of the state table, against the newest change per key of the change log")
                    .isEqualTo(expected);
            assertThat(expected.size()).as("items left (some removed)").isBetween(1, ITEMS - 1);

            Set<String> referenced = new TreeSet<>(IcebergLake.referencedDataFiles(changes));
            referenced.addAll(IcebergLake.referencedDataFiles(state));
            referenced.addAll(referencedDeletes(state));
            Set<String> stored = lake.storedDataFiles();
            Set<String> missing = new TreeSet<>(referenced);
            missing.removeAll(stored);
            assertThat(missing).as("data files the tables reference but S3 does not hold").isEmpty();
            Set<String> orphans = new TreeSet<>(stored);
            orphans.removeAll(referenced);
            return orphans;
        }
    }

    /** Newest event time (distinct here), then the higher sequence number. */
    private static final Comparator<Record> NEWER = Comparator
            .comparing((Record r) -> ((OffsetDateTime) r.getField("event_time")).toInstant())
            .thenComparing(r -> new BigInteger((String) r.getField("sequence_number")));

    /**
     * Record {@code i}: a change of item {@code i % 50}, every seventh a REMOVE; its event time
     * swapped with the record 50 later or earlier (blocks of 50 in swapped pairs), so an item's
     * changes arrive out of order.
     */
    private static byte[] change(int i) {
        String event = i % 7 == 3 ? "REMOVE" : i < ITEMS ? "INSERT" : "MODIFY";
        int block = i / ITEMS;
        long order = (long) (block ^ 1) * ITEMS + i % ITEMS;
        return WorkerHarness.change(i, i % ITEMS, event, T0.plusMillis(order * 10), "orders");
    }

    /** The change-log snapshot a state table holds (its newest snapshot's summary), or null. */
    private static Long source(Table state) {
        Snapshot s = state.currentSnapshot();
        String id = s == null ? null : s.summary().get(CurrentStateTable.SOURCE_SNAPSHOT);
        return id == null ? null : Long.parseLong(id);
    }

    /** The position-delete files of {@code state}'s current snapshot (stored under data/ too). */
    private static Set<String> referencedDeletes(Table state) {
        Set<String> deletes = new TreeSet<>();
        try (var tasks = state.newScan().planFiles()) {
            tasks.forEach(t -> t.deletes().forEach(d -> deletes.add(d.location())));
        } catch (java.io.IOException e) {
            throw new UncheckedIOException(e);
        }
        return deletes;
    }

    private static Set<String> filesOnCrashLine(String log) {
        Matcher m = STATE_FILES.matcher(log);
        assertThat(m.find()).as("the crash line of %s lists the state commit's files", CurrentStateTable.VALIDATED).isTrue();
        return new TreeSet<>(Arrays.stream(m.group(1).split(",\\s*")).filter(f -> !f.isBlank()).toList());
    }
}
