package io.lakehose.cli;

import io.lakehose.commit.iceberg.IcebergSettings;
import io.lakehose.commit.iceberg.LocalWarehouse;
import io.lakehose.config.ConfigKeys;
import io.lakehose.config.ConfigKeys.LakeFormat;
import io.lakehose.config.LakeConfig;
import io.lakehose.config.ConfigException;
import io.lakehose.config.LakehoseConfig;
import io.lakehose.encode.RowEncoders;
import io.lakehose.input.FileRead;
import io.lakehose.input.InputBatches;
import io.lakehose.input.InputRefusedException;
import io.lakehose.input.InputSet;
import io.lakehose.input.SourceId;
import io.lakehose.pipeline.FileConverter;
import io.lakehose.pipeline.PipelineContext;
import io.lakehose.pipeline.PipelineStats;
import io.lakehose.pipeline.Pipelines;
import io.lakehose.sink.S3ObjectStore;
import picocli.CommandLine.Command;
import picocli.CommandLine.ITypeConverter;
import picocli.CommandLine.TypeConversionException;
import picocli.CommandLine.Option;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;

/** Files of change records in, a lake out: the service's pipeline without Kinesis (docs/design.md, "Interfaces"). */
@Command(name = "convert", mixinStandardHelpOptions = true,
        description = {"Convert files of DynamoDB change records (the JSON of DynamoDB's Kinesis integration, one "
                + "record per line or concatenated as Firehose writes them, plain or GZIP) into the partitioned "
                + "Parquet lake.",
                "Shard id is 'local-' and the input's id (--source-id); sequence numbers are positions (line or "
                        + "record numbers), prefixed by the file's number in input order from the second file on; "
                        + "arrival time is the event time (for a line that cannot be decoded, its file's last modification)."})
final class ConvertCommand implements Callable<Integer> {

    @Option(names = {"-i", "--input"}, required = true, paramLabel = "FILE|DIR|s3://bucket/prefix|-",
            description = "A file; a directory (every file under it, recursively, in name order); every object "
                    + "under an S3 prefix, in key order (read with the s3.* settings); '-' reads standard input. "
                    + "GZIP is recognised by its magic bytes.")
    String input;

    @Option(names = {"-o", "--output"}, required = true, paramLabel = "DIR|s3://bucket/prefix",
            description = "Lake root: a local directory or an S3 URI (overrides lake.uri).")
    String output;

    @Option(names = {"-c", "--config"}, paramLabel = "FILE", description = "YAML configuration (optional).")
    Path config;

    @Option(names = "--threads", paramLabel = "N", description = "Worker threads (default: all cores). "
            + "The output does not depend on N: converting the same input again adds nothing, with any N.")
    int threads = Runtime.getRuntime().availableProcessors();

    @Option(names = "--format", paramLabel = "folders|iceberg|both", converter = LakeFormats.class,
            description = "What to write (overrides lake.format). Into a local directory, iceberg writes a "
                    + "self-contained warehouse: a JDBC catalog on SQLite (DIR/catalog.db), the tables' files under "
                    + "DIR/warehouse, and DIR/catalog.properties for readers; error records stay files under DIR/errors. "
                    + "Tables are written by one writer thread; --threads still decodes in parallel.")
    LakeFormat format;

    @Option(names = "--source-id", paramLabel = "NAME", description = "The input's id, in its records' shard id "
            + "'local-NAME' (1-40 characters of A-Z a-z 0-9 . _ -). Default: a hash of the input's absolute path or "
            + "s3://bucket/prefix, so each input is a shard of its own and converting it again adds nothing. Name it "
            + "to keep an input's id when it moves; required for '-'. The same data under two ids is stored twice.")
    String sourceId;

    @Option(names = "--show", description = "After converting, list the files read and the objects written, "
            + "with their record counts.")
    boolean show;

    /**
     * Per input file, the arrival time of its lines that cannot be decoded: its last modification,
     * read once (every line of a file gets the same day); standard input has none, so the run's start.
     */
    private static long[] errorArrivalMicros(InputSet inputs) {
        long runStartMicros = System.currentTimeMillis() * 1000L;
        return inputs.files().stream()
                .mapToLong(f -> f.lastModified().map(t -> t.toEpochMilli() * 1000L).orElse(runStartMicros)).toArray();
    }

