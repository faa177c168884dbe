package io.lakehose.bench;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.lakehose.cli.Main;
import io.lakehose.config.LakeConfig;
import io.lakehose.config.BufferConfig;
import io.lakehose.config.ConfigLoader;
import io.lakehose.config.LakehoseConfig;
import io.lakehose.decode.ChangeRecordDecoder;
import io.lakehose.decode.SequenceNumber;
import io.lakehose.decode.SourceRecord;
import io.lakehose.encode.RowEncoders;
import io.lakehose.pipeline.PipelineContext;
import io.lakehose.pipeline.PipelineStats;
import io.lakehose.pipeline.Pipelines;
import io.lakehose.pipeline.ShardPipeline;
import io.lakehose.sink.LocalDirectoryStore;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.io.IOException;
import java.io.PrintStream;
import java.lang.management.ManagementFactory;
import java.nio.file.FileVisitResult;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.SimpleFileVisitor;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.EnumMap;
import java.util.EnumSet;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Function;

/**
 * {@code lakehose-bench}: throughput of the pipeline on this machine, against the floor of the
 * work (a bare Jackson parse of the same bytes), in one run. Its own jar, not the service's:
 * {@code java -Xmx1g -jar bench/target/lakehose-bench.jar} (the bench module, README "Performance").
 *
 * <p>For each record size it generates the input in memory up front ({@link ChangeRecordGenerator},
 * seeded), then measures, each for a fixed time after a warm-up pass of the same code:
 * <ol>
 *   <li>bare parse: a streaming {@link JsonParser} calling nextToken() to the end of each record;</li>
 *   <li>tree parse: {@code ObjectMapper.readTree} (a second reference);</li>
 *   <li>decode: {@link ChangeRecordDecoder#decode} alone;</li>
 *   <li>the pipeline, one thread: a {@link ShardPipeline} with the real context (envelope encoder,
 *       default Parquet settings, a local directory store in a temp dir), fed {@link SourceRecord}s
 *       as KCL would, then {@code flush().get()} (inside the timed window);</li>
 *   <li>the pipeline on all threads: one ShardPipeline per thread sharing one context.</li>
 * </ol>
 * Heap: the highest used heap (5 ms sampler) and the highest heap left after a GC, per measurement.
 * The input pool is cycled, so its event times jump back at each wrap: file age limits are
 * disabled in the bench (buffer.maxAgeSeconds is set to a day); size and memory limits stay.
 */
@Command(name = "lakehose-bench", mixinStandardHelpOptions = true, sortOptions = false,
        description = {"Measure throughput on this machine: records/s and MB/s of DynamoDB CDC JSON through "
                + "decode -> Parquet, single-threaded and on all cores, next to a bare Jackson parse of the same "
                + "bytes, with peak heap. Input is generated in memory (deterministic); output goes to a temp "
                + "directory that is deleted. MB = 10^6 bytes of input JSON.",
                "Example: java -Xmx1g -jar bench/target/lakehose-bench.jar"})
public final class BenchCommand implements Callable<Integer> {

    /** What one row of the table measures. */
    enum Kind {
        PARSE("parse", "bare parse (JsonParser)"),
        TREE("tree", "tree parse (readTree)"),
        DECODE("decode", "decode only"),
        PIPELINE("pipeline", "decode -> Parquet %s"),
        PIPELINE_ALL("pipeline-all", "decode -> Parquet %s");

        final String option;
        final String label;

        Kind(String option, String label) {
            this.option = option;
            this.label = label;
        }
    }

    @Option(names = "--sizes", split = ",", defaultValue = "300,700,2048", paramLabel = "BYTES",
            description = "Target record sizes in bytes of JSON (default: ${DEFAULT-VALUE}).")
    List<Integer> sizes;

    @Option(names = "--seconds", defaultValue = "4", paramLabel = "S",
            description = "Timed seconds per measurement (default: ${DEFAULT-VALUE}).")
    double seconds;

    @Option(names = "--warmup", defaultValue = "1", paramLabel = "S",
            description = "Warm-up seconds before each measurement (default: ${DEFAULT-VALUE}).")
    double warmup;

    @Option(names = "--threads", paramLabel = "N", description = "Threads of the all-cores run (default: all cores).")
    int threads = Runtime.getRuntime().availableProcessors();

