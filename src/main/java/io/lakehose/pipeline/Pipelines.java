package io.lakehose.pipeline;

import io.lakehose.buffer.MemoryBudget;
import io.lakehose.commit.folders.FolderCommitter;
import io.lakehose.config.LakehoseConfig;
import io.lakehose.encode.ParquetSpoolWriter;
import io.lakehose.encode.RowEncoders;
import io.lakehose.errorout.ErrorLineWriter;
import io.lakehose.sink.ObjectStore;

import java.nio.file.Path;

/** Assembles the shared pipeline parts from the configuration. */
public final class Pipelines {

    private Pipelines() {
    }

    /** @param encoders row encoder per table (typed schemas, else the envelope); shared by all shards */
    public static PipelineContext context(LakehoseConfig config, ObjectStore store, Path spoolDir,
                                          RowEncoders encoders, PipelineStats stats, boolean arrivalFromEventTime) {
        return new PipelineContext(
                config.layout(),
                ParquetSpoolWriter.factory(encoders::forTable, config.parquet()),
                ErrorLineWriter.factory(config.errorGzip()),
                config.limits(),
                new MemoryBudget(config.memoryCapBytes()),
                new FolderCommitter(store, config.maxUploadBytesInFlight(), config.uploadStuckAfter()),
                spoolDir,
                stats,
                arrivalFromEventTime);
    }
}
