package io.lakehose.kcl;

import io.lakehose.commit.folders.ObjectNames;
import io.lakehose.testing.Await;
import io.lakehose.testing.EmulatorAccess;
import com.sun.management.GarbageCollectionNotificationInfo;
import io.lakehose.config.LakehoseConfig;
import io.lakehose.decode.SequenceNumber;
import io.lakehose.encode.RowEncoders;
import io.lakehose.pipeline.PipelineContext;
import io.lakehose.pipeline.PipelineStats;
import io.lakehose.pipeline.Pipelines;
import io.lakehose.sink.S3ObjectStore;
import io.lakehose.testing.LeaseTableSeeder;
import io.lakehose.testing.LocalAwsStack;
import io.lakehose.testing.WorkerHarness;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.EnabledIfSystemProperty;
import org.junit.jupiter.api.io.TempDir;
import software.amazon.awssdk.core.SdkBytes;
import software.amazon.awssdk.regions.Region;
import software.amazon.awssdk.services.kinesis.KinesisAsyncClient;
import software.amazon.awssdk.services.kinesis.model.GetRecordsResponse;
import software.amazon.awssdk.services.kinesis.model.PutRecordResponse;
import software.amazon.awssdk.services.kinesis.model.Record;
import software.amazon.awssdk.services.kinesis.model.Shard;
import software.amazon.awssdk.services.kinesis.model.ShardIteratorType;
import software.amazon.awssdk.services.s3.model.S3Object;
import software.amazon.kinesis.common.KinesisClientUtil;