    @Option(names = "--input-mb", defaultValue = "96", paramLabel = "MB",
            description = "JSON generated per size, cycled through by the measurements (default: ${DEFAULT-VALUE}).")
    int inputMb;

    @Option(names = "--seed", defaultValue = "42", description = "Generator seed (default: ${DEFAULT-VALUE}).")
    long seed;

    @Option(names = "--only", split = ",", paramLabel = "WHAT",
            description = "Run only these measurements: parse, tree, decode, pipeline, pipeline-all "
                    + "(e.g. for a profile: --only pipeline --sizes 700 --seconds 30).")
    List<String> only;

    @Option(names = "--cost", description = "After the measurements, print the cost per TB table: the one-thread "
            + "pipeline row's MB/CPU-s and peak heap, and the objects per GB written with the default buffer settings "
            + "(measured by feeding --cost-mb of records through one shard at each --cost-steps), priced.")
    boolean cost;

    @Option(names = "--cost-mb", defaultValue = "1000", paramLabel = "MB",
            description = "Input per object-count run of --cost (default: ${DEFAULT-VALUE}).")
    int costMb;

    @Option(names = "--cost-steps", split = ",", defaultValue = "1,10", paramLabel = "MS",
            description = "Event-time steps between records of the object-count runs: 1 ms is a shard near its "
                    + "1 MB/s write limit, 10 ms a tenth of it (default: ${DEFAULT-VALUE}).")
    List<Integer> costSteps;

    @Option(names = {"-c", "--config"}, paramLabel = "FILE",
            description = "YAML configuration whose parquet.* and buffer.* settings the pipeline uses (optional).")
    Path config;

    /** {@code java -jar lakehose-bench.jar [options]}: the service's error handling, no subcommand. */
    public static void main(String[] args) {
        System.exit(Main.executeCommand(new BenchCommand(), args));
    }

    /** Issue 16's goal for the service path on one core. */
    static final double GOAL_MB_PER_CPU_SECOND = 250;
    /** Kinesis Data Streams: a shard's read limit for shared-throughput consumers (GetRecords), 2 MB/s. */
    static final double SHARD_READ_MB_PER_SECOND = 2;

    private final PrintStream out = System.out;
    /** Results of the measured work go here, so that the JIT cannot drop the work as unused. */
    static volatile long sinkHole;
    private long sink;

    @Override
    public Integer call() throws Exception {
        EnumSet<Kind> kinds = selectedKinds();
        if (seconds <= 0 || warmup < 0 || threads < 1 || inputMb < 1 || sizes.isEmpty()
                || sizes.stream().anyMatch(s -> s < 1)) {
            throw new IllegalArgumentException("--seconds, --threads, --input-mb and --sizes must be positive, --warmup not negative");
        }
        LakehoseConfig cfg = ConfigLoader.load(config, Map.of(), Map.of(
                LakeConfig.URI.path(), System.getProperty("java.io.tmpdir"),
                BufferConfig.MAX_AGE_SECONDS.path(), "86400"));
        String codec = cfg.parquet().compression().name().toLowerCase(Locale.ROOT);

        printHeader(cfg);
        List<Result> results = new ArrayList<>();
        try (HeapMonitor heap = new HeapMonitor()) {
            for (int size : sizes) {
                long g0 = System.nanoTime();
                InputPool pool = InputPool.generate(size, inputMb * 1_000_000L, 3 * 3_600_000L, seed);
                long baseline = heap.liveAfterFullGc();
                out.printf(Locale.ROOT, "%n%d B target: %,d records, avg %.0f B, %.1f MB, event times over %.1f h"
                                + " (generated in %.1f s; heap after GC with input held: %d MB)%n",
                        size, pool.count, pool.averageBytes(), pool.totalBytes / 1e6, pool.spanHours(),
                        (System.nanoTime() - g0) / 1e9, baseline >> 20);
                printColumns();
                Map<Kind, Result> bySize = new EnumMap<>(Kind.class);
                for (Kind k : kinds) {
                    int n = k == Kind.PIPELINE_ALL ? threads : 1;
                    if (warmup > 0) {
                        run(k, pool, n, warmup, cfg, null);
                    }
                    Result r = run(k, pool, n, seconds, cfg, heap);
                    bySize.put(k, r);
                    results.add(r);
                    printRow(r, bySize, codec);
                }
                printBreakdown(bySize);
                pool = null; // let the next size's pool replace this one
            }
        }
        printVerdicts(results);
        if (cost) {
            printCost(results);
        }
        return 0;
    }

