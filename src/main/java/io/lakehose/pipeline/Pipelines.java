package io.lakehose.pipeline;

import io.lakehose.buffer.MemoryBudget;
import io.lakehose.commit.FileTrimmer;
import io.lakehose.commit.BothCommitter;
import io.lakehose.commit.LakeCommitter;
import io.lakehose.commit.folders.FolderCommitter;
import io.lakehose.commit.iceberg.IcebergCatalogs;
import io.lakehose.commit.folders.KeyLengths;
import io.lakehose.commit.iceberg.ChangeLogTables;
import io.lakehose.commit.iceberg.IcebergCommitter;
import io.lakehose.commit.iceberg.IcebergSettings;
import io.lakehose.config.ConfigException;
import io.lakehose.config.LakehoseConfig;
import io.lakehose.encode.ParquetSpoolWriter;
import io.lakehose.encode.ParquetTrimmer;
import io.lakehose.encode.RowEncoders;
import io.lakehose.encode.SchemaConfigException;
import io.lakehose.errorout.ErrorLineWriter;
import io.lakehose.errorout.ErrorLinesTrimmer;
import io.lakehose.sink.ObjectStore;

import org.apache.iceberg.catalog.Catalog;

import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;

/** Assembles the shared pipeline parts from the configuration. */
public final class Pipelines {

    /** The stream scope of object names when no stream is configured, and {@code convert}'s. */
    public static final String LOCAL_STREAM = "local";

    private Pipelines() {
    }

    /**
     * Every object name is scoped by the stream its records come from (docs/design.md, "Object
     * names"): its name, also when configured by ARN ({@code arn:...:stream/<name>}).
     */
    public static String streamScope(LakehoseConfig config) {
        String stream = config.kinesis().stream();
        if (stream == null || stream.isBlank()) {
            return LOCAL_STREAM;
        }
        return stream.startsWith("arn:") ? stream.substring(stream.lastIndexOf('/') + 1) : stream.strip();
    }

    /** How a finished file of each kind is cut to its rows after a mark (the folder fence's rare path). */
    public static Map<String, FileTrimmer> trimmers(LakehoseConfig config) {
        ErrorLinesTrimmer lines = new ErrorLinesTrimmer();
        return Map.of(".parquet", new ParquetTrimmer(config.parquet()), ".jsonl", lines, ".jsonl.gz", lines);
    }

    /** The folder layout's committer on {@code store}. */
    public static FolderCommitter folders(LakehoseConfig config, ObjectStore store) {
        return folders(config, store, streamScope(config));
    }

    private static FolderCommitter folders(LakehoseConfig config, ObjectStore store, String streamScope) {
        return new FolderCommitter(store, streamScope, trimmers(config), config.buffer().maxUploadBytesInFlight(),
                config.http().uploadStuckAfter(), config.layout()::legacyDirectories);
    }

    /**
     * The committer {@code lake.format} chooses: the folder layout on {@code store}, Iceberg
     * tables (whose error output is still the folder layout's on {@code store}), or both.
     */
    public static LakeCommitter committer(LakehoseConfig config, ObjectStore store) throws ConfigException {
        if (config.target() instanceof LakehoseConfig.S3Target) {
            KeyLengths.check(config.layout(), streamScope(config));
        }
        return committer(config, store, streamScope(config));
    }

    /**
     * The same, for {@code convert}: its records come from no stream, so its objects are scoped
     * {@value #LOCAL_STREAM} whatever {@code kinesis.stream} says (docs/design.md, "Object names"),
     * and the service's configuration can be used for a shared lake without mixing the two.
     *
     * @param shardId the input's shard ({@code input.SourceId}), whose keys must fit S3's limit
     */
    public static LakeCommitter convertCommitter(LakehoseConfig config, ObjectStore store, String shardId)
            throws ConfigException {
        if (config.target() instanceof LakehoseConfig.S3Target) {
            KeyLengths.check(config.layout(), LOCAL_STREAM, shardId);
        }
        return committer(config, store, LOCAL_STREAM);
    }

