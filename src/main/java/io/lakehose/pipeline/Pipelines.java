package io.lakehose.pipeline;

import io.lakehose.buffer.MemoryBudget;
import io.lakehose.commit.FileTrimmer;
import io.lakehose.commit.folders.FolderCommitter;
import io.lakehose.config.LakehoseConfig;
import io.lakehose.encode.ParquetSpoolWriter;
import io.lakehose.encode.ParquetTrimmer;
import io.lakehose.encode.RowEncoders;
import io.lakehose.errorout.ErrorLineWriter;
import io.lakehose.errorout.ErrorLinesTrimmer;
import io.lakehose.sink.ObjectStore;

import java.nio.file.Path;
import java.util.Map;

/** Assembles the shared pipeline parts from the configuration. */
public final class Pipelines {

    /** The stream scope of object names when no stream is configured ({@code convert}: shard "local"). */
    public static final String LOCAL_STREAM = "local";

    private Pipelines() {
    }

    /**
     * Every object name is scoped by the stream its records come from (docs/design.md, "Object
     * names"): its name, also when configured by ARN ({@code arn:...:stream/<name>}).
     */
    static String streamScope(LakehoseConfig config) {
        String stream = config.kinesis().stream();
        if (stream == null || stream.isBlank()) {
            return LOCAL_STREAM;
        }
        return stream.startsWith("arn:") ? stream.substring(stream.lastIndexOf('/') + 1) : stream.strip();
    }

    /** How a finished file of each kind is cut to its rows after a mark (the folder fence's rare path). */
    static Map<String, FileTrimmer> trimmers(LakehoseConfig config) {
        ErrorLinesTrimmer lines = new ErrorLinesTrimmer();
        return Map.of(".parquet", new ParquetTrimmer(config.parquet()), ".jsonl", lines, ".jsonl.gz", lines);
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
                new FolderCommitter(store, streamScope(config), trimmers(config), config.maxUploadBytesInFlight(),
                        config.uploadStuckAfter()),
                spoolDir,
                stats,
                arrivalFromEventTime);
    }
}
