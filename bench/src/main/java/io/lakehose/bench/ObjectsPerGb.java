package io.lakehose.bench;

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

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;

/**
 * How many objects (and S3 requests) the service writes per GB of input, with the default
 * buffer.* and s3.* settings: one shard of one table, its records arriving in time order at the
 * rate the generator's step gives (event time = Kinesis arrival minus a lag of 0.1-0.8 s), so
 * files are finished by age (buffer.maxAgeSeconds) and by the hour partitions as in the service.
 * The files go to a local directory through {@link CountingStore}; no S3 is involved.
 */
final class ObjectsPerGb {

    /** What one run wrote. */
    record Counts(int stepMillis, long records, long inputBytes, double streamSeconds, long objects,
                  long objectBytes, long putRequests, long multipartParts, long listRequests, long largestObject) {
        double perGb(long n) {
            return n / (inputBytes / 1e9);
        }

        double mbPerSecondOfStream() {
            return inputBytes / 1e6 / streamSeconds;
        }
    }

    private ObjectsPerGb() {
    }

    /** Feeds about {@code inputBytes} of generated records, {@code stepMillis} of event time apart. */
    static Counts run(int targetBytes, long inputBytes, int stepMillis, long seed) throws Exception {
        Path root = Files.createTempDirectory("lakehose-bench-cost-");
        try {
            LakehoseConfig cfg = ConfigLoader.load(null, Map.of(), Map.of(LakeConfig.URI.path(), root.toString()));
            CountingStore store = new CountingStore(new LocalDirectoryStore(root),
                    cfg.s3().multipartThresholdBytes(), cfg.s3().partSizeBytes());
            try (store) {
                Path spool = Files.createDirectories(root.resolve(".spool"));
                PipelineStats stats = new PipelineStats();
                RowEncoders encoders = RowEncoders.load(cfg.tableSchemas(), (table, attribute) -> stats.drift.increment());
                PipelineContext ctx = Pipelines.context(cfg, store.store, spool, encoders, stats, false);
                String shardId = "shardId-000000000000";
                ShardPipeline shard = new ShardPipeline(shardId, ctx, ctx.committer().openShard(shardId, false));
                BenchCommand.KinesisSequence seq = new BenchCommand.KinesisSequence(0);
                ChangeRecordGenerator g = new ChangeRecordGenerator(seed, targetBytes,
                        ChangeRecordGenerator.DEFAULT_START_MILLIS, stepMillis);
                long bytes = 0;
                long records = 0;
                long first = -1;
                long last = 0;
                while (bytes < inputBytes) {
                    byte[] r = g.next();
                    long event = g.lastEventMillis();
                    first = first < 0 ? event : first;
                    last = event;
                    long arrivalMicros = (event + 100 + (records * 37) % 700) * 1000L;
                    shard.accept(new SourceRecord(shardId, seq.next(), arrivalMicros, r, 0, r.length));
                    bytes += r.length;
                    records++;
                }
                shard.flush().get();
                if (stats.errors.sum() != 0 || stats.rows.sum() != records) {
                    throw new IllegalStateException("generated records did not all decode: " + stats.summary());
                }
                return new Counts(stepMillis, records, bytes, (last - first) / 1000.0, store.objects.sum(),
                        store.objectBytes.sum(), store.putRequests.sum(), store.multipartParts.sum(),
                        store.listRequests.sum(), store.largestObject.get());
            }
        } finally {
            BenchCommand.deleteTree(root);
        }
    }
}
