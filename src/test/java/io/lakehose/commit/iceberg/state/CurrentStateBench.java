package io.lakehose.commit.iceberg.state;

import io.lakehose.commit.iceberg.ChangeLogTables;
import io.lakehose.commit.iceberg.LocalWarehouse;
import java.util.HashMap;
import org.apache.iceberg.ManifestContent;
import org.junit.jupiter.api.AfterAll;
import io.lakehose.testing.S3Emulator;
import io.lakehose.testing.IcebergLake;
import io.lakehose.encode.EnvelopeSchema;
import org.apache.avro.generic.GenericData;
import org.apache.avro.generic.GenericRecord;
import org.apache.iceberg.CatalogUtil;
import org.apache.iceberg.DataFile;
import org.apache.iceberg.ManifestFile;
import org.apache.iceberg.PartitionSpec;
import org.apache.iceberg.Snapshot;
import org.apache.iceberg.Table;
import org.apache.iceberg.TableProperties;
import org.apache.iceberg.catalog.Catalog;
import org.apache.iceberg.catalog.Namespace;
import org.apache.iceberg.catalog.SupportsNamespaces;
import org.apache.iceberg.catalog.TableIdentifier;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.EnabledIfSystemProperty;
import org.junit.jupiter.api.io.TempDir;

import java.lang.management.ManagementFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;

