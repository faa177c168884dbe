package io.lakehose.bench;

import io.lakehose.cli.Main;
import io.lakehose.config.ConfigLoader;
import io.lakehose.config.LakeConfig;
import io.lakehose.config.LakehoseConfig;
import io.lakehose.decode.SourceRecord;
import io.lakehose.encode.RowEncoders;
import io.lakehose.pipeline.PipelineContext;
import io.lakehose.pipeline.PipelineStats;
import io.lakehose.pipeline.Pipelines;
import io.lakehose.pipeline.ShardPipeline;
import io.lakehose.sink.LocalDirectoryStore;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.concurrent.Callable;
import java.util.concurrent.atomic.AtomicReference;
import java.util.stream.Stream;

/**
 * Issue 16's "many partitions" for the service: {@code --shards} shard pipelines on as many
 * threads, as KCL runs them, each fed its own stream of change records in arrival order over
 * {@code --tables} tables and {@code --hours} hours of event time (hourly partitions), with the
 * default buffer settings (files end by size, 300 s of arrival time, or the memory cap). Prints
 * the peak heap, the files per partition and the time. Run it in the heap to test:
 * {@code java -Xmx512m -cp bench/target/lakehose-bench.jar io.lakehose.bench.ServicePartitionsBench}.
 */
@Command(name = "service-partitions-bench", mixinStandardHelpOptions = true, sortOptions = false,
        description = "Shard pipelines over many tables and hourly partitions: peak heap, files per partition.")
public final class ServicePartitionsBench implements Callable<Integer> {

    @Option(names = "--shards", defaultValue = "4", description = "Shards (default: ${DEFAULT-VALUE}).")
    int shards;

    @Option(names = "--tables", defaultValue = "200", description = "Tables (default: ${DEFAULT-VALUE}).")
    int tables;

    @Option(names = "--hours", defaultValue = "2", description = "Hours of event time per shard (default: ${DEFAULT-VALUE}).")
    int hours;

    @Option(names = "--records-per-shard", defaultValue = "200000", description = "(default: ${DEFAULT-VALUE}).")
    int recordsPerShard;

    @Option(names = "--size", defaultValue = "870", description = "Mean record size in bytes (default: ${DEFAULT-VALUE}).")
    int size;

    @Option(names = {"-c", "--config"}, paramLabel = "FILE", description = "YAML configuration (buffer.*, parquet.*).")
    Path config;

    public static void main(String[] args) {
        System.exit(Main.executeCommand(new ServicePartitionsBench(), args));
    }

    @Override
    public Integer call() throws Exception {
        Path root = Files.createTempDirectory("lakehose-service-partitions-");
        try (HeapMonitor heap = new HeapMonitor(); LocalDirectoryStore store = new LocalDirectoryStore(root.resolve("lake"))) {
            LakehoseConfig cfg = ConfigLoader.load(config, Map.of(), Map.of(LakeConfig.URI.path(), root.toString()));
            PipelineStats stats = new PipelineStats();
            PipelineContext ctx = Pipelines.context(cfg, store, Files.createDirectories(root.resolve("spool")),
                    RowEncoders.load(cfg.tableSchemas(), (t, a) -> { }), stats, false);
            System.out.printf(Locale.ROOT, "%d shards x %,d records (~%d B) over %d tables x %d h; max heap %d MB, "
                            + "memory cap %d MB, maxAge %d s; load %s%n", shards, recordsPerShard, size, tables, hours,
                    Runtime.getRuntime().maxMemory() >> 20, ctx.memory().capBytes() >> 20,
                    cfg.buffer().limits().maxAgeMicros() / 1_000_000, PartitionsBench.uptime());
            heap.start();
            long t0 = System.nanoTime();
            AtomicReference<Throwable> failure = new AtomicReference<>();
            List<Thread> threads = new ArrayList<>();
            for (int s = 0; s < shards; s++) {
                int shard = s;
                Thread t = new Thread(() -> {
                    try {
                        feed(ctx, shard);
                    } catch (Throwable e) {
                        failure.compareAndSet(null, e);
                    }
                }, "shard-" + s);
                threads.add(t);
                t.start();
            }
            for (Thread t : threads) {
                t.join();
            }
            double seconds = (System.nanoTime() - t0) / 1e9;
            HeapMonitor.Peak peak = heap.stop();
            if (failure.get() != null) {
                throw new IllegalStateException("a shard failed: " + failure.get(), failure.get());
            }
            Map<Path, Integer> perPartition = new HashMap<>();
            try (Stream<Path> files = Files.walk(root.resolve("lake"))) {
                files.filter(x -> x.getFileName().toString().endsWith(".parquet"))
                        .forEach(x -> perPartition.merge(x.getParent(), 1, Integer::sum));
            }
            int files = perPartition.values().stream().mapToInt(Integer::intValue).sum();
            System.out.printf(Locale.ROOT, "%.1f s, %s; %,d partitions, %,d files: most per partition %d, mean %.1f; "
                            + "heap peak %d MB, after GC %d MB; load %s%n", seconds, stats.summary(), perPartition.size(),
                    files, perPartition.values().stream().mapToInt(Integer::intValue).max().orElse(0),
                    files / (double) Math.max(1, perPartition.size()), peak.used() >> 20, peak.afterGc() >> 20,
                    PartitionsBench.uptime());
        } finally {
            PartitionsBench.deleteTree(root);
        }
        return 0;
    }

    /** One shard: its records in arrival order (event time plus 0.1-0.8 s), then everything committed. */
    private void feed(PipelineContext ctx, int shard) throws Exception {
        String shardId = String.format("shardId-%012d", shard);
        ShardPipeline pipeline = new ShardPipeline(shardId, ctx, ctx.committer().openShard(shardId, false));
        int step = (int) Math.max(1, hours * 3_600_000L / recordsPerShard);
        ChangeRecordGenerator g = new ChangeRecordGenerator(shard, size, ChangeRecordGenerator.DEFAULT_START_MILLIS, step);
        SplittableRandom pick = new SplittableRandom(1000 + shard);
        BenchCommand.KinesisSequence seq = new BenchCommand.KinesisSequence(shard);
        for (int i = 0; i < recordsPerShard; i++) {
            byte[] r = g.next(PartitionedInput.table(pick.nextInt(tables)));
            long arrival = (g.lastEventMillis() + 100 + (i * 37L) % 700) * 1000L;
            pipeline.accept(new SourceRecord(shardId, seq.next(), arrival, r, 0, r.length));
        }
        pipeline.flush().get();
    }
}
