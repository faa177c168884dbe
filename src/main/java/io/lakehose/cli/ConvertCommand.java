package io.lakehose.cli;

import io.lakehose.config.ConfigException;
import io.lakehose.config.ConfigKeys;
import io.lakehose.config.LakehoseConfig;
import io.lakehose.encode.RowEncoders;
import io.lakehose.pipeline.FileConverter;
import io.lakehose.pipeline.PipelineContext;
import io.lakehose.pipeline.PipelineStats;
import io.lakehose.pipeline.Pipelines;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.io.BufferedInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.concurrent.Callable;

/** Files of change records in, a lake out: the service's pipeline without Kinesis (docs/design.md, "Interfaces"). */
@Command(name = "convert", mixinStandardHelpOptions = true,
        description = {"Convert a file of DynamoDB change records (one JSON record per line, the format of "
                + "DynamoDB's Kinesis integration) into the partitioned Parquet lake.",
                "Shard id is 'local', sequence numbers are line numbers, arrival time is the event time."})
final class ConvertCommand implements Callable<Integer> {

    @Option(names = {"-i", "--input"}, required = true, paramLabel = "FILE",
            description = "Input file of JSON lines; '-' reads standard input.")
    String input;

    @Option(names = {"-o", "--output"}, required = true, paramLabel = "DIR|s3://bucket/prefix",
            description = "Lake root: a local directory or an S3 URI (overrides lake.uri).")
    String output;

    @Option(names = {"-c", "--config"}, paramLabel = "FILE", description = "YAML configuration (optional).")
    Path config;

    @Option(names = "--threads", paramLabel = "N", description = "Worker threads (default: all cores).")
    int threads = Runtime.getRuntime().availableProcessors();

    @Option(names = "--show", description = "After converting, list the objects written and their record counts.")
    boolean show;

    @Override
    public Integer call() throws Exception {
        LakehoseConfig cfg = loadConfig();
        PipelineStats stats = show ? PipelineStats.listingStoredObjects() : new PipelineStats();
        RowEncoders encoders = RowEncoders.load(cfg.tableSchemas(), (table, attribute) -> stats.drift(table));
        InputStream in = openInput();
        LakeWriterSetup setup = LakeWriterSetup.forTarget(cfg);
        long start = System.nanoTime();
        try (in) {
            PipelineContext ctx = Pipelines.context(cfg, setup.store(), setup.spoolDir(), encoders, stats, true);
            new FileConverter(ctx, threads, "local", System.currentTimeMillis() * 1000L).convert(in);
        } finally {
            setup.cleanUp();
        }
        double seconds = (System.nanoTime() - start) / 1e9;
        System.out.printf("converted %s -> %s: %s in %.2f s (%.1f MB/s)%n", input, cfg.target(), stats.summary(),
                seconds, stats.inputBytes.sum() / 1e6 / Math.max(seconds, 1e-9));
        if (show) {
            System.out.println("objects written under " + cfg.target() + " (records each):");
            stats.storedObjects().forEach((key, records) -> System.out.printf("  %s  %,d%n", key, records));
        }
        return 0;
    }

    private LakehoseConfig loadConfig() throws ConfigException {
        return ConfigFiles.load(config, Map.of(ConfigKeys.LAKE_URI.path(), output));
    }

    private InputStream openInput() throws IOException {
        if (input.equals("-")) {
            return System.in;
        }
        Path p = Path.of(input);
        if (!Files.exists(p)) {
            throw new UserError("input file " + input + " does not exist");
        }
        if (!Files.isRegularFile(p) || !Files.isReadable(p)) {
            throw new UserError("input file " + input + " is not a readable file");
        }
        return new BufferedInputStream(Files.newInputStream(p), 1 << 20);
    }
}