import javax.management.NotificationEmitter;
import javax.management.NotificationListener;
import javax.management.openmbean.CompositeData;
import java.io.IOException;
import java.lang.management.GarbageCollectorMXBean;
import java.lang.management.ManagementFactory;
import java.lang.management.MemoryPoolMXBean;
import java.lang.management.MemoryType;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Optional;
import java.util.Locale;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * End-to-end figures of one worker against the local stack (kinesis-local, DynamoDB Local,
 * S3Proxy), 4 shards. Not a test: it is skipped unless {@code -Dlakehose.bench=true}, and its
 * name matches none of Surefire's default includes, so CI never runs it. Run it with:
 *
 * <pre>
 * cd /work/main &amp;&amp; mvn -B test -Dlakehose.buildDir=/tmp/bench -Dtest=WorkerEndToEndBench \
 *     -Dsurefire.failIfNoSpecifiedTests=false -Dlakehose.bench=true
 * </pre>
 *
 * Options (system properties): {@code lakehose.bench.records} (20000), {@code lakehose.bench.samples}
 * (20), {@code lakehose.bench.xmx} (512m, the child worker's heap), {@code lakehose.bench.keepDir}
 * (copy the child worker's log and GC log there). About 3 minutes on 2 cores. The figures move
 * with the machine's load (printed in the header): kinesis-local is one Node process on the same
 * cores, and S3Proxy and DynamoDB Local run inside the test JVM.
 *
 * <p>What it measures, printed as one table at the end:
 * <ol>
 *   <li>Drain of {@code records} ~700-byte change records put beforehand: (a) a bare SDK
 *       GetRecords loop, one thread per shard, no pause between calls: the emulator's ceiling;
 *       (b) an in-process {@link KinesisWorker}, twice (cold JIT, then warm), each as a new
 *       application: from the first lease taken (when KCL starts fetching) to the last object
 *       uploaded, which is the sustained rate; from the first record consumed to the last one,
 *       which is lakehose (and KCL's delivery) alone, since KCL's prefetcher has fetched the
 *       records by then; (c) a worker in a child JVM ({@code io.lakehose.cli.Main run} on the
 *       test classpath), for its heap.</li>
 *   <li>Put-to-visible latency: on a quiet stream, with {@code buffer.maxAgeSeconds=1} and
 *       {@code idleTimeBetweenReadsMillis=200}, single PutRecord calls one at a time, each timed
 *       until an object whose name covers its sequence number is listed in S3, and until the
 *       worker has consumed it.</li>
 *   <li>Heap: (a) in the test JVM during the cold drain: the peak used heap (pool peaks, reset
 *       before) and the highest heap left after a GC; S3Proxy and DynamoDB Local share that heap,
 *       so these are upper bounds; (b) the child JVM ({@code -Xmx512m}) from its GC log: the
 *       highest heap before and after any GC (after a young GC, old-generation garbage is still
 *       counted), and its peak RSS.</li>
 * </ol>
 */
@EnabledIfSystemProperty(named = "lakehose.bench", matches = "true")
class WorkerEndToEndBench {

    private static final int SHARDS = 4;
    private static final int RECORDS = Integer.getInteger("lakehose.bench.records", 20_000);
    private static final int SAMPLES = Integer.getInteger("lakehose.bench.samples", 20);
    private static final String CHILD_XMX = System.getProperty("lakehose.bench.xmx", "512m");
    private static final int RECORD_BYTES = 700;
    private static final double MB = 1_000_000.0;

    /** Worker settings of the drains: the production GetRecords size, the shortest allowed pause. */
    private static final Map<String, String> DRAIN_CONFIG = Map.of(
            "kinesis.maxRecords", "10000",
            "kinesis.idleTimeBetweenReadsMillis", "200",
            "buffer.maxRecords", "5000",
            "buffer.maxAgeSeconds", "2",
            "kinesis.checkpointIntervalSeconds", "1");

    @TempDir
    Path tmp;

    private final List<String[]> table = new ArrayList<>();
    private final String loadAtStart = loadAverage();

    @Test
    void measure() throws Exception {
        try (LocalAwsStack stack = LocalAwsStack.start()) {
            // Each drain below is a new application (its own lease table and lake prefix) over this stream.
            WorkerHarness drain = new WorkerHarness(stack, "bench-drain", SHARDS);
            List<byte[]> records = new ArrayList<>(RECORDS);
            long inputBytes = 0;
            Instant t0 = Instant.parse("2024-11-25T07:30:00Z");
            for (int i = 0; i < RECORDS; i++) {
                byte[] r = change(i, t0.plusMillis(i * 50L));
                records.add(r);
                inputBytes += r.length;
            }
            long putStart = System.nanoTime();
            List<String> put = drain.put(records);
            double putSeconds = seconds(putStart);
            row("prefill: PutRecords (batches of 500)", RECORDS + " records, mean " + inputBytes / RECORDS + " B",
                    rate(RECORDS, inputBytes, putSeconds));

            rawDrain(stack, drain.stream(), put, 10_000, false);
            rawDrain(stack, drain.stream(), put, 1_000, false);
            rawDrain(stack, drain.stream(), put, 10_000, true);
            inProcessDrain(stack, drain, put, inputBytes, "(cold JVM)", "lakehose-bench-cold", true);
            inProcessDrain(stack, drain, put, inputBytes, "(warm JVM)", "lakehose-bench-warm", false);
            childProcessDrain(stack, drain, put, inputBytes);
            latency(stack);
        }
        print();
    }

    /**
     * The emulator's ceiling: GetRecords as fast as it answers, one thread per shard, with the
     * test's HTTP/1.1 client or ({@code likeKcl}) an HTTP/2 client built as the worker builds its
     * own ({@link KinesisClientUtil}), which multiplexes every shard over one connection.
     */
    private void rawDrain(LocalAwsStack stack, String stream, List<String> put, int limit, boolean likeKcl)
            throws Exception {
        Map<String, Long> expected = new HashMap<>();
        put.forEach(p -> expected.merge(p.split("/")[0], 1L, Long::sum));
        List<Shard> shards = stack.kinesis().client().listShards(b -> b.streamName(stream)).get().shards();
        AtomicLong calls = new AtomicLong();
        AtomicLong callNanos = new AtomicLong();
        AtomicLong bytes = new AtomicLong();
        ExecutorService pool = Executors.newFixedThreadPool(shards.size());
        try (KinesisAsyncClient kinesis = likeKcl
                ? KinesisClientUtil.createKinesisAsyncClient(KinesisAsyncClient.builder()
                        .endpointOverride(stack.kinesis().endpoint()).region(Region.US_EAST_1)
                        .credentialsProvider(EmulatorAccess.credentials()))
                : stack.kinesis().newClient()) {
            long start = System.nanoTime();
            List<Future<Long>> perShard = new ArrayList<>();
            for (Shard shard : shards) {
                perShard.add(pool.submit(() -> {
                    String it = kinesis.getShardIterator(b -> b.streamName(stream).shardId(shard.shardId())
                            .shardIteratorType(ShardIteratorType.TRIM_HORIZON)).get().shardIterator();
                    long n = 0;
                    long want = expected.getOrDefault(shard.shardId(), 0L);
                    while (n < want) {
                        String from = it;
                        long c0 = System.nanoTime();
                        GetRecordsResponse r = kinesis.getRecords(b -> b.shardIterator(from).limit(limit)).get();
                        callNanos.addAndGet(System.nanoTime() - c0);
                        calls.incrementAndGet();
                        for (Record rec : r.records()) {
                            bytes.addAndGet(rec.data().asByteArray().length);
                        }
                        n += r.records().size();
                        it = r.nextShardIterator();
                    }
                    return n;
                }));
            }
            long total = 0;
            for (Future<Long> f : perShard) {
                total += f.get(300, TimeUnit.SECONDS);
            }
            double s = seconds(start);
            assertThat(total).isEqualTo(put.size());
            row("drain: raw SDK GetRecords, limit " + limit + ", " + (likeKcl ? "HTTP/2 as KCL" : "HTTP/1.1") + ", no pause",
                    String.format(Locale.ROOT, "%d calls, mean %.0f ms/call", calls.get(),
                            callNanos.get() / 1e6 / calls.get()),
                    rate(total, bytes.get(), s));
        } finally {
            pool.shutdownNow();
        }
    }

    /**
     * One in-process worker drains the pre-filled stream, as a new application (its own lease
     * table and lake prefix) so that the same records can be drained again. Reading starts when
     * the first lease is taken: KCL's prefetcher then fetches in the background, so records are
     * already in memory when processRecords sees the first of them.
     */
    private void inProcessDrain(LocalAwsStack stack, WorkerHarness h, List<String> put, long inputBytes, String label,
                                String application, boolean watchHeap) throws Exception {
        LeaseTableSeeder.seed(stack.dynamoDb().client(), application, stack.kinesis().client(), h.stream(),
                LeaseTableSeeder.StartAt.TRIM_HORIZON);
        Map<String, String> extra = new HashMap<>(DRAIN_CONFIG);
        extra.put("kinesis.applicationName", application);
        extra.put("lake.uri", "s3://" + stack.s3().bucket() + "/" + application);
        extra.put("lake.errorPrefix", application + "-errors");
        LakehoseConfig cfg = h.loadConfig(extra);
        PipelineStats stats = PipelineStats.listingStoredObjects(); // uploaded() sums its objects
        HeapWatch heap = watchHeap ? HeapWatch.start() : null;
        long start;
        long leased = 0;
        long first = 0;
        long lastConsumed = 0;
        long lastUploaded = 0;
        try (S3ObjectStore store = new S3ObjectStore(cfg.s3Settings(stack.s3().bucket()))) {
            PipelineContext ctx = Pipelines.context(cfg, store, Files.createDirectories(tmp.resolve("spool-" + application)),
                    RowEncoders.envelopeOnly(), stats, false);
            KinesisWorker worker = new KinesisWorker(cfg, ctx, Clock.systemUTC());
            start = System.nanoTime();
            CompletableFuture<Integer> run = WorkerHarness.runAsync(worker);
            long deadline = start + TimeUnit.SECONDS.toNanos(300);
            try {
                while (lastUploaded == 0 && System.nanoTime() < deadline) {
                    long now = System.nanoTime();
                    if (leased == 0 && worker.leases().held() > 0) {
                        leased = now;
                    }
                    long consumed = stats.records.sum();
                    if (first == 0 && consumed > 0) {
                        first = now;
                    }
                    if (lastConsumed == 0 && consumed >= put.size()) {
                        lastConsumed = now;
                    }
                    if (uploaded(stats) >= put.size()) {
                        lastUploaded = now;
                    }
                    Thread.sleep(2);
                }
            } finally {
                worker.shutdown();
                run.get(60, TimeUnit.SECONDS);
            }
        }
        assertThat(lastUploaded).as("every record uploaded within 300 s").isPositive();
        assertThat(stats.rows.sum()).isEqualTo(put.size());
        row("drain: worker " + label + ", start to first lease / first record consumed",
                String.format(Locale.ROOT, "%.1f s / %.1f s", (leased - start) / 1e9, (first - start) / 1e9), "");
        row("drain: worker " + label + ", first lease to last uploaded (sustained)",
                stats.dataFiles.sum() + " files, " + String.format(Locale.ROOT, "%.1f MB parquet", stats.outputBytes.sum() / MB),
                rate(put.size(), inputBytes, (lastUploaded - leased) / 1e9));
        row("drain: worker " + label + ", first consumed to last uploaded", "",
                rate(put.size(), inputBytes, (lastUploaded - first) / 1e9));
        row("drain: worker " + label + ", first to last consumed (prefetched)", "",
                rate(put.size(), inputBytes, (lastConsumed - first) / 1e9));
        if (heap != null) {
            HeapWatch.Result r = heap.stop();
            row("heap (test JVM, with S3Proxy + DynamoDB Local): before drain, after GC", mb(r.baselineAfterGc()), "");
            row("heap (test JVM): peak used during drain (sum of pool peaks)", mb(r.peakUsed()), "-Xmx " + mb(r.max()));
            row("heap (test JVM): highest after a GC during drain", mb(r.maxAfterGc()), r.gcs() + " GCs");
        }
    }

    /** The same drain by a worker in its own JVM with a GC log: the worker's heap alone. */
    private void childProcessDrain(LocalAwsStack stack, WorkerHarness h, List<String> put, long inputBytes)
            throws Exception {
        String application = "lakehose-bench-child";
        LeaseTableSeeder.seed(stack.dynamoDb().client(), application, stack.kinesis().client(), h.stream(),
                LeaseTableSeeder.StartAt.TRIM_HORIZON);
        Map<String, String> extra = new HashMap<>(DRAIN_CONFIG);
        extra.put("kinesis.applicationName", application);
        extra.put("lake.uri", "s3://" + stack.s3().bucket() + "/" + application);
        extra.put("lake.errorPrefix", application + "-errors");
        Path dir = Files.createDirectories(tmp.resolve("child"));
        Path yaml = h.writeConfig(dir.resolve("worker.yaml"), extra);
        Path gcLog = dir.resolve("gc.log");
        Path log = dir.resolve("worker.log");
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        ProcessBuilder pb = new ProcessBuilder(java, "-Xmx" + CHILD_XMX, "-Xlog:gc:file=" + gcLog,
                "-cp", System.getProperty("java.class.path"), "io.lakehose.cli.Main", "run", "--config", yaml.toString())
                .redirectErrorStream(true).redirectOutput(log.toFile());
        pb.environment().keySet().removeIf(k -> k.startsWith("LAKEHOSE_") || k.startsWith("AWS_"));
        pb.environment().putAll(WorkerHarness.processEnvironment());
        pb.environment().put("LAKEHOSE_BUFFER_SPOOL_DIR", Files.createDirectories(dir.resolve("spool")).toString());
        Map<String, String> expected = WorkerHarness.lastSequenceByShard(put);
        long start = System.nanoTime();
        Process p = pb.start();
        long leased = 0;
        long lastObject = 0;
        int objects = 0;
        long done = 0;
        long hwmKb = 0;
        try {
            long deadline = start + TimeUnit.SECONDS.toNanos(300);
            // Poll gently: S3Proxy and DynamoDB Local run in this JVM, on the cores the child uses.
            for (int tick = 0; done == 0 && System.nanoTime() < deadline && p.isAlive(); tick++) {
                if (leased == 0 && Files.readString(log).contains("lease taken")) {
                    leased = System.nanoTime();
                }
                if (leased != 0) {
                    int n = stack.s3().client().listObjectsV2(b -> b.bucket(stack.s3().bucket())
                            .prefix(application + "/")).keyCount();
                    if (n > objects) {
                        objects = n;
                        lastObject = System.nanoTime();
                    }
                }
                if (objects > 0 && tick % 5 == 0) {
                    Map<String, String> checkpoints = new HashMap<>();
                    LeaseTableSeeder.leases(stack.dynamoDb().client(), application)
                            .forEach((k, v) -> checkpoints.put(k, v.get("checkpoint").s()));
                    if (checkpoints.equals(expected)) {
                        done = System.nanoTime();
                    }
                }
                Thread.sleep(50);
            }
            hwmKb = procStatusKb(p.pid(), "VmHWM");
        } finally {
            p.destroy(); // SIGTERM: graceful stop
            if (!p.waitFor(60, TimeUnit.SECONDS)) {
                p.destroyForcibly();
            }
        }
        assertThat(done).as("child worker checkpointed every shard's last record; log:\n" + tail(log)).isPositive();
        String keep = System.getProperty("lakehose.bench.keepDir");
        if (keep != null) {
            Path to = Files.createDirectories(Path.of(keep));
            Files.copy(log, to.resolve("child-worker.log"), StandardCopyOption.REPLACE_EXISTING);
            Files.copy(gcLog, to.resolve("child-gc.log"), StandardCopyOption.REPLACE_EXISTING);
        }
        GcLog gc = GcLog.parse(gcLog);
        row("drain: child JVM worker, start to first lease", String.format(Locale.ROOT, "%.1f s", (leased - start) / 1e9), "");
        row("drain: child JVM worker, first lease to last object listed", objects + " objects",
                rate(put.size(), inputBytes, (lastObject - leased) / 1e9));
        row("heap (child JVM -Xmx" + CHILD_XMX + "): highest used before a GC", gc.maxBeforeMb() + " MB",
                gc.count() + " GCs, committed up to " + gc.maxCommittedMb() + " MB");
        row("heap (child JVM): highest left after a GC", gc.maxAfterMb() + " MB", "");
        row("child JVM peak RSS (VmHWM)", hwmKb / 1024 + " MB", "exit code " + p.exitValue());
    }

    /** Put-to-visible latency of single records on an otherwise quiet stream. */
    private void latency(LocalAwsStack stack) throws Exception {
        WorkerHarness h = new WorkerHarness(stack, "bench-latency", SHARDS);
        LakehoseConfig cfg = h.loadConfig(Map.of("buffer.maxAgeSeconds", "1", "kinesis.idleTimeBetweenReadsMillis", "200",
                "kinesis.checkpointIntervalSeconds", "1"));
        PipelineStats stats = new PipelineStats();
        List<Double> putMs = new ArrayList<>();
        List<Double> consumedMs = new ArrayList<>();
        List<Double> visibleMs = new ArrayList<>();
        Random random = new Random(42);
        try (S3ObjectStore store = new S3ObjectStore(cfg.s3Settings(stack.s3().bucket()))) {
            PipelineContext ctx = Pipelines.context(cfg, store, Files.createDirectories(tmp.resolve("spool-latency")),
                    RowEncoders.envelopeOnly(), stats, false);
            KinesisWorker worker = new KinesisWorker(cfg, ctx, Clock.systemUTC());
            CompletableFuture<Integer> run = WorkerHarness.runAsync(worker);
            try {
                Await.until("every lease held", Duration.ofSeconds(60), Duration.ofMillis(50),
                        () -> worker.leases().held() >= SHARDS);
                assertThat(worker.leases().held()).as("leases held").isEqualTo(SHARDS);
                Thread.sleep(1_000);
                for (int i = -2; i < SAMPLES; i++) { // two warm-up samples
                    long before = stats.records.sum();
                    long t0 = System.nanoTime();
                    byte[] data = change(1_000_000 + i, Instant.now());
                    String key = "latency-" + i;
                    PutRecordResponse r = stack.kinesis().client().putRecord(b -> b.streamName(h.stream())
                            .partitionKey(key).data(SdkBytes.fromByteArray(data))).get();
                    long tPut = System.nanoTime();
                    SequenceNumber seq = new SequenceNumber(r.sequenceNumber(), 0);
                    long tConsumed = 0;
                    long tVisible = 0;
                    long sampleDeadline = t0 + TimeUnit.SECONDS.toNanos(30);
                    while (tVisible == 0 && System.nanoTime() < sampleDeadline) {
                        if (tConsumed == 0 && stats.records.sum() > before) {
                            tConsumed = System.nanoTime();
                        }
                        for (S3Object o : stack.s3().client().listObjectsV2Paginator(b -> b.bucket(stack.s3().bucket())
                                .prefix(h.stream() + "/")).contents()) {
                            // A name gives the first record of an object; its metadata the last.
                            String dir = o.key().substring(0, o.key().lastIndexOf('/'));
                            Optional<SequenceNumber> start = new ObjectNames(h.stream(), r.shardId()).startOf(dir, o.key());
                            if (start.isPresent() && start.get().compareTo(seq) <= 0 && seq.compareTo(SequenceNumber.parse(
                                    stack.s3().client().headObject(b -> b.bucket(stack.s3().bucket()).key(o.key()))
                                            .metadata().get("lakehose-last"))) <= 0) {
                                tVisible = System.nanoTime();
                                break;
                            }
                        }
                        Thread.sleep(5);
                    }
                    assertThat(tVisible).as("sample %d visible within 30 s", i).isPositive();
                    if (i >= 0) {
                        putMs.add((tPut - t0) / 1e6);
                        consumedMs.add(((tConsumed == 0 ? tVisible : tConsumed) - t0) / 1e6);
                        visibleMs.add((tVisible - t0) / 1e6);
                    }
                    Thread.sleep(200 + random.nextInt(600)); // off the phase of polls and age checks
                }
            } finally {
                worker.shutdown();
                run.get(60, TimeUnit.SECONDS);
            }
        }
        row("latency: PutRecord call (" + SAMPLES + " samples)", percentiles(putMs), "");
        row("latency: PutRecord to consumed by the worker", percentiles(consumedMs), "");
        row("latency: PutRecord to object listed in S3 (maxAge 1 s, poll 200 ms)", percentiles(visibleMs), "");
    }

    // ---------------------------------------------------------------------------------------------

    /**
     * An INSERT/MODIFY/REMOVE change (30/60/10 %) like {@link WorkerHarness#change}, with old and
     * new images and a note attribute that pads it to {@value #RECORD_BYTES} bytes (a MODIFY, with
     * both images, is about 720).
     */
    static byte[] change(long id, Instant eventTime) {
        String event = id % 10 < 3 ? "INSERT" : id % 10 < 9 ? "MODIFY" : "REMOVE";
        String image = "{\"id\":{\"N\":\"" + id + "\"},\"status\":{\"S\":\"s" + (id % 7) + "\"},"
                + "\"amount\":{\"N\":\"" + id + ".25\"},\"customer\":{\"S\":\"customer-" + (id * 7919 % 100_000) + "\"},"
                + "\"tags\":{\"SS\":[\"a" + (id % 5) + "\",\"b" + (id % 3) + "\"]},"
                + "\"address\":{\"M\":{\"city\":{\"S\":\"Berlin\"},\"zip\":{\"S\":\"" + (10_000 + id % 90_000) + "\"}}}";
        String prefix = "{\"awsRegion\":\"us-east-1\",\"eventID\":\"evt-" + id + "\",\"eventName\":\"" + event + "\","
                + "\"userIdentity\":null,\"recordFormat\":\"application/json\",\"tableName\":\"orders\",\"dynamodb\":{"
                + "\"ApproximateCreationDateTime\":" + eventTime.toEpochMilli() + ","
                + "\"ApproximateCreationDateTimePrecision\":\"MILLISECOND\",\"Keys\":{\"id\":{\"N\":\"" + id + "\"}},";
        String newImage = event.equals("REMOVE") ? "" : "\"NewImage\":" + image + ",\"note\":{\"S\":\"";
        String oldImage = event.equals("INSERT") ? "" : "\"OldImage\":" + image + "},";
        String suffix = "\"SizeBytes\":" + (200 + id % 300) + "},\"eventSource\":\"aws:dynamodb\"}";
        // The note is the NewImage's last attribute (or the OldImage's, for a REMOVE) and pads the record.
        String head;
        String tail;
        if (event.equals("REMOVE")) {
            head = prefix + "\"OldImage\":" + image + ",\"note\":{\"S\":\"";
            tail = "\"}}," + suffix;
        } else {
            head = prefix + newImage;
            tail = "\"}}," + oldImage + suffix;
        }
        int pad = Math.max(0, RECORD_BYTES - head.length() - tail.length());
        StringBuilder note = new StringBuilder(pad);
        for (int i = 0; i < pad; i++) {
            note.append((char) ('a' + (id + i) % 26));
        }
        return (head + note + tail).getBytes(StandardCharsets.UTF_8);
    }

    private static long uploaded(PipelineStats stats) {
        long n = 0;
        for (long records : stats.storedObjects().values()) {
            n += records;
        }
        return n;
    }

    private static double seconds(long startNanos) {
        return (System.nanoTime() - startNanos) / 1e9;
    }

    private static String rate(long records, long bytes, double seconds) {
        return String.format(Locale.ROOT, "%.1f s: %,.0f records/s, %.2f MB/s", seconds, records / seconds,
                bytes / MB / seconds);
    }

    private static String mb(long bytes) {
        return bytes / (1024 * 1024) + " MB";
    }

    private static String percentiles(List<Double> ms) {
        List<Double> sorted = new ArrayList<>(ms);
        sorted.sort(Double::compare);
        return String.format(Locale.ROOT, "p50 %.0f ms, p95 %.0f ms", pct(sorted, 50), pct(sorted, 95));
    }

    /** Nearest-rank percentile of a sorted list. */
    private static double pct(List<Double> sorted, int p) {
        int rank = (int) Math.ceil(p / 100.0 * sorted.size());
        return sorted.get(Math.max(0, Math.min(sorted.size() - 1, rank - 1)));
    }

    private void row(String what, String detail, String figure) {
        table.add(new String[] {what, detail, figure});
    }

    private void print() {
        int w0 = table.stream().mapToInt(r -> r[0].length()).max().orElse(10);
        int w1 = table.stream().mapToInt(r -> r[1].length()).max().orElse(10);
        StringBuilder out = new StringBuilder(String.format(Locale.ROOT,
                "%nlakehose worker end-to-end bench: %d shards, %d records of ~%d B, %d latency samples, %d cores, "
                        + "java %s, load average at start %s, at end %s%n",
                SHARDS, RECORDS, RECORD_BYTES, SAMPLES, Runtime.getRuntime().availableProcessors(),
                System.getProperty("java.version"), loadAtStart, loadAverage()));
        for (String[] r : table) {
            out.append(String.format(Locale.ROOT, "  %-" + w0 + "s | %-" + w1 + "s | %s%n", r[0], r[1], r[2]));
        }
        System.out.println(out);
    }

    /** The 1-minute load average, or "?" where /proc is missing. */
    private static String loadAverage() {
        try {
            return Files.readString(Path.of("/proc/loadavg")).split(" ")[0];
        } catch (IOException | RuntimeException e) {
            return "?";
        }
    }

    private static long procStatusKb(long pid, String field) {
        try {
            for (String line : Files.readAllLines(Path.of("/proc/" + pid + "/status"))) {
                if (line.startsWith(field + ":")) {
                    return Long.parseLong(line.replaceAll("[^0-9]", ""));
                }
            }
        } catch (IOException | NumberFormatException notLinux) {
            // no /proc: report 0
        }
        return 0;
    }

    private static String tail(Path log) {
        try {
            List<String> lines = Files.readAllLines(log);
            return String.join("\n", lines.subList(Math.max(0, lines.size() - 40), lines.size()));
        } catch (IOException e) {
            return "(no log: " + e.getMessage() + ")";
        }
    }

    /** {@code -Xlog:gc} lines such as {@code GC(3) Pause Young (Normal) (G1 Evacuation Pause) 45M->12M(256M) 3.456ms}. */
    private record GcLog(int count, long maxBeforeMb, long maxAfterMb, long maxCommittedMb) {
        private static final Pattern SIZES = Pattern.compile("(\\d+)M->(\\d+)M\\((\\d+)M\\)");

        static GcLog parse(Path file) throws IOException {
            int count = 0;
            long before = 0;
            long after = 0;
            long committed = 0;
            for (String line : Files.readAllLines(file)) {
                Matcher m = SIZES.matcher(line);
                if (m.find()) {
                    count++;
                    before = Math.max(before, Long.parseLong(m.group(1)));
                    after = Math.max(after, Long.parseLong(m.group(2)));
                    committed = Math.max(committed, Long.parseLong(m.group(3)));
                }
            }
            return new GcLog(count, before, after, committed);
        }
    }

    /** Heap of this JVM: pool peaks reset at start, and the heap left after each GC. */
    private static final class HeapWatch {
        private final List<MemoryPoolMXBean> pools;
        private final long baseline;
        private final AtomicLong maxAfterGc = new AtomicLong();
        private final AtomicLong gcs = new AtomicLong();
        private final NotificationListener listener;

        record Result(long baselineAfterGc, long peakUsed, long maxAfterGc, long gcs, long max) {
        }

        private HeapWatch() {
            System.gc();
            this.baseline = ManagementFactory.getMemoryMXBean().getHeapMemoryUsage().getUsed();
            this.pools = ManagementFactory.getMemoryPoolMXBeans().stream()
                    .filter(p -> p.getType() == MemoryType.HEAP).toList();
            pools.forEach(MemoryPoolMXBean::resetPeakUsage);
            this.listener = (notification, handback) -> {
                if (GarbageCollectionNotificationInfo.GARBAGE_COLLECTION_NOTIFICATION.equals(notification.getType())) {
                    GarbageCollectionNotificationInfo info =
                            GarbageCollectionNotificationInfo.from((CompositeData) notification.getUserData());
                    long used = 0;
                    for (var e : info.getGcInfo().getMemoryUsageAfterGc().entrySet()) {
                        if (isHeapPool(e.getKey())) { // the map has non-heap pools (metaspace...) too
                            used += e.getValue().getUsed();
                        }
                    }
                    gcs.incrementAndGet();
                    maxAfterGc.accumulateAndGet(used, Math::max);
                }
            };
            for (GarbageCollectorMXBean gc : ManagementFactory.getGarbageCollectorMXBeans()) {
                ((NotificationEmitter) gc).addNotificationListener(listener, null, null);
            }
        }

        static HeapWatch start() {
            return new HeapWatch();
        }

        private boolean isHeapPool(String name) {
            return pools.stream().anyMatch(p -> p.getName().equals(name));
        }

        Result stop() {
            long peak = 0;
            for (MemoryPoolMXBean p : pools) {
                peak += p.getPeakUsage().getUsed();
            }
            for (GarbageCollectorMXBean gc : ManagementFactory.getGarbageCollectorMXBeans()) {
                try {
                    ((NotificationEmitter) gc).removeNotificationListener(listener);
                } catch (Exception ignored) {
                    // not registered on this collector
                }
            }
            return new Result(baseline, peak, maxAfterGc.get(), gcs.get(),
                    ManagementFactory.getMemoryMXBean().getHeapMemoryUsage().getMax());
        }
    }
}