    // ---- measurements ------------------------------------------------------------------------

    /** One measured run; {@code heap} null for a warm-up. */
    record Result(int targetBytes, double avgBytes, Kind kind, int threads, long records, long bytes, long nanos,
                  long cpuNanos, long workerCpuNanos, JvmThreadCpu.Split jvmThreads, double othersShare,
                  HeapMonitor.Peak heap, long files, long outputBytes) {
        double recordsPerSecond() {
            return records / (nanos / 1e9);
        }

        double mbPerSecond() {
            return bytes / 1e6 / (nanos / 1e9);
        }

        /** MB per second of CPU used by the whole process (workers, GC, JIT): the per-core rate. */
        double mbPerCpuSecond() {
            return cpuNanos <= 0 ? Double.NaN : bytes / 1e6 / (cpuNanos / 1e9);
        }
    }

    /** CPU time of the calling thread so far, or -1 where the JVM does not tell. */
    private static long threadCpuNanos() {
        java.lang.management.ThreadMXBean t = ManagementFactory.getThreadMXBean();
        return t.isCurrentThreadCpuTimeSupported() ? t.getCurrentThreadCpuTime() : -1;
    }

    /** CPU time of the whole process so far, or -1 where the JVM does not tell. */
    private static long processCpuNanos() {
        if (ManagementFactory.getOperatingSystemMXBean() instanceof com.sun.management.OperatingSystemMXBean os) {
            return os.getProcessCpuTime();
        }
        return -1;
    }

    private Result run(Kind kind, InputPool pool, int nThreads, double secs, LakehoseConfig cfg, HeapMonitor heap)
            throws Exception {
        return switch (kind) {
            case PARSE -> single(kind, pool, secs, heap, parse());
            case TREE -> single(kind, pool, secs, heap, tree());
            case DECODE -> single(kind, pool, secs, heap, decode(pool));
            case PIPELINE, PIPELINE_ALL -> pipeline(kind, pool, nThreads, secs, cfg, heap);
        };
    }

    /** Work on record {@code i} of the pool. */
    @FunctionalInterface
    private interface PerRecord {
        void accept(int i) throws Exception;
    }

    private Function<InputPool, PerRecord> parse() {
        JsonFactory f = new JsonFactory();
        return pool -> i -> {
            long tokens = 0;
            try (JsonParser p = f.createParser(pool.data, pool.starts[i], pool.lengths[i])) {
                while (p.nextToken() != null) {
                    tokens++;
                }
            }
            sink += tokens;
        };
    }

    private Function<InputPool, PerRecord> tree() {
        ObjectMapper mapper = new ObjectMapper();
        return pool -> i -> sink += mapper.readTree(pool.data, pool.starts[i], pool.lengths[i]).size();
    }

    private Function<InputPool, PerRecord> decode(InputPool pool) {
        ChangeRecordDecoder decoder = new ChangeRecordDecoder(false);
        SequenceNumber seq = new KinesisSequence(0).next();
        return p -> i -> sink += decoder.decode(new SourceRecord("shardId-000000000000", seq,
                arrivalMicros(p, i), p.data, p.starts[i], p.lengths[i])).eventTimeMicros();
    }

    private Result single(Kind kind, InputPool pool, double secs, HeapMonitor heap,
                          Function<InputPool, PerRecord> work) throws Exception {
        PerRecord f = work.apply(pool);
        if (heap != null) {
            heap.start();
        }
        MachineLoad.Sample m0 = MachineLoad.sample();
        JvmThreadCpu.Sample j0 = JvmThreadCpu.sample();
        long c0 = processCpuNanos();
        long w0 = threadCpuNanos();
        long t0 = System.nanoTime();
        long deadline = t0 + (long) (secs * 1e9);
        long[] counts = loop(pool, 0, deadline, f);
        long nanos = System.nanoTime() - t0;
        long worker = threadCpuNanos() - w0;
        long cpu = processCpuNanos() - c0;
        JvmThreadCpu.Split split = JvmThreadCpu.between(j0, JvmThreadCpu.sample());
        sinkHole += sink;
        double others = MachineLoad.othersShare(m0, MachineLoad.sample(), cpu, nanos);
        HeapMonitor.Peak peak = heap == null ? null : heap.stop();
        return new Result(pool.targetBytes, pool.averageBytes(), kind, 1, counts[0], counts[1], nanos, cpu, worker,
                split, others, peak, 0, 0);
    }