import static io.lakehose.testing.Stats.max;
import static io.lakehose.testing.Stats.median;
import static io.lakehose.testing.Stats.min;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * What a current-state commit costs as the table grows (issue 17's goal: at most 2 s per commit
 * of 10,000 changes on a 1,000,000-key table, in proportion to the changes, not to the table),
 * and what a writer's start costs (its index: build time, bytes read, heap per key). One writer,
 * the JDBC catalog on SQLite, local files ({@link io.lakehose.commit.iceberg.LocalFileIO}); with
 * {@code -Dlakehose.bench.s3=true} the files go through Iceberg's S3FileIO to the local stack's S3
 * emulator (S3Proxy, in this JVM) instead.
 *
 * <p>Each run: the change log gets the table's keys as inserts in commits of 100,000 (the seed,
 * timed apart), then {@code commits} change-log commits of 10,000 changes each, every one applied
 * by {@link CurrentStateTable#catchUp()} and timed: 20 % inserts of new keys, 70 % updates of
 * live keys, 10 % removes. A row is printed every {@code every} commits with the table's files
 * and manifests, so a cost that grows with them shows. Then a new writer starts on the table:
 * its index build is timed, its bytes and its heap measured (used heap after GC, before and after).
 * Not a test: skipped unless {@code -Dlakehose.bench=true}; its name matches none of Surefire's includes.
 *
 * <pre>
 * mvn -B -o test -Dtest=CurrentStateBench -Dsurefire.failIfNoSpecifiedTests=false -Dlakehose.bench=true \
 *     [-Dlakehose.bench.keys=1000000] [-Dlakehose.bench.commits=60] [-Dlakehose.bench.every=10] [-Dlakehose.bench.runs=3]
 *     [-Dlakehose.bench.s3=true]
 * </pre>
 */
@EnabledIfSystemProperty(named = "lakehose.bench", matches = "true")
class CurrentStateBench {

    private static final int KEYS = Integer.getInteger("lakehose.bench.keys", 1_000_000);
    private static final int COMMITS = Integer.getInteger("lakehose.bench.commits", 60);
    private static final int EVERY = Integer.getInteger("lakehose.bench.every", 10);
    private static final int RUNS = Integer.getInteger("lakehose.bench.runs", 3);
    private static final boolean ON_S3 = Boolean.getBoolean("lakehose.bench.s3");
    private static final int CHANGES = 10_000;
    private static final int SEED_BATCH = 100_000;
    private static final long T0 = 1_732_500_000_000_000L;
    private static final String SHARD = "shardId-000000000001";

    @TempDir
    Path tmp;

    /** The emulator, started once when the files go to S3. */
    private static S3Emulator s3;

    @AfterAll
    static void stopEmulator() {
        if (s3 != null) {
            s3.close();
        }
    }

    private static Map<String, String> catalogProperties(Path dir, int run) {
        if (!ON_S3) {
            return LocalWarehouse.writerProperties(dir);
        }
        if (s3 == null) {
            s3 = S3Emulator.start();
        }
        Map<String, String> props = new HashMap<>();
        IcebergLake.workerConfig(s3, dir.resolve("catalog.db"), "bench-run-" + run)
                .forEach((k, v) -> props.put(k.substring("iceberg.catalog.".length()), v));
        props.putAll(IcebergLake.s3FileIoProperties(s3.endpoint()));
        return props;
    }

    /** One run's figures. */
    private record Run(List<Double> commitSeconds, List<Long> commitBytes, double seedSeconds, double buildSeconds,
                       long buildBytes, double heapPerKey, long keys) {
    }

    @Test
    void commitCostAsTheTableGrows() throws Exception {
        List<Run> runs = new ArrayList<>();
        for (int r = 0; r < RUNS; r++) {
            runs.add(run(r));
        }
        System.out.printf("%n%d runs; %,d keys, %d commits of %,d changes each; machine load %.2f%n", RUNS, KEYS, COMMITS,
                CHANGES, ManagementFactory.getOperatingSystemMXBean().getSystemLoadAverage());
        summary("commit, median of a run (s)", runs.stream().map(x -> median(x.commitSeconds())).toList(), "%.2f");
        summary("commit, slowest of a run (s)", runs.stream().map(x -> max(x.commitSeconds())).toList(), "%.2f");
        summary("commit, median bytes read (MB)",
                runs.stream().map(x -> median(x.commitBytes().stream().map(b -> b / 1e6).toList())).toList(), "%.2f");
        summary("seed of the table (s)", runs.stream().map(Run::seedSeconds).toList(), "%.1f");
        summary("index build at start (s)", runs.stream().map(Run::buildSeconds).toList(), "%.2f");
        summary("index build bytes read (MB)", runs.stream().map(x -> x.buildBytes() / 1e6).toList(), "%.1f");
        summary("index heap per key (bytes)", runs.stream().map(Run::heapPerKey).toList(), "%.0f");
        System.out.printf("goal: <= 2 s per commit%n");
        runs.forEach(x -> assertThat(x.keys()).isGreaterThanOrEqualTo(KEYS));
    }

    private Run run(int index) throws Exception {
        Path dir = Files.createDirectories(tmp.resolve("run-" + index));
        Catalog catalog = CatalogUtil.buildIcebergCatalog("lakehose", catalogProperties(dir, index), null);
        try {
            ((SupportsNamespaces) catalog).createNamespace(Namespace.of("lake"));
            TableIdentifier id = TableIdentifier.of("lake", "orders_changes");
            Table changeLog = catalog.buildTable(id, ChangeLogTables.SCHEMA).withPartitionSpec(PartitionSpec.unpartitioned())
                    .withProperty(TableProperties.FORMAT_VERSION, "2").create();
            Changes changes = new Changes(new Random(index));
            CurrentStateSettings settings = new CurrentStateSettings(true, Map.of(), false);
            CurrentStateTable writer = new CurrentStateTables(catalog, settings, "bench").of("Orders", id, changeLog);

            long start = System.nanoTime();
            for (int k = 0; k < KEYS; k += SEED_BATCH) {
                append(changeLog, changes.inserts(Math.min(SEED_BATCH, KEYS - k)));
                writer.catchUp();
            }
            double seed = (System.nanoTime() - start) / 1e9;
            System.out.printf("%nrun %d: seeded %,d keys in %.1f s%n", index, writer.indexedRows(), seed);
            System.out.printf("(ms: median and slowest of the last %d commits; the rest: the last commit, the table after it)%n",
                    EVERY);
            System.out.printf("%8s %10s %8s %8s %10s %10s %8s %8s %10s %10s%n", "commit", "keys", "ms", "max ms", "read MB",
                    "rows", "deletes", "data f", "delete f", "manifests");
            List<Double> seconds = new ArrayList<>();
            List<Long> bytes = new ArrayList<>();
            for (int c = 1; c <= COMMITS; c++) {
                append(changeLog, changes.mixed(CHANGES));
                long t = System.nanoTime();
                CurrentStateTable.Applied applied = writer.catchUp();
                double s = (System.nanoTime() - t) / 1e9;
                seconds.add(s);
                bytes.add(applied.bytesRead());
                if (c % EVERY == 0) {
                    Shape shape = Shape.of(writer.table());
                    List<Double> last = seconds.subList(c - EVERY, c);
                    System.out.printf("%8d %,10d %8.0f %8.0f %10.2f %,10d %,8d %8d %10d %10d%n", c, changes.live.size(),
                            median(last) * 1000, max(last) * 1000, applied.bytesRead() / 1e6, applied.rowsWritten(),
                            applied.rowsDeleted(), shape.dataFiles(), shape.deleteFiles(), shape.manifests());
                }
            }
            long keys = writer.indexedRows();
            assertThat(keys).isEqualTo(changes.live.size());
            writer = null; // its index is garbage now: the heap below is the new writer's

            long before = usedHeapAfterGc();
            CurrentStateTable started = new CurrentStateTables(catalog, settings, "bench-restart").of("Orders", id, changeLog);
            long t = System.nanoTime();
            CurrentStateTable.Applied nothing = started.catchUp();
            double build = (System.nanoTime() - t) / 1e9;
            double perKey = (double) (usedHeapAfterGc() - before) / started.indexedRows();
            assertThat(nothing.committed()).isFalse();
            assertThat(started.indexedRows()).isEqualTo(keys);
            System.out.printf("run %d: median commit %.2f s (range %.2f-%.2f); a new writer's index: %,d keys in %.2f s, "
                            + "%.1f MB read (of %.1f MB of data files), %.0f bytes of heap per key%n", index, median(seconds),
                    min(seconds), max(seconds), started.indexedRows(), build, nothing.bytesRead() / 1e6,
                    Shape.of(started.table()).dataBytes() / 1e6, perKey);
            return new Run(seconds, bytes, seed, build, nothing.bytesRead(), perKey, keys);
        } finally {
            ((AutoCloseable) catalog).close();
        }
    }

    private static void append(Table changeLog, List<GenericRecord> rows) throws Exception {
        DataFile f = StateFiles.writeData(changeLog, EnvelopeSchema.SCHEMA, rows, "changes");
        changeLog.newFastAppend().appendFile(f).commit();
    }

    /** The table's live files and the manifests of its current snapshot. */
    private record Shape(int dataFiles, int deleteFiles, int manifests, long dataBytes) {
        static Shape of(Table t) {
            t.refresh();
            Snapshot s = t.currentSnapshot();
            List<ManifestFile> manifests = s.allManifests(t.io());
            long dataFiles = 0;
            long deleteFiles = 0;
            for (ManifestFile m : manifests) {
                int live = (m.addedFilesCount() == null ? 0 : m.addedFilesCount())
                        + (m.existingFilesCount() == null ? 0 : m.existingFilesCount());
                if (m.content() == ManifestContent.DATA) {
                    dataFiles += live;
                } else {
                    deleteFiles += live;
                }
            }
            long bytes = Long.parseLong(s.summary().getOrDefault("total-files-size", "0"));
            return new Shape((int) dataFiles, (int) deleteFiles, manifests.size(), bytes);
        }
    }

    /** Changes of one DynamoDB table, event times increasing commit by commit; the live keys kept to pick updates from. */
    private static final class Changes {
        private final Random random;
        private final List<Integer> live = new ArrayList<>();
        private int nextKey;
        private long seq;

        Changes(Random random) {
            this.random = random;
        }

        List<GenericRecord> inserts(int n) {
            List<GenericRecord> rows = new ArrayList<>(n);
            for (int i = 0; i < n; i++) {
                rows.add(insert());
            }
            return rows;
        }

        /** 20 % inserts of new keys, 70 % updates of live keys, 10 % removes; each key once in a commit. */
        List<GenericRecord> mixed(int n) {
            List<GenericRecord> rows = new ArrayList<>(n);
            Set<Integer> touched = new HashSet<>();
            while (rows.size() < n) {
                int kind = random.nextInt(10);
                if (kind < 2) {
                    rows.add(insert());
                    continue;
                }
                int at = random.nextInt(live.size());
                int key = live.get(at);
                if (!touched.add(key)) {
                    continue;
                }
                if (kind < 9) {
                    rows.add(row(key, "MODIFY"));
                } else {
                    live.set(at, live.get(live.size() - 1));
                    live.remove(live.size() - 1);
                    rows.add(row(key, Change.REMOVE));
                }
            }
            return rows;
        }

        private GenericRecord insert() {
            int key = nextKey++;
            live.add(key);
            return row(key, "INSERT");
        }

        /** About 250 bytes of JSON per image, like a small DynamoDB item. */
        private GenericRecord row(int key, String event) {
            seq++;
            GenericRecord r = new GenericData.Record(EnvelopeSchema.SCHEMA);
            r.put("event_id", "e" + seq);
            r.put("event_name", event);
            r.put("table_name", "Orders");
            r.put("event_time", T0 + seq * 1000);
            r.put("keys", "{\"pk\":{\"S\":\"order-" + key + "\"}}");
            r.put("new_image", event.equals(Change.REMOVE) ? null : "{\"pk\":{\"S\":\"order-" + key
                    + "\"},\"status\":{\"S\":\"s" + seq % 7 + "\"},\"amount\":{\"N\":\"" + seq % 100_000
                    + ".25\"},\"customer\":{\"S\":\"customer-" + key % 5000 + "\"},\"note\":{\"S\":\""
                    + Long.toHexString(seq * 0x9E3779B97F4A7C15L) + Long.toHexString(key * 31L + seq) + "\"},"
                    + "\"updated\":{\"N\":\"" + seq + "\"}}");
            r.put("shard_id", SHARD);
            r.put("sequence_number", Long.toString(seq));
            r.put("sub_sequence_number", 0L);
            r.put("arrival_time", T0 + seq * 1000);
            return r;
        }
    }

    /** G1 runs System.gc() as a full, stop-the-world collection: the heap is settled when it returns. */
    private static long usedHeapAfterGc() {
        for (int i = 0; i < 3; i++) {
            System.gc();
        }
        return ManagementFactory.getMemoryMXBean().getHeapMemoryUsage().getUsed();
    }

    private static void summary(String what, List<Double> perRun, String format) {
        System.out.printf("  %-34s median " + format + ", range " + format + "-" + format + "  (runs: %s)%n", what,
                median(perRun), min(perRun), max(perRun),
                String.join(" ", perRun.stream().map(v -> String.format(format, v)).toList()));
    }
}
