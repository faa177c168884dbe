package io.lakehose.pipeline;

import io.lakehose.buffer.MemoryBudget;
import io.lakehose.config.LakehoseConfig;
import io.lakehose.encode.ParquetSpoolWriter;
import io.lakehose.encode.RowEncoder;
import io.lakehose.errorout.ErrorLineWriter;
import io.lakehose.sink.ObjectStore;

import java.nio.file.Path;
import java.util.function.Function;
import java.util.function.Supplier;

/** Assembles the shared pipeline parts from the configuration. */
public final class Pipelines {

    private Pipelines() {
    }

    /**
     * @param encoders per-shard supplier of a table -> row encoder lookup (typed schemas or envelope)
     */
    public static PipelineContext context(LakehoseConfig config, ObjectStore store, Path spoolDir,
                                          Supplier<Function<String, RowEncoder>> encoders,
                                          PipelineStats stats, boolean arrivalFromEventTime) {
        return new PipelineContext(
                config.layout(),
                () -> ParquetSpoolWriter.factory(encoders.get(), config.parquet()),
                ErrorLineWriter.factory(config.errorGzip()),
                config.limits(),
                new MemoryBudget(config.memoryCapBytes()),
                new Uploader(store, config.maxUploadBytesInFlight()),
                spoolDir,
                stats,
                arrivalFromEventTime);
    }
}