    /** Runs {@code f} over the pool from {@code start}, wrapping around, until the deadline: {records, bytes}. */
    private static long[] loop(InputPool pool, int start, long deadline, PerRecord f) throws Exception {
        long records = 0;
        long bytes = 0;
        int i = start;
        do {
            for (int k = 0; k < 64; k++) {
                f.accept(i);
                bytes += pool.lengths[i];
                if (++i == pool.count) {
                    i = 0;
                }
            }
            records += 64;
        } while (System.nanoTime() < deadline);
        return new long[]{records, bytes};
    }

    /** Kinesis arrival: the event time plus a lag of 0.1-0.8 s (deterministic per record). */
    private static long arrivalMicros(InputPool pool, int i) {
        return (pool.eventMillis[i] + 100 + (i * 37L) % 700) * 1000L;
    }

    private Result pipeline(Kind kind, InputPool pool, int nThreads, double secs, LakehoseConfig cfg,
                            HeapMonitor heap) throws Exception {
        Path root = Files.createTempDirectory("lakehose-bench-");
        try (LocalDirectoryStore store = new LocalDirectoryStore(root)) {
            Path spool = Files.createDirectories(root.resolve(".spool"));
            PipelineStats stats = new PipelineStats();
            // The envelope schema, or a typed one if --config names a schema for the table "orders".
            RowEncoders encoders = RowEncoders.load(cfg.tableSchemas(), (table, attribute) -> stats.drift.increment());
            PipelineContext ctx = Pipelines.context(cfg, store, spool, encoders, stats, false);
            CountDownLatch go = new CountDownLatch(1);
            AtomicReference<Throwable> failure = new AtomicReference<>();
            long[][] counts = new long[nThreads][];
            long[] deadline = new long[1];
            AtomicLong workerCpu = new AtomicLong();
            List<Thread> workers = new ArrayList<>();
            for (int t = 0; t < nThreads; t++) {
                int index = t;
                Thread w = new Thread(() -> {
                    try {
                        String shardId = String.format("shardId-%012d", index);
                        ShardPipeline shard = new ShardPipeline(shardId, ctx, ctx.committer().openShard(shardId, false));
                        KinesisSequence seq = new KinesisSequence(index);
                        go.await();
                        long w0 = threadCpuNanos();
                        counts[index] = loop(pool, (int) ((long) pool.count * index / nThreads), deadline[0],
                                i -> shard.accept(new SourceRecord(shardId, seq.next(), arrivalMicros(pool, i),
                                        pool.data, pool.starts[i], pool.lengths[i])));
                        shard.flush().get();
                        workerCpu.addAndGet(threadCpuNanos() - w0);
                    } catch (Throwable e) {
                        failure.compareAndSet(null, e instanceof ExecutionException && e.getCause() != null ? e.getCause() : e);
                    }
                }, "bench-shard-" + t);
                workers.add(w);
                w.start();
            }
            if (heap != null) {
                heap.start();
            }
            MachineLoad.Sample m0 = MachineLoad.sample();
            JvmThreadCpu.Sample j0 = JvmThreadCpu.sample();
            long c0 = processCpuNanos();
            long t0 = System.nanoTime();
            deadline[0] = t0 + (long) (secs * 1e9);
            go.countDown(); // the latch publishes deadline[0] to the workers
            for (Thread w : workers) {
                w.join();
            }
            long nanos = System.nanoTime() - t0;
            long cpu = processCpuNanos() - c0;
            JvmThreadCpu.Split split = JvmThreadCpu.between(j0, JvmThreadCpu.sample());
            double others = MachineLoad.othersShare(m0, MachineLoad.sample(), cpu, nanos);
            HeapMonitor.Peak peak = heap == null ? null : heap.stop();
            if (failure.get() != null) {
                throw new IllegalStateException("pipeline run failed: " + failure.get(), failure.get());
            }
            if (stats.errors.sum() != 0 || stats.rows.sum() != stats.records.sum()) {
                throw new IllegalStateException("generated records did not all decode: " + stats.summary());
            }
            long records = 0;
            long bytes = 0;
            for (long[] c : counts) {
                records += c[0];
                bytes += c[1];
            }
            return new Result(pool.targetBytes, pool.averageBytes(), kind, nThreads, records, bytes, nanos, cpu,
                    workerCpu.get(), split, others, peak,
                    stats.dataFiles.sum() + stats.errorFiles.sum(), stats.outputBytes.sum());
        } finally {
            deleteTree(root);
        }
    }

