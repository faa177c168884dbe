package io.lakehose.maintain;

import io.lakehose.commit.iceberg.IcebergCommitter;
import io.lakehose.commit.iceberg.IcebergSettings;
import io.lakehose.commit.iceberg.state.CurrentStateSettings;
import io.lakehose.config.ConfigLoader;
import io.lakehose.config.LakehoseConfig;
import io.lakehose.encode.ParquetTrimmer;
import io.lakehose.encode.RowEncoders;
import io.lakehose.pipeline.PipelineContext;
import io.lakehose.pipeline.PipelineStats;
import io.lakehose.pipeline.Pipelines;
import io.lakehose.pipeline.ShardPipeline;
import io.lakehose.sink.ObjectStore;
import org.apache.iceberg.CatalogUtil;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;

/**
 * A worker for maintenance tests: its own catalog connection and committer (IcebergCommitter, as
 * the service runs it, with or without a current-state table), envelope rows, small files (seven
 * records each).
 */
final class TableWriter implements AutoCloseable {

    final IcebergCommitter committer;
    final PipelineContext ctx;

    /** @param lake where the error output goes (never written here: every record is good) */
    TableWriter(Path spool, Map<String, String> catalog, String lake, ObjectStore errors, boolean currentState)
            throws Exception {
        LakehoseConfig cfg = ConfigLoader.load(null, Map.of(), Map.of(
                "lake.uri", lake,
                "kinesis.stream", "orders-cdc",
                "buffer.maxRecords", "7"));
        committer = new IcebergCommitter(CatalogUtil.buildIcebergCatalog("lake", catalog, null),
                new IcebergSettings("lake", catalog, "cdc", Duration.ofHours(1), "day", Map.of()), cfg.layout(),
                "orders-cdc", Pipelines.folders(cfg, errors), new ParquetTrimmer(cfg.parquet()));
        if (currentState) {
            committer.keepingCurrentState(new CurrentStateSettings(true, Map.of(), false));
        }
        ctx = Pipelines.context(cfg, committer, Files.createDirectories(spool), RowEncoders.envelopeOnly(),
                new PipelineStats(), false);
    }

    ShardPipeline shard(String shardId) {
        return new ShardPipeline(shardId, ctx, committer.openShard(shardId, true));
    }

    @Override
    public void close() {
        committer.close();
    }
}
