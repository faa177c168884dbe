package io.lakehose.backfill;

import com.sun.management.OperatingSystemMXBean;
import io.lakehose.config.ConfigLoader;
import io.lakehose.config.LakehoseConfig;
import io.lakehose.sink.LocalDirectoryStore;
import io.lakehose.testing.DynamoDbLocal;
import io.lakehose.testing.S3Emulator;
import io.lakehose.testing.TestTables;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.EnabledIfSystemProperty;
import org.junit.jupiter.api.io.TempDir;

import java.io.OutputStream;
import java.lang.management.ManagementFactory;
import java.lang.management.MemoryPoolMXBean;
import java.lang.management.MemoryType;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.zip.GZIPOutputStream;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Backfill figures. Not a test: skipped unless {@code -Dlakehose.bench=true}, and its name
 * matches none of Surefire's default includes, so CI never runs it:
 *
 * <pre>
 * mvn -B -pl service test -Dtest=BackfillBench -Dsurefire.failIfNoSpecifiedTests=false -Dlakehose.bench=true
 * </pre>
 *
 * <ol>
 *   <li>Export path, the pipeline alone: {@code lakehose.bench.items} (300,000) items of every
 *       attribute type, in 8 gzipped DYNAMODB_JSON files on local disk, into a local lake;
 *       items/s, MB/s of item JSON, CPU seconds, peak heap.</li>
 *   <li>Scan path against DynamoDB Local (100,000 small items, 8 segments, no rate limit): this
 *       is the emulator's speed, not DynamoDB's, printed for reference only.</li>
 * </ol>
 */
@EnabledIfSystemProperty(named = "lakehose.bench", matches = "true")
class BackfillBench {

    @TempDir
    Path dir;

    @Test
    void figures() throws Exception {
        int items = Integer.getInteger("lakehose.bench.items", 300_000);
        S3Emulator s3 = S3Emulator.start(); // dummy credentials for the in-process clients
        try (DynamoDbLocal ddb = DynamoDbLocal.start()) {
            Path export = dir.resolve("export/AWSDynamoDB/01700000000000-bench");
            long jsonBytes = writeExport(export, items, 8);
            LakehoseConfig cfg = ConfigLoader.load(Files.writeString(dir.resolve("c.yaml"),
                    "lake:\n  uri: \"" + dir.resolve("lake") + "\"\nhttp:\n  port: 0\nbackfill:\n  endpoint: \""
                            + ddb.endpoint() + "\"\n"), Map.of(), Map.of());
            int threads = Runtime.getRuntime().availableProcessors();
            Figures exportRun = measure(() -> new Backfill(cfg, new LocalDirectoryStore(dir.resolve("lake")),
                    Files.createDirectories(dir.resolve("spool")), new SimpleMeterRegistry(), BackfillScanTest.quiet())
                    .run(new Backfill.Options("bench", 1, Optional.empty(), false, threads, Optional.of(export.toString()),
                            false, Duration.ofSeconds(60), List.of("id"))));

            TestTables.create(ddb.client(), "scanbench", false);
            TestTables.load(ddb.client(), "scanbench", 0, 100_000, TestTables::smallItem);
            Figures scanRun = measure(() -> new Backfill(cfg, new LocalDirectoryStore(dir.resolve("lake")),
                    Files.createDirectories(dir.resolve("spool2")), new SimpleMeterRegistry(), BackfillScanTest.quiet())
                    .run(new Backfill.Options("scanbench", 8, Optional.of("1000000"), false, 4, Optional.empty(),
                            false, Duration.ofSeconds(60), List.of())));

            System.out.printf("%nbackfill bench, %d cores, java %s%n", threads, System.getProperty("java.version"));
            System.out.printf("export  %,9d items  %6.1f s  %,8.0f items/s  %6.1f MB/s item JSON  %6.1f CPU-s  "
                            + "%6.1f MB/CPU-s  heap peak %,d MB%n", exportRun.result.items(), exportRun.seconds,
                    exportRun.result.items() / exportRun.seconds, jsonBytes / 1e6 / exportRun.seconds, exportRun.cpuSeconds,
                    jsonBytes / 1e6 / exportRun.cpuSeconds, exportRun.heapPeak >> 20);
            System.out.printf("scan    %,9d items  %6.1f s  %,8.0f items/s  (DynamoDB Local, emulator-bound)  "
                            + "%6.1f CPU-s  heap peak %,d MB%n", scanRun.result.items(), scanRun.seconds,
                    scanRun.result.items() / scanRun.seconds, scanRun.cpuSeconds, scanRun.heapPeak >> 20);
            assertThat(exportRun.result.items()).isEqualTo(items);
            assertThat(scanRun.result.items()).isEqualTo(100_000);
        } finally {
            s3.close();
        }
    }

    record Figures(Backfill.Result result, double seconds, double cpuSeconds, long heapPeak) {
    }

    interface Body {
        Backfill.Result run() throws Exception;
    }

    private static Figures measure(Body body) throws Exception {
        System.gc();
        List<MemoryPoolMXBean> heap = ManagementFactory.getMemoryPoolMXBeans().stream()
                .filter(p -> p.getType() == MemoryType.HEAP).toList();
        heap.forEach(MemoryPoolMXBean::resetPeakUsage);
        var os = (OperatingSystemMXBean) ManagementFactory.getOperatingSystemMXBean();
        long cpu0 = os.getProcessCpuTime();
        long t0 = System.nanoTime();
        Backfill.Result r = body.run();
        double seconds = (System.nanoTime() - t0) / 1e9;
        double cpu = (os.getProcessCpuTime() - cpu0) / 1e9;
        long peak = heap.stream().mapToLong(p -> p.getPeakUsage().getUsed()).sum();
        return new Figures(r, seconds, cpu, peak);
    }

    /** An export of items 0..n-1 in {@code files} gzipped data files; returns the bytes of item JSON. */
    private static long writeExport(Path export, int n, int files) throws Exception {
        Files.createDirectories(export.resolve("data"));
        AttributeValueJson json = new AttributeValueJson();
        StringBuilder manifest = new StringBuilder();
        long bytes = 0;
        for (int f = 0; f < files; f++) {
            String key = "bench/AWSDynamoDB/01700000000000-bench/data/part" + f + ".json.gz";
            try (OutputStream out = new GZIPOutputStream(Files.newOutputStream(export.resolve("data/part" + f + ".json.gz")),
                    1 << 16)) {
                for (int i = f; i < n; i += files) {
                    byte[] item = json.typed(TestTables.item(i));
                    bytes += item.length;
                    out.write("{\"Item\":".getBytes(StandardCharsets.UTF_8));
                    out.write(item);
                    out.write("}\n".getBytes(StandardCharsets.UTF_8));
                }
            }
            manifest.append("{\"itemCount\":0,\"dataFileS3Key\":\"").append(key).append("\"}\n");
        }
        Files.writeString(export.resolve("manifest-files.json"), manifest);
        Files.writeString(export.resolve("manifest-summary.json"), "{\"exportArn\":\"arn:aws:dynamodb:us-east-1:1:table/"
                + "bench/export/01700000000000-bench\",\"exportTime\":\"2026-11-20T07:28:34.028Z\",\"itemCount\":" + n
                + ",\"outputFormat\":\"DYNAMODB_JSON\",\"manifestFilesS3Key\":\"bench/AWSDynamoDB/01700000000000-bench/"
                + "manifest-files.json\"}");
        return bytes;
    }
}