    @Override
    public Integer call() throws Exception {
        SourceId source = sourceId();
        LakehoseConfig cfg = loadConfig();
        // A table keeps one watermark per shard: two writers of the input's one shard would fence each other.
        int writers = cfg.lake().format() == LakeFormat.FOLDERS ? threads : 1;
        PipelineStats stats = show ? PipelineStats.listingStoredObjects() : new PipelineStats();
        RowEncoders encoders = RowEncoders.load(cfg.tableSchemas(), (table, attribute) -> stats.drift(table));
        try (InputSet inputs = resolve(input, cfg); InputBatches batches = new InputBatches(inputs)) {
            LakeWriterSetup setup = LakeWriterSetup.forTarget(cfg);
            long start = System.nanoTime();
            try {
                PipelineContext ctx = Pipelines.context(cfg,
                        Pipelines.convertCommitter(cfg, setup.store(), source.shardId()), setup.spoolDir(), encoders,
                        stats, true);
                long[] errorArrivalMicros = errorArrivalMicros(inputs);
                new FileConverter(ctx, threads, writers, source.shardId(), file -> errorArrivalMicros[file]).convert(batches);
            } catch (InputRefusedException e) {
                throw new UserError(e.getMessage());
            } finally {
                setup.cleanUp();
            }
            double seconds = (System.nanoTime() - start) / 1e9;
            System.out.printf("converted %s -> %s (shard %s): %s in %.2f s (%.1f MB/s)%n", inputs.describe(),
                    cfg.target(), source.shardId(), stats.summary(), seconds,
                    stats.inputBytes.sum() / 1e6 / Math.max(seconds, 1e-9));
            if (show) {
                showFilesRead(inputs, batches.filesRead());
                System.out.println("objects written under " + cfg.target() + " (records each):");
                stats.storedObjects().forEach((key, records) -> System.out.printf("  %s  %,d%n", key, records));
            }
        }
        return 0;
    }

    private SourceId sourceId() {
        try {
            return sourceId != null ? SourceId.named(sourceId) : SourceId.of(input);
        } catch (InputRefusedException e) {
            throw new UserError(e.getMessage());
        }
    }

    /**
     * The configuration with the command line's output (and format). Tables in a local directory
     * go to the directory's own warehouse, whatever catalog the file names.
     */
    private LakehoseConfig loadConfig() throws ConfigException, IOException {
        Map<String, String> overrides = new HashMap<>();
        overrides.put(LakeConfig.URI.path(), output);
        if (format != null) {
            overrides.put(LakeConfig.FORMAT.path(), format.name().toLowerCase(Locale.ROOT));
        }
        boolean localTables = format != null && format != LakeFormat.FOLDERS
                && LakehoseConfig.LakeTarget.parse(output) instanceof LakehoseConfig.LocalTarget;
        if (localTables) {
            overrides.put(ConfigKeys.ICEBERG_CATALOG_SECTION + ".type", "jdbc"); // replaced below
        }
        LakehoseConfig cfg = ConfigFiles.load(config, overrides);
        if (localTables) {
            Path dir = ((LakehoseConfig.LocalTarget) cfg.target()).directory();
            Files.createDirectories(dir);
            IcebergSettings configured = cfg.iceberg();
            cfg = cfg.withIceberg(new IcebergSettings(configured.catalogName(), LocalWarehouse.writerProperties(dir),
                    configured.namespace(), configured.commitInterval(), configured.partitionBy(),
                    configured.tableNames()));
            LocalWarehouse.writeReaderProperties(dir, configured.catalogName());
        }
        return cfg;
    }

    /** picocli's converter for {@code --format}: the names of lake.format, in any case. */
    static final class LakeFormats implements ITypeConverter<LakeFormat> {
        @Override
        public LakeFormat convert(String value) {
            try {
                return LakeFormat.valueOf(value.toUpperCase(Locale.ROOT));
            } catch (IllegalArgumentException e) {
                throw new TypeConversionException("'" + value + "' is not folders, iceberg or both");
            }
        }
    }

    private static InputSet resolve(String spec, LakehoseConfig cfg) {
        try {
            return InputSet.resolve(spec, bucket -> new S3ObjectStore(cfg.s3Settings(bucket)));
        } catch (InputRefusedException e) {
            throw new UserError(e.getMessage());
        }
    }

    /** One line per file: its number (the prefix of its sequence numbers), name, how it was read, records. */
    private static void showFilesRead(InputSet inputs, List<FileRead> files) {
        System.out.println("files read under " + inputs.origin() + " (number, name, format, records):");
        for (FileRead f : files) {
            System.out.printf("  %d  %s  %s%s  %,d%n", f.number(), shortName(inputs, f), f.gzip() ? "gzip, " : "",
                    f.format(), f.records());
        }
    }

    private static String shortName(InputSet inputs, FileRead f) {
        return inputs.shortName(inputs.files().get(f.number()));
    }
}
