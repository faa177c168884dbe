package io.lakehose.commit.iceberg;

import com.sun.management.OperatingSystemMXBean;
import io.lakehose.commit.LakeCommitter;
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
import io.micrometer.core.instrument.Timer;
import io.micrometer.core.instrument.distribution.CountAtBucket;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.EnabledIfSystemProperty;
import org.junit.jupiter.api.io.TempDir;

import java.lang.management.ManagementFactory;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * What the Iceberg adapter costs next to the folder layout, on the same records through the same
 * pipeline (one shard, local disk for both, the tables in a JDBC catalog on SQLite through
 * {@link LocalFileIO}, a commit every second): CPU seconds of the whole JVM per run (GC, JIT and
 * the commit thread included), alternated folders/iceberg, and the table commits' latency from
 * the adapter's own timer. Not a test: skipped unless {@code -Dlakehose.bench=true}, and its name
 * matches none of Surefire's includes. Run it with:
 *
 * <pre>
 * mvn -B -o test -Dtest=IcebergCommitBench -Dsurefire.failIfNoSpecifiedTests=false -Dlakehose.bench=true
 * </pre>
 *
 * Options: {@code lakehose.bench.records} (200,000 of about 700 bytes), {@code lakehose.bench.runs}
 * (5 of each, after one warm-up of each).
 */
@EnabledIfSystemProperty(named = "lakehose.bench", matches = "true")
class IcebergCommitBench {

    private static final long T0 = Instant.parse("2024-11-25T06:00:00Z").toEpochMilli() * 1000;
    private static final OperatingSystemMXBean OS =
            (OperatingSystemMXBean) ManagementFactory.getOperatingSystemMXBean();

    @TempDir
    Path tmp;

    @Test
    void icebergAgainstFolders() throws Exception {
        int records = Integer.getInteger("lakehose.bench.records", 200_000);
        int runs = Integer.getInteger("lakehose.bench.runs", 5);
        List<SourceRecord> input = records(records);
        long inputBytes = input.stream().mapToLong(SourceRecord::length).sum();
        SimpleMeterRegistry registry = new SimpleMeterRegistry();
        run("folders", input, -1, registry);
        run("iceberg", input, -1, registry); // warm-up of each
        registry = new SimpleMeterRegistry();
        List<Double> folders = new ArrayList<>();
        List<Double> iceberg = new ArrayList<>();
        for (int i = 0; i < runs; i++) {
            folders.add(run("folders", input, i, registry));
            iceberg.add(run("iceberg", input, i, registry));
        }
        System.out.printf("%n%,d records, %.1f MB of JSON per run; machine load %.2f; CPU-s per run (whole JVM):%n",
                records, inputBytes / 1e6, OS.getSystemLoadAverage());
        System.out.printf("  folders  median %.2f  range %.2f-%.2f  (%.0f MB/CPU-s)%n", median(folders),
                min(folders), max(folders), inputBytes / 1e6 / median(folders));
        System.out.printf("  iceberg  median %.2f  range %.2f-%.2f  (%.0f MB/CPU-s)%n", median(iceberg),
                min(iceberg), max(iceberg), inputBytes / 1e6 / median(iceberg));
        List<Double> ratios = new ArrayList<>();
        for (int i = 0; i < runs; i++) {
            ratios.add(iceberg.get(i) / folders.get(i));
        }
        System.out.printf("  iceberg / folders, run by run: median %.3f  range %.3f-%.3f  (goal <= 1.10)%n",
                median(ratios), min(ratios), max(ratios));
        Timer commits = registry.get("lakehose.iceberg.commit.duration").timer();
        System.out.printf("  table commits (SQLite catalog, local files): %d, p50 <= %.0f ms, p99 <= %.0f ms, max %.0f ms "
                + "(histogram bucket bounds)%n", commits.count(), percentile(commits, 0.5), percentile(commits, 0.99),
                commits.max(TimeUnit.MILLISECONDS));
        assertThat(commits.count()).isPositive();
    }

    /** One run into a fresh lake; returns the JVM's CPU seconds spent on it. */
    private double run(String format, List<SourceRecord> input, int index, SimpleMeterRegistry registry) throws Exception {
        Path lake = Files.createDirectories(tmp.resolve(format + "-" + index + "-" + System.nanoTime()));
        LakehoseConfig cfg = ConfigLoader.load(null, Map.of(), Map.of("lake.uri", lake.toString(),
                "lake.format", format, "iceberg.catalog.type", "jdbc", "iceberg.commitIntervalSeconds", "1"));
        IcebergSettings s = cfg.iceberg();
        cfg = cfg.withIceberg(new IcebergSettings(s.catalogName(), LocalWarehouse.writerProperties(lake), "bench",
                Duration.ofSeconds(1), s.partitionBy(), s.tableNames()));
        System.gc();
        long cpu = OS.getProcessCpuTime();
        try (LakeCommitter committer = Pipelines.convertCommitter(cfg, new LocalDirectoryStore(lake), "local-bench")) {
            committer.bindTo(registry);
            PipelineContext ctx = Pipelines.context(cfg, committer, Files.createDirectories(lake.resolve(".spool")),
                    RowEncoders.envelopeOnly(), new PipelineStats(), true);
            ShardPipeline shard = new ShardPipeline("shardId-000000000000", ctx,
                    committer.openShard("shardId-000000000000", false));
            for (SourceRecord r : input) {
                shard.accept(r);
            }
            shard.flush().get(10, TimeUnit.MINUTES);
        }
        return (OS.getProcessCpuTime() - cpu) / 1e9;
    }

    /** Change records of two tables over three hours, about 700 bytes each. */
    private static List<SourceRecord> records(int n) {
        List<SourceRecord> out = new ArrayList<>(n);
        String padding = "x".repeat(420);
        for (int i = 1; i <= n; i++) {
            long micros = T0 + (long) i * 10_800_000_000L / n;
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

    /** The upper bound of the histogram bucket holding the given quantile. */
    private static double percentile(Timer timer, double quantile) {
        CountAtBucket[] buckets = timer.takeSnapshot().histogramCounts();
        double wanted = quantile * timer.count();
        for (CountAtBucket b : buckets) {
            if (b.count() >= wanted) {
                return b.bucket(TimeUnit.MILLISECONDS);
            }
        }
        return timer.max(TimeUnit.MILLISECONDS);
    }

    private static double median(List<Double> xs) {
        List<Double> sorted = xs.stream().sorted().toList();
        int n = sorted.size();
        return n % 2 == 1 ? sorted.get(n / 2) : (sorted.get(n / 2 - 1) + sorted.get(n / 2)) / 2;
    }

    private static double min(List<Double> xs) {
        return xs.stream().mapToDouble(Double::doubleValue).min().orElse(0);
    }

    private static double max(List<Double> xs) {
        return xs.stream().mapToDouble(Double::doubleValue).max().orElse(0);
    }
}