    /**
     * Kinesis-like sequence numbers: 56 digits, increasing, distinct per shard. Built by
     * incrementing a digit array, so making one costs about what KCL's string does.
     */
    static final class KinesisSequence {
        private final char[] digits;

        KinesisSequence(int shard) {
            String prefix = "4963" + String.format("%014d", 59_200_000_000L + shard) + "41778250123456789";
            digits = (prefix + "0".repeat(56 - prefix.length())).toCharArray();
        }

        SequenceNumber next() {
            for (int i = digits.length - 1; ; i--) {
                if (digits[i] == '9') {
                    digits[i] = '0';
                } else {
                    digits[i]++;
                    break;
                }
            }
            return new SequenceNumber(new String(digits), 0);
        }
    }

    // ---- output ------------------------------------------------------------------------------

    private void printHeader(LakehoseConfig cfg) {
        Runtime rt = Runtime.getRuntime();
        String gc = ManagementFactory.getGarbageCollectorMXBeans().stream()
                .map(b -> b.getName()).reduce((a, b) -> a + ", " + b).orElse("?");
        out.printf(Locale.ROOT, "lakehose bench: %d cores, Java %s, max heap %d MB (GC: %s)%n",
                rt.availableProcessors(), System.getProperty("java.version"), rt.maxMemory() >> 20, gc);
        out.printf(Locale.ROOT, "Parquet %s level %d, row group %d MiB, page %d KiB, memory cap %d MiB; "
                        + "%.1f s per measurement after %.1f s warm-up; all-cores runs use %d threads%n",
                cfg.parquet().compression().name().toLowerCase(Locale.ROOT), cfg.parquet().zstdLevel(),
                cfg.parquet().rowGroupBytes() >> 20, cfg.parquet().pageBytes() >> 10, cfg.buffer().memoryCapBytes() >> 20,
                seconds, warmup, threads);
        out.println("MB = 10^6 bytes of input JSON. MB/s = by the wall clock; MB/CPU-s = per second of CPU used by "
                + "the whole JVM (GC and JIT included),");
        out.println("  i.e. what one core sustains (the goals use it), and less sensitive than MB/s to other processes. "
                + "'vs parse' = MB/CPU-s over the bare parse's MB/CPU-s.");
        out.println("heap peak = highest used heap (5 ms samples, garbage included); after GC = highest heap left by a GC.");
        out.println("others = share of the machine's CPU used by other processes (or stolen) meanwhile: above ~10% a row "
                + "is disturbed; rerun.");
    }

    private void printColumns() {
        out.printf(Locale.ROOT, "  %-24s %3s %11s %7s %8s %8s %9s %8s %6s  %s%n", "measurement", "thr", "records/s",
                "MB/s", "MB/CPU-s", "vs parse", "heap peak", "after GC", "others", "note");
    }

    private void printRow(Result r, Map<Kind, Result> bySize, String codec) {
        Result parse = bySize.get(Kind.PARSE);
        String ratio = parse == null || r.kind == Kind.PARSE ? "" : String.format(Locale.ROOT, "%.2f",
                r.mbPerCpuSecond() / parse.mbPerCpuSecond());
        String note = "";
        if (r.kind == Kind.PIPELINE || r.kind == Kind.PIPELINE_ALL) {
            note = String.format(Locale.ROOT, "%d files, %.0f MB Parquet (%.1fx smaller)", r.files,
                    r.outputBytes / 1e6, r.outputBytes == 0 ? 0 : (double) r.bytes / r.outputBytes);
            Result one = bySize.get(Kind.PIPELINE);
            if (r.kind == Kind.PIPELINE_ALL && one != null) {
                note += String.format(Locale.ROOT, "; %.2fx one thread", r.mbPerSecond() / one.mbPerSecond());
            }
        }
        out.printf(Locale.ROOT, "  %-24s %3d %,11.0f %7.1f %8.1f %8s %9s %8s %6s  %s%n",
                String.format(r.kind.label, codec), r.threads, r.recordsPerSecond(), r.mbPerSecond(),
                r.mbPerCpuSecond(), ratio, mb(r.heap.used()), mb(r.heap.afterGc()), percent(r.othersShare), note);
        out.flush();
    }

