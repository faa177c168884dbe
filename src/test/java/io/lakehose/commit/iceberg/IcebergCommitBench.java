package io.lakehose.commit.iceberg;

import com.sun.management.OperatingSystemMXBean;
import io.lakehose.buffer.SealedFile;
import io.lakehose.commit.Committed;
import io.lakehose.commit.LakeCommitter;
import io.lakehose.commit.ShardCommitter;
import io.lakehose.config.ConfigLoader;
import io.lakehose.config.LakehoseConfig;
import io.lakehose.decode.SequenceNumber;
import io.lakehose.decode.SourceRecord;
import io.lakehose.encode.RowEncoders;
import io.lakehose.pipeline.PipelineContext;
import io.lakehose.pipeline.PipelineStats;
import io.lakehose.pipeline.Pipelines;
import io.lakehose.pipeline.ShardPipeline;
import io.lakehose.sink.LocalDirectoryStore;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.EnabledIfSystemProperty;
import org.junit.jupiter.api.io.TempDir;

import java.lang.management.CompilationMXBean;
import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

import static io.lakehose.testing.Stats.max;
import static io.lakehose.testing.Stats.median;
import static io.lakehose.testing.Stats.percentileMillis;
import static io.lakehose.testing.Stats.min;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * What the Iceberg adapter costs next to the folder layout in the state a long-running worker
 * is in: the same records through the same pipeline (one shard, local disk for both, the tables
 * in a JDBC catalog on SQLite through {@link LocalFileIO}), whole-JVM CPU seconds per run (GC,
 * JIT, the upload and commit threads included).
 *
 * <p>Steady state: each lake (folders, and one warehouse per commit interval) is made once, with
 * its committer, catalog and tables, by a warm-up run whose cost is reported apart ("start");
 * every measured run is a new shard (a new lease) appending 200,000 records to the same lake,
 * so a table grows by every run's snapshots and files as a worker's does between maintenance
 * runs. Runs are alternated folders / each interval (each lake in turn first), and each
 * interval's CPU is divided by the folders' of the same round: on this shared machine ratios pair
 * by pair are steadier than absolute figures (still, single pairs ranged 0.8-1.9 at 60 s: run
 * many rounds). Each lake's CPU is split into the thread feeding the shard, the other live Java
 * threads (uploads, commits) and the rest (GC, JIT, threads that ended), with the JIT compilers'
 * own estimate of their time beside it.
 *
 * <p>The commit interval in stream time: the records arrive at a shard's write limit, 1,000
 * records a second (stream time 1 ms apart), and the pipeline is driven as the worker's
 * {@code ShardSession} drives it, in batches of a second's records with
 * {@link ShardPipeline#sealIfCommitDue()} after each; a barrier is due every
 * {@code interval x 1,000} records (the adapter's own wall-clock barrier would follow this
 * machine's speed instead) and the commit thread is asked to commit at once, so a table gets one
 * commit per interval per shard, as a worker with one shard would make. Intervals measured: the
 * default 60 s and a short 1 s (200 barriers a run: many small files and commits). The folders
 * cut files at {@code buffer.maxAgeSeconds} (300 s) and at the end of the run.
 *
 * <p>Not a test: skipped unless {@code -Dlakehose.bench=true}, and its name matches none of
 * Surefire's includes. Run it with:
 *
 * <pre>
 * mvn -B -o test -Dtest=IcebergCommitBench -Dsurefire.failIfNoSpecifiedTests=false -Dlakehose.bench=true
 * </pre>
 *
 * Options: {@code lakehose.bench.records} (200,000 of about 820 bytes), {@code lakehose.bench.runs}
 * (7 rounds, after one warm-up of each lake), {@code lakehose.bench.shards} (1: the shards a
 * worker holds, each fed by its own thread, the records dealt round robin, so each shard's stream
 * time is the run's divided by the shards and a commit covers that many shards' records),
 * {@code lakehose.bench.warmupRounds} (0: rounds run
 * before those counted), {@code lakehose.bench.intervals} (seconds,
 * comma-separated: {@code 60,1}).
 */
@EnabledIfSystemProperty(named = "lakehose.bench", matches = "true")
class IcebergCommitBench {

    private static final long T0 = Instant.parse("2024-11-25T06:00:00Z").toEpochMilli() * 1000;
    /** Shards a worker holds, each fed by its own thread ({@code lakehose.bench.shards}, 1). */
    private static final int SHARDS = Integer.getInteger("lakehose.bench.shards", 1);
    /** A shard's write limit: 1,000 records a second. */
    private static final int RECORDS_PER_SECOND = 1000;
    private static final OperatingSystemMXBean OS =
            (OperatingSystemMXBean) ManagementFactory.getOperatingSystemMXBean();
    private static final ThreadMXBean THREADS = ManagementFactory.getThreadMXBean();
    private static final CompilationMXBean JIT = ManagementFactory.getCompilationMXBean();

    @TempDir
    Path tmp;

    @Test
    void icebergAgainstFolders() throws Exception {
        int records = Integer.getInteger("lakehose.bench.records", 200_000);
        int runs = Integer.getInteger("lakehose.bench.runs", 7);
        // Rounds run first and not counted: a worker runs for days, so its JIT has long settled.
        int warmupRounds = Integer.getInteger("lakehose.bench.warmupRounds", 0);
        List<Integer> intervals = Stream.of(System.getProperty("lakehose.bench.intervals", "60,1").split(","))
                .map(String::trim).map(Integer::valueOf).toList();
        List<SourceRecord> input = records(records);
        long inputBytes = input.stream().mapToLong(SourceRecord::length).sum();
        double loadBefore = OS.getSystemLoadAverage();
        Map<String, Lake> lakes = new LinkedHashMap<>();
        lakes.put("folders", new Lake("folders", 0));
        intervals.forEach(s -> lakes.put("iceberg " + s + " s", new Lake("iceberg", s)));
        for (Lake lake : lakes.values()) {
            lake.open();
            lake.run(input, 0); // warm-up: the tables are created here
            lake.startCpu += lake.runs.remove(0).cpu();
            lake.registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT); // keeps histogram buckets; the warm-up's commits are not counted
            lake.committer.bindTo(lake.registry);
        }
        List<Lake> order = new ArrayList<>(lakes.values());
        for (int round = 1; round <= warmupRounds + runs; round++) {
            for (Lake lake : order) {
                lake.run(input, round);
            }
            Collections.rotate(order, 1); // each lake in turn runs first: no lake always follows another's garbage
            if (round == warmupRounds) {
                for (Lake lake : lakes.values()) {
                    lake.runs.clear();
                    lake.registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
                    lake.committer.bindTo(lake.registry);
                }
            }
        }
        for (Lake lake : lakes.values()) {
            lake.close();
        }
        System.out.printf("%n%,d records (%.1f MB of JSON) per run over %d shard(s), %d s of each at its write limit; %d rounds after %d not counted; "
                        + "machine load %.2f before, %.2f after (2 cores)%n", records, inputBytes / 1e6, SHARDS,
                records / SHARDS / RECORDS_PER_SECOND, runs, warmupRounds, loadBefore, OS.getSystemLoadAverage());
        System.out.println("CPU-s per run, whole JVM (medians of its parts: the thread feeding the shard; the other Java threads: uploads, commits; the rest: GC, JIT, threads that ended):");
        Lake folders = lakes.get("folders");
        for (Lake lake : lakes.values()) {
            List<Double> cpu = lake.runs.stream().map(Run::cpu).toList();
            System.out.printf("  %-14s median %.2f  range %.2f-%.2f  (feeding %.2f, other threads %.2f, the rest %.2f "
                            + "of which JIT %.2f; %.0f MB/CPU-s); files %d a run; start (catalog, tables, warm-up) "
                            + "%.2f CPU-s%n", lake.name,
                    median(cpu), min(cpu), max(cpu), median(lake.runs.stream().map(Run::feedCpu).toList()),
                    median(lake.runs.stream().map(Run::threadsCpu).toList()),
                    median(lake.runs.stream().map(Run::jvmCpu).toList()),
                    median(lake.runs.stream().map(Run::jitSeconds).toList()), inputBytes / 1e6 / median(cpu),
                    lake.runs.get(lake.runs.size() - 1).files(), lake.startCpu);
        }
        for (Lake lake : lakes.values()) {
            if (lake == folders) {
                continue;
            }
            List<Double> ratios = new ArrayList<>();
            for (int i = 0; i < runs; i++) {
                ratios.add(lake.runs.get(i).cpu() / folders.runs.get(i).cpu());
            }
            System.out.printf("  %-14s / folders, round by round: median %.3f  range %.3f-%.3f  (goal <= 1.10)  %s%n",
                    lake.name, median(ratios), min(ratios), max(ratios), ratios.stream()
                            .map(r -> String.format("%.2f", r)).toList());
            Timer commits = lake.registry.get("lakehose.iceberg.commit.duration").timer();
            System.out.printf("  %-14s table commits: %d, p50 <= %.0f ms, p99 <= %.0f ms, max %.0f ms "
                            + "(histogram bucket bounds)%n", lake.name, commits.count(), percentileMillis(commits, 0.5),
                    percentileMillis(commits, 0.99), commits.max(TimeUnit.MILLISECONDS));
            System.out.printf("  %-14s newest metadata file per table: %s KB%n", lake.name, lake.metadataKilobytes());
            assertThat(commits.count()).isPositive();
        }
    }

    /** CPU seconds of one run: the whole JVM's, and the feeding thread's share. */
    /** @param jitSeconds the JIT compilers' time meanwhile (their own estimate, included in the rest) */
    private record Run(double cpu, double feedCpu, double threadsCpu, double jitSeconds, long files) {

        /** The rest: the JVM's own threads (GC, JIT) and Java threads that ended meanwhile. */
        double jvmCpu() {
            return cpu - feedCpu - threadsCpu;
        }
    }

    /** CPU time of the live Java threads (a thread that ended is not counted). */
    private static long javaThreadsCpu() {
        long sum = 0;
        for (long id : THREADS.getAllThreadIds()) {
            sum += Math.max(0, THREADS.getThreadCpuTime(id));
        }
        return sum;
    }

    /** One lake kept for every run: its committer, catalog and tables are made once. */
    private final class Lake {

        final String name;
        final String format;
        final int intervalSeconds;
        final List<Run> runs = new ArrayList<>();
        MeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
        double startCpu;
        Path dir;
        LakeCommitter committer;
        PipelineContext ctx;

        Lake(String format, int intervalSeconds) {
            this.format = format;
            this.intervalSeconds = intervalSeconds;
            this.name = intervalSeconds == 0 ? format : format + " " + intervalSeconds + " s";
        }

        void open() throws Exception {
            long cpu = OS.getProcessCpuTime();
            dir = Files.createDirectories(tmp.resolve(name.replace(' ', '-')));
            LakehoseConfig cfg = ConfigLoader.load(null, Map.of(), Map.of("lake.uri", dir.toString(),
                    "lake.format", format, "iceberg.catalog.type", "jdbc"));
            IcebergSettings s = cfg.iceberg();
            cfg = cfg.withIceberg(new IcebergSettings(s.catalogName(), LocalWarehouse.writerProperties(dir), "bench",
                    Duration.ofSeconds(Math.max(1, intervalSeconds)), s.partitionBy(), s.tableNames()));
            committer = Pipelines.convertCommitter(cfg, new LocalDirectoryStore(dir), "shardId-000000000000");
            committer.bindTo(registry);
            ctx = Pipelines.context(cfg, committer, Files.createDirectories(dir.resolve(".spool")),
                    RowEncoders.envelopeOnly(), new PipelineStats(), true);
            startCpu = (OS.getProcessCpuTime() - cpu) / 1e9;
        }

        /**
         * One lease of a new shard over {@code input}, fed on a thread named after the lake (a
         * profile tells the lakes apart by it).
         */
        void run(List<SourceRecord> input, int index) throws Exception {
            long filesBefore = dataFiles();
            System.gc();
            long cpu = OS.getProcessCpuTime();
            long threads = javaThreadsCpu();
            long jit = JIT.getTotalCompilationTime();
            // One feeding thread per shard, as KCL runs a processor per lease; the records dealt round robin.
            List<CompletableFuture<Long>> feeding = new ArrayList<>();
            List<Thread> feeders = new ArrayList<>();
            for (int k = 0; k < SHARDS; k++) {
                String shardId = String.format("shardId-%012d", index * 100 + k);
                List<SourceRecord> part = new ArrayList<>();
                for (int i = k; i < input.size(); i += SHARDS) {
                    part.add(input.get(i));
                }
                CompletableFuture<Long> fed = new CompletableFuture<>();
                feeding.add(fed);
                Thread feeder = new Thread(() -> {
                    try {
                        long start = THREADS.getCurrentThreadCpuTime();
                        feed(part, shardId);
                        fed.complete(THREADS.getCurrentThreadCpuTime() - start);
                    } catch (Throwable e) {
                        fed.completeExceptionally(e);
                    }
                }, "feed " + name + " " + k);
                feeders.add(feeder);
                feeder.start();
            }
            long feedCpu = 0;
            for (CompletableFuture<Long> fed : feeding) {
                feedCpu += fed.get(10, TimeUnit.MINUTES);
            }
            for (Thread feeder : feeders) {
                feeder.join();
            }
            long otherJava = javaThreadsCpu() - threads; // the feeders are gone: the upload and commit threads
            long all = OS.getProcessCpuTime() - cpu;
            runs.add(new Run(all / 1e9, feedCpu / 1e9, otherJava / 1e9, (JIT.getTotalCompilationTime() - jit) / 1e3,
                    dataFiles() - filesBefore));
        }

        private void feed(List<SourceRecord> input, String shardId) throws Exception {
            Barriers barriers = new Barriers(committer.openShard(shardId, false), intervalSeconds * RECORDS_PER_SECOND,
                    committer instanceof IcebergCommitter iceberg ? iceberg::commitSoon : () -> { });
            ShardPipeline shard = new ShardPipeline(shardId, ctx, barriers);
            int inBatch = 0;
            for (SourceRecord r : input) {
                shard.accept(SourceRecord.of(shardId, r.sequence(), r.arrivalMicros(), r.data()));
                barriers.accepted++;
                if (++inBatch == RECORDS_PER_SECOND) { // a second's batch, as KCL hands it over
                    inBatch = 0;
                    shard.sealIfCommitDue(); // (the worker's wall-clock sealExpired is years past these records)
                }
            }
            shard.flush().get(10, TimeUnit.MINUTES);
        }

        long dataFiles() throws Exception {
            try (Stream<Path> files = Files.walk(dir)) {
                return files.filter(p -> p.toString().endsWith(".parquet") && !p.toString().contains(".spool"))
                        .count();
            }
        }

        /** The size of each table's newest metadata file (each commit parses one: it grows with every snapshot). */
        Map<String, Long> metadataKilobytes() throws Exception {
            Map<String, Path> newest = new TreeMap<>();
            try (Stream<Path> files = Files.walk(dir)) {
                files.filter(p -> p.getFileName().toString().endsWith(".metadata.json")).forEach(p -> newest.merge(
                        p.getParent().getParent().getFileName().toString(), p, (a, b) -> version(a) > version(b) ? a : b));
            }
            Map<String, Long> out = new TreeMap<>();
            for (var e : newest.entrySet()) {
                out.put(e.getKey(), Files.size(e.getValue()) / 1024);
            }
            return out;
        }

        private static int version(Path metadataFile) {
            return Integer.parseInt(metadataFile.getFileName().toString().split("-", 2)[0]);
        }

        void close() {
            committer.close();
        }
    }

    /**
     * The shard's committer, with a barrier due every {@code every} records instead of by the
     * wall clock; after each, the commit thread is asked to commit at once.
     */
    private static final class Barriers implements ShardCommitter {

        private final ShardCommitter shard;
        private final int every;
        private final Runnable commitNow;
        int accepted;
        private int sealedAt;

        Barriers(ShardCommitter shard, int every, Runnable commitNow) {
            this.shard = shard;
            this.every = every;
            this.commitNow = commitNow;
        }

        @Override
        public Optional<String> tableNameConflict(String directory) {
            return shard.tableNameConflict(directory);
        }

        @Override
        public boolean isCommitted(String directory, SequenceNumber sequence) {
            return shard.isCommitted(directory, sequence);
        }

        @Override
        public CompletableFuture<Committed> commit(SealedFile file) throws InterruptedException {
            return shard.commit(file);
        }

        @Override
        public boolean sealDue() {
            return every > 0 && accepted - sealedAt >= every;
        }

        @Override
        public void sealed(SequenceNumber position) {
            sealedAt = accepted;
            shard.sealed(position);
            commitNow.run();
        }

        @Override
        public CompletableFuture<Void> flush() {
            return shard.flush();
        }

        @Override
        public void abandon() {
            shard.abandon();
        }
    }

    /** Change records of two tables, one shard at its write limit (stream time 1 ms apart), about 820 bytes each. */
    private static List<SourceRecord> records(int n) {
        List<SourceRecord> out = new ArrayList<>(n);
        String padding = "x".repeat(420);
        for (int i = 1; i <= n; i++) {
            long micros = T0 + (long) i * 1_000_000L / RECORDS_PER_SECOND;
            String json = "{\"awsRegion\":\"us-east-1\",\"eventID\":\"ev-" + i + "\",\"eventName\":\"MODIFY\","
                    + "\"userIdentity\":null,\"recordFormat\":\"application/json\",\"tableName\":\""
                    + (i % 3 == 0 ? "payments" : "orders") + "\",\"dynamodb\":{\"ApproximateCreationDateTime\":"
                    + micros / 1000 + ",\"Keys\":{\"id\":{\"N\":\"" + i + "\"}},\"NewImage\":{\"id\":{\"N\":\"" + i
                    + "\"},\"note\":{\"S\":\"" + padding + "\"},\"amount\":{\"N\":\"" + (i * 7 % 100_000) + ".25\"}},"
                    + "\"SizeBytes\":512,\"ApproximateCreationDateTimePrecision\":\"MILLISECOND\"},"
                    + "\"eventSource\":\"aws:dynamodb\"}";
            out.add(SourceRecord.of("shardId-000000000000", SequenceNumber.of(i), micros,
                    json.getBytes(StandardCharsets.UTF_8)));
        }
        return out;
    }
}
