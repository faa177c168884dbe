package io.lakehose.testing;

import io.lakehose.commit.LakeCommitter;
import io.lakehose.commit.iceberg.LocalWarehouse;
import io.lakehose.config.ConfigLoader;
import io.lakehose.config.LakehoseConfig;
import io.lakehose.encode.RowEncoders;
import io.lakehose.pipeline.PipelineContext;
import io.lakehose.pipeline.PipelineStats;
import io.lakehose.pipeline.Pipelines;
import io.lakehose.pipeline.ShardPipeline;
import io.lakehose.sink.LocalDirectoryStore;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

/**
 * A worker writing Iceberg tables in the test's JVM as {@code run} builds one: the committer
 * {@code lake.format} chooses ({@link Pipelines#committer}) on a configuration given as key paths,
 * and a pipeline per shard (each opened with recovery, as a new lease is). Several on one catalog
 * are several workers; each has its own catalog connection and commit thread.
 */
public final class TableWorker implements AutoCloseable {

    private final LakeCommitter committer;
    private final PipelineContext ctx;
    private final Map<String, ShardPipeline> shards = new LinkedHashMap<>();

    /** @param config key paths (lake.*, iceberg.*, ...); the lake must be a local directory (the error output) */
    public TableWorker(Path spool, Map<String, String> config) throws Exception {
        LakehoseConfig cfg = ConfigLoader.load(null, Map.of(), config);
        committer = Pipelines.committer(cfg, new LocalDirectoryStore(((LakehoseConfig.LocalTarget) cfg.target()).directory()));
        ctx = Pipelines.context(cfg, committer, Files.createDirectories(spool), RowEncoders.envelopeOnly(),
                new PipelineStats(), false);
    }

    /**
     * The configuration of a worker writing tables into the local warehouse {@code tables} (a JDBC
     * catalog on SQLite, local files), namespace {@code cdc}, error output under {@code lake}, a
     * commit every second, files of at most {@code maxRecords} records. Creates {@code tables}
     * (SQLite does not create a database's directory).
     */
    public static Map<String, String> localTables(Path tables, Path lake, int maxRecords) throws IOException {
        Files.createDirectories(tables);
        Map<String, String> cfg = new LinkedHashMap<>();
        cfg.put("lake.uri", lake.toString());
        cfg.put("lake.format", "iceberg");
        cfg.put("kinesis.stream", "orders-cdc");
        cfg.put("buffer.maxRecords", Integer.toString(maxRecords));
        cfg.put("iceberg.namespace", "cdc");
        cfg.put("iceberg.commitIntervalSeconds", "1");
        LocalWarehouse.writerProperties(tables).forEach((k, v) -> cfg.put("iceberg.catalog." + k, v));
        return cfg;
    }

    /** The shard's pipeline, opened on first use. */
    public ShardPipeline shard(String id) {
        return shards.computeIfAbsent(id, s -> new ShardPipeline(s, ctx, committer.openShard(s, true)));
    }

    /** Every shard's records flushed and committed, all shards at once (so, usually, in one commit). */
    public void commit() throws Exception {
        List<CompletableFuture<?>> flushed = new ArrayList<>();
        for (ShardPipeline p : shards.values()) {
            flushed.add(p.flush());
        }
        CompletableFuture.allOf(flushed.toArray(CompletableFuture[]::new)).get(60, TimeUnit.SECONDS);
    }

    @Override
    public void close() {
        committer.close();
    }
}