    /** CPU time per record of each stage, from the differences between the rows (one thread). */
    private void printBreakdown(Map<Kind, Result> bySize) {
        Result parse = bySize.get(Kind.PARSE);
        Result decode = bySize.get(Kind.DECODE);
        Result pipe = bySize.get(Kind.PIPELINE);
        if (parse != null && decode != null && pipe != null) {
            double p = cpuMicrosPerRecord(parse);
            double d = cpuMicrosPerRecord(decode);
            double all = cpuMicrosPerRecord(pipe);
            out.printf(Locale.ROOT, "  CPU per record: %.2f us = %.2f bare parse + %.2f more to decode (UTF-8 check, "
                    + "fields, images to plain JSON) + %.2f after decode (Avro row, Parquet encoding, compression, GC)%n",
                    all, p, d - p, all - d);
        }
        if (pipe != null && pipe.workerCpuNanos > 0 && pipe.cpuNanos > 0) {
            out.printf(Locale.ROOT, "  pipeline CPU: %.0f%% in its own thread, %.0f%% in other JVM threads (GC, JIT)%n",
                    100.0 * pipe.workerCpuNanos / pipe.cpuNanos,
                    100.0 * (pipe.cpuNanos - pipe.workerCpuNanos) / pipe.cpuNanos);
            printThreadSplit(pipe);
        }
    }

    /**
     * The pipeline row's CPU by thread kind (/proc/self/task): after a long enough warm-up the JIT's
     * share is near zero; the MB per CPU-second of the shard's thread alone is the figure without
     * the JIT and GC.
     */
    private void printThreadSplit(Result pipe) {
        JvmThreadCpu.Split s = pipe.jvmThreads;
        if (!s.available()) {
            out.println("  JIT / GC CPU: n/a (no /proc/self/task on this system)");
            return;
        }
        double cpu = pipe.cpuNanos;
        // The rest is the process's CPU less the JIT's and GC's: it holds the shard's thread, which
        // has ended by the second sample (a compiler thread that ended in between would be counted here too).
        long rest = pipe.cpuNanos - s.jitNanos() - s.gcNanos();
        out.printf(Locale.ROOT, "  CPU by JVM thread kind: JIT compilers %.2f s (%.1f%%), GC and VM thread %.2f s (%.1f%%), "
                        + "the rest %.2f s (%.1f%%; the shard's own thread %.2f s)%n",
                s.jitNanos() / 1e9, 100 * s.jitNanos() / cpu, s.gcNanos() / 1e9, 100 * s.gcNanos() / cpu,
                rest / 1e9, 100 * rest / cpu, pipe.workerCpuNanos / 1e9);
        out.printf(Locale.ROOT, "  MB per CPU-s: %.1f whole JVM, %.1f without the JIT's, %.1f the shard's thread alone%n",
                pipe.mbPerCpuSecond(), pipe.bytes / 1e6 / ((pipe.cpuNanos - s.jitNanos()) / 1e9),
                pipe.bytes / 1e6 / (pipe.workerCpuNanos / 1e9));
    }

    private static double cpuMicrosPerRecord(Result r) {
        return r.cpuNanos / 1e3 / r.records;
    }