    private static LakeCommitter committer(LakehoseConfig config, ObjectStore store, String streamScope)
            throws ConfigException {
        return switch (config.lake().format()) {
            case FOLDERS -> folders(config, store, streamScope);
            case ICEBERG -> tables(config, store, streamScope);
            case BOTH -> {
                // One folder committer: it stores the tables' error files too, so it is bound and counted once.
                FolderCommitter folders = folders(config, store, streamScope);
                yield new BothCommitter(folders, tables(config, store, streamScope, folders));
            }
        };
    }

    /** The change-log tables' committer alone (a backfill writes the folders itself). */
    public static LakeCommitter tables(LakehoseConfig config, ObjectStore store) throws ConfigException {
        return tables(config, store, streamScope(config));
    }

    private static LakeCommitter tables(LakehoseConfig config, ObjectStore store, String streamScope)
            throws ConfigException {
        return tables(config, store, streamScope, folders(config, store, streamScope));
    }

    private static LakeCommitter tables(LakehoseConfig config, ObjectStore store, String streamScope,
                                        FolderCommitter errors) throws ConfigException {
        IcebergSettings iceberg = config.iceberg();
        Catalog catalog = catalog(config);
        ChangeLogTables.checkExisting(catalog, iceberg);
        return new IcebergCommitter(catalog, iceberg, config.layout(), streamScope, errors,
                new ParquetTrimmer(config.parquet()), typedRows(config)).keepingCurrentState(config.currentState())
                .boundingSnapshots(config.maintain().expireAfter(), config.maintain().keepSnapshots());
    }

    /** The tables' catalog (iceberg.catalog with lakehose's defaults), checked: a wrong setting fails naming its key. */
    public static Catalog catalog(LakehoseConfig config) throws ConfigException {
        String bucket = config.target() instanceof LakehoseConfig.S3Target s3 ? s3.bucket() : "";
        IcebergSettings iceberg = config.iceberg();
        return IcebergCatalogs.open(iceberg.catalogName(),
                IcebergCatalogs.properties(iceberg.catalogProperties(), config.s3Settings(bucket)));
    }

    /** The Parquet row schema of each table with a typed schema (tables.*): its change-log table gets its columns. */
    private static Map<String, org.apache.avro.Schema> typedRows(LakehoseConfig config) throws ConfigException {
        try {
            RowEncoders encoders = RowEncoders.load(config.tableSchemas(), (table, attribute) -> { });
            Map<String, org.apache.avro.Schema> rows = new HashMap<>();
            encoders.typedTables().forEach(t -> rows.put(t, encoders.schemaFor(t)));
            return rows;
        } catch (SchemaConfigException e) {
            throw new ConfigException(String.join("; ", e.problems()));
        }
    }

    /** @param encoders row encoder per table (typed schemas, else the envelope); shared by all shards */
    public static PipelineContext context(LakehoseConfig config, ObjectStore store, Path spoolDir,
                                          RowEncoders encoders, PipelineStats stats, boolean arrivalFromEventTime)
            throws ConfigException {
        return context(config, committer(config, store), spoolDir, encoders, stats, arrivalFromEventTime);
    }

    /** The same with any adapter of the commit port. */
    public static PipelineContext context(LakehoseConfig config, LakeCommitter committer, Path spoolDir,
                                          RowEncoders encoders, PipelineStats stats, boolean arrivalFromEventTime) {
        return new PipelineContext(
                config.layout(),
                ParquetSpoolWriter.factory(encoders::forTable, config.parquet(), committer.columnIds()),
                ErrorLineWriter.factory(config.lake().errorGzip(), config.lake().errorRawData()),
                config.buffer().limits(),
                MemoryBudget.forHeap(config.buffer().memoryCapBytes(), Runtime.getRuntime().maxMemory()),
                committer,
                spoolDir,
                stats,
                arrivalFromEventTime,
                config.input().eventTimeBounds());
    }
}