    private void printVerdicts(List<Result> results) {
        out.println();
        Integer goalSize = null;
        for (int s : sizes) {
            if (goalSize == null || Math.abs(s - 700) < Math.abs(goalSize - 700)) {
                goalSize = s;
            }
        }
        Map<Kind, Result> atGoal = new HashMap<>();
        for (Result r : results) {
            if (r.targetBytes == goalSize) {
                atGoal.put(r.kind, r);
            }
        }
        Result one = atGoal.get(Kind.PIPELINE);
        Result parse = atGoal.get(Kind.PARSE);
        String sizeNote = Math.abs(goalSize - 700) <= 100 ? "" : " (no ~700 B size in --sizes; nearest " + goalSize + " B)";
        if (one == null) {
            out.println("goals not evaluated: the one-thread pipeline measurement was not run");
            return;
        }
        double perCore = one.mbPerCpuSecond();
        out.printf(Locale.ROOT, "goal 1%s: %.0f B records, one core through decode -> Parquet: %.1f MB/CPU-s "
                        + "(%.1f MB/s wall) - goal >= %.0f MB/CPU-s: %s%n", sizeNote, one.avgBytes,
                perCore, one.mbPerSecond(), GOAL_MB_PER_CPU_SECOND, perCore >= GOAL_MB_PER_CPU_SECOND ? "OK"
                        : String.format(Locale.ROOT, "SHORT (%.0f%% of goal)", 100 * perCore / GOAL_MB_PER_CPU_SECOND));
        out.printf(Locale.ROOT, "shards: a shard read at Kinesis's limit of %.0f MB/s is %,.0f records/s of %.0f B; "
                        + "one vCPU at %.1f MB/CPU-s keeps up with %.1f such shards (%,.0f records/s)%n",
                SHARD_READ_MB_PER_SECOND, SHARD_READ_MB_PER_SECOND * 1e6 / one.avgBytes, one.avgBytes, perCore,
                perCore / SHARD_READ_MB_PER_SECOND, perCore * 1e6 / one.avgBytes);
        if (parse != null) {
            double ratio = perCore / parse.mbPerCpuSecond();
            out.printf(Locale.ROOT, "goal 2%s: %.0f B records, pipeline / bare parse = %.1f / %.1f MB/CPU-s = %.2f "
                            + "(wall clock: %.2f) - goal >= 0.50: %s%n", sizeNote, one.avgBytes, perCore,
                    parse.mbPerCpuSecond(), ratio, one.mbPerSecond() / parse.mbPerSecond(),
                    ratio >= 0.5 ? "OK" : "SHORT");
        }
        double worst = results.stream().mapToDouble(Result::othersShare).filter(d -> !Double.isNaN(d)).max().orElse(0);
        if (worst > 0.10) {
            out.printf(Locale.ROOT, "note: other processes used up to %.0f%% of the machine's CPU during some rows "
                    + "(column 'others'): those rows read low; rerun on a quiet machine.%n", worst * 100);
        }
    }

    private void printCost(List<Result> results) throws Exception {
        Result one = results.stream().filter(r -> r.kind == Kind.PIPELINE)
                .min(Comparator.comparingInt(r -> Math.abs(r.targetBytes - 700)))
                .orElseThrow(() -> new IllegalArgumentException("--cost needs the pipeline measurement"));
        List<ObjectsPerGb.Counts> writes = new ArrayList<>();
        for (int step : costSteps) {
            writes.add(ObjectsPerGb.run(one.targetBytes, costMb * 1_000_000L, step, seed));
        }
        CostTable.print(out, one.avgBytes, one.mbPerCpuSecond(), one.heap.used(), writes);
    }

    private static String percent(double share) {
        return Double.isNaN(share) ? "n/a" : String.format(Locale.ROOT, "%.0f%%", share * 100);
    }

    private static String mb(long bytes) {
        return bytes < 0 ? "n/a" : (bytes >> 20) + " MB";
    }

    private EnumSet<Kind> selectedKinds() {
        if (only == null || only.isEmpty()) {
            return EnumSet.allOf(Kind.class);
        }
        EnumSet<Kind> kinds = EnumSet.noneOf(Kind.class);
        for (String o : only) {
            Kind match = null;
            for (Kind k : Kind.values()) {
                if (k.option.equalsIgnoreCase(o.trim())) {
                    match = k;
                }
            }
            if (match == null) {
                throw new IllegalArgumentException("--only: unknown measurement '" + o
                        + "' (one of parse, tree, decode, pipeline, pipeline-all)");
            }
            kinds.add(match);
        }
        return kinds;
    }

    static void deleteTree(Path root) throws IOException {
        if (!Files.exists(root)) {
            return;
        }
        Files.walkFileTree(root, new SimpleFileVisitor<>() {
            @Override
            public FileVisitResult visitFile(Path file, BasicFileAttributes attrs) throws IOException {
                Files.delete(file);
                return FileVisitResult.CONTINUE;
            }

            @Override
            public FileVisitResult postVisitDirectory(Path dir, IOException exc) throws IOException {
                Files.delete(dir);
                return FileVisitResult.CONTINUE;
            }
        });
    }
}
