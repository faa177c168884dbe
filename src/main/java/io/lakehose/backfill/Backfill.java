package io.lakehose.backfill;

import com.google.common.util.concurrent.RateLimiter;
import io.lakehose.aws.AwsCredentials;
import io.lakehose.config.LakehoseConfig;
import io.lakehose.config.BackfillSource;
import io.lakehose.encode.ParquetSpoolWriter;
import io.lakehose.encode.RowEncoders;
import io.lakehose.encode.SchemaConfigException;
import io.lakehose.errorout.ErrorLineWriter;
import io.lakehose.sink.ObjectStore;
import io.micrometer.core.instrument.MeterRegistry;
import software.amazon.awssdk.awscore.retry.AwsRetryStrategy;
import software.amazon.awssdk.regions.Region;
import software.amazon.awssdk.services.dynamodb.DynamoDbAsyncClient;
import software.amazon.awssdk.services.dynamodb.DynamoDbAsyncClientBuilder;

import java.io.IOException;
import java.io.PrintStream;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;

/**
 * {@code backfill}: every item of a table into the lake as SNAPSHOT rows, by a parallel Scan or
 * from a DynamoDB export, resumable (see {@link BackfillProgress}).
 */
public final class Backfill {

    private static final DateTimeFormatter RUN_ID = DateTimeFormatter.ofPattern("yyyyMMdd'T'HHmmssSSS'Z'")
            .withZone(ZoneOffset.UTC);

    /**
     * @param table      table name or ARN (export: the lake's table name; default from the manifest)
     * @param readRate   --read-rate as given, or empty for the default
     * @param fromExport export folder, or empty to scan
     * @param restart    start a new snapshot even if the last one is unfinished or complete
     * @param keyNames   the table's key attributes when they cannot be described (export of a
     *                   table out of reach); empty to ask DynamoDB
     */
    public record Options(String table, int segments, Optional<String> readRate, boolean consistentRead, int threads,
                          Optional<String> fromExport, boolean restart, Duration progressEvery, List<String> keyNames,
                          int pageItems) {

        /** Options with DynamoDB's own page size (up to 1 MB). */
        public Options(String table, int segments, Optional<String> readRate, boolean consistentRead, int threads,
                       Optional<String> fromExport, boolean restart, Duration progressEvery, List<String> keyNames) {
            this(table, segments, readRate, consistentRead, threads, fromExport, restart, progressEvery, keyNames, 0);
        }
    }

    /** @param alreadyComplete the same backfill had finished before; nothing was read */
    public record Result(String table, long items, long errors, long files, boolean resumed, boolean alreadyComplete,
                         String progressKey, Instant snapshotTime) {
    }

    /** Fails with a message naming the problem when {@code --read-rate} is unusable. */
    public static void checkReadRate(String text) {
        ReadRate.parse(text);
    }

    /**
     * The snapshot time is set this much before the scan begins. A reader keeps an item's latest
     * row, so every change made while the scan runs must order after the snapshot rows; with
     * second-precision change times (DynamoDB Streams) or a little clock skew between this task
     * and DynamoDB, a change just after the start could otherwise look older than the snapshot.
     * Setting the time earlier is safe: a change between it and the real start was read by the
     * scan too, so whichever row wins shows the same state (CDC must run from before it).
     */
    static final Duration SNAPSHOT_MARGIN = Duration.ofSeconds(1);

    private final LakehoseConfig config;
    private final ObjectStore store;
    private final Path spoolDir;
    private final MeterRegistry registry;
    private final PrintStream out;
    /** Where the units' row files go; set for the length of {@link #run}. */
    private RowFiles rowFiles;

    public Backfill(LakehoseConfig config, ObjectStore store, Path spoolDir, MeterRegistry registry, PrintStream out) {
        this.config = config;
        this.store = store;
        this.spoolDir = spoolDir;
        this.registry = registry;
        this.out = out;
    }

    public Result run(Options o) throws Exception {
        try (DynamoDbAsyncClient ddb = dynamo(config.backfill()); RowFiles files = RowFiles.forLake(config, store)) {
            rowFiles = files;
            if (o.fromExport().isPresent()) {
                return new ExportBackfill(this, ddb).run(o);
            }
            return scan(ddb, o);
        }
    }

    private Result scan(DynamoDbAsyncClient ddb, Options o) throws Exception {
        SourceTable table = SourceTable.describe(ddb, o.table());
        double rate = o.readRate().map(ReadRate::parse).orElse(table.provisionedRcu() > 0
                ? ReadRate.DEFAULT_PROVISIONED : new ReadRate(ReadRate.DEFAULT_ON_DEMAND_RCU, false))
                .unitsPerSecond(table.provisionedRcu(), table.name());
        ProgressStore progress = progressStore(table.name());
        Optional<BackfillProgress> saved = resumable(progress, o, "scan", o.segments());
        if (saved.isPresent() && saved.get().complete()) {
            return alreadyComplete(saved.get(), progress);
        }
        BackfillProgress p = saved.orElseGet(() -> {
            Instant now = Instant.now();
            return BackfillProgress.start(table.name(), "scan", RUN_ID.format(now), micros(now.minus(SNAPSHOT_MARGIN)),
                    o.segments());
        });
        progress.save(p);
        RateLimiter limiter = RateLimiter.create(rate);
        BackfillStats stats = new BackfillStats(registry, table.name(), p.units().size(), p.unitsDone(), p.items(),
                table.itemCount());
        BackfillContext ctx = context(table.name(), p, progress, stats);
        out.printf("backfill %s: %s %d segments at up to %.0f read units/s, snapshot time %s%n", table.name(),
                saved.isPresent() ? "resuming" : "scanning", o.segments(), rate, p.snapshotTime());
        List<Runnable> units = new ArrayList<>();
        for (BackfillProgress.Unit u : p.units()) {
            SnapshotRows rows = new SnapshotRows(table.name(), config.backfill().region(), p.snapshotMicros(),
                    table.keyNames(), p.runId());
            ScanSegment segment = new ScanSegment(ctx, ddb, table, u.index(), o.segments(), o.consistentRead(),
                    o.pageItems(), limiter, rows);
            units.add(unchecked(() -> segment.run(u)));
        }
        runAll(units, o, new ProgressLine(stats, table.name(), "segments"));
        return finished(progress, saved.isPresent(), stats);
    }

    /** The saved progress to continue, if the arguments match it; fails when they contradict it. */
    Optional<BackfillProgress> resumable(ProgressStore progress, Options o, String source, int units) {
        if (o.restart()) {
            return Optional.empty();
        }
        Optional<BackfillProgress> saved = progress.load();
        if (saved.isEmpty()) {
            return saved;
        }
        BackfillProgress p = saved.get();
        if (p.complete()) {
            return saved;
        }
        if (!p.source().equals(source)) {
            throw new BackfillArgumentException("an unfinished backfill of " + p.table() + " from " + p.source()
                    + " is saved in " + progress.key() + "; run it again with the same arguments to finish it, "
                    + "or pass --restart to start over");
        }
        if (p.units().size() != units) {
            throw new BackfillArgumentException("the unfinished backfill of " + p.table() + " used "
                    + p.units().size() + " " + (source.equals("scan") ? "segments" : "data files") + ", not " + units
                    + (source.equals("scan") ? "; resume it with --segments " + p.units().size() : "")
                    + ", or pass --restart to start over");
        }
        return saved;
    }

    ProgressStore progressStore(String table) {
        return new ProgressStore(store, config.layout().controlKey("backfill/" + table + ".json"), spoolDir);
    }

    BackfillContext context(String table, BackfillProgress p, ProgressStore progress, BackfillStats stats)
            throws SchemaConfigException {
        RowEncoders encoders = RowEncoders.load(config.tableSchemas(), (t, attribute) -> { });
        return new BackfillContext(store, rowFiles, config.layout(), table, UnitFiles.directory(config.layout(), table, p.snapshotMicros()),
                p.runId(), p.snapshotMicros(), spoolDir, ParquetSpoolWriter.factory(encoders::forTable, config.parquet()),
                ErrorLineWriter.factory(config.lake().errorGzip(), config.lake().errorRawData().withUnknownTable(table)),
                config.buffer().limits().maxBytes(), progress, stats);
    }

    /** Runs the units on a pool, printing the progress line; the first failure stops the others. */
    void runAll(List<Runnable> units, Options o, ProgressLine line) throws Exception {
        ExecutorService pool = Executors.newFixedThreadPool(Math.max(1, Math.min(o.threads(), units.size())),
                r -> new Thread(r, "backfill-unit"));
        ScheduledExecutorService ticker = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "backfill-progress");
            t.setDaemon(true);
            return t;
        });
        long every = Math.max(1, o.progressEvery().toMillis());
        ticker.scheduleAtFixedRate(() -> line.print(out), every, every, TimeUnit.MILLISECONDS);
        try {
            List<Future<?>> futures = new ArrayList<>();
            for (Runnable u : units) {
                futures.add(pool.submit(u));
            }
            for (Future<?> f : futures) {
                try {
                    f.get();
                } catch (ExecutionException e) {
                    pool.shutdownNow();
                    Throwable cause = e.getCause() instanceof UncheckedIOException u ? u.getCause() : e.getCause();
                    if (cause instanceof Exception ex) {
                        throw ex;
                    }
                    throw e;
                }
            }
        } finally {
            ticker.shutdownNow();
            pool.shutdownNow();
            pool.awaitTermination(30, TimeUnit.SECONDS);
        }
        line.print(out);
    }

    /** The same backfill had finished before: nothing was read this time. */
    Result alreadyComplete(BackfillProgress p, ProgressStore progress) {
        return new Result(p.table(), p.items(), 0, 0, true, true, progress.key(), p.snapshotTime());
    }

    Result finished(ProgressStore progress, boolean resumed, BackfillStats s) {
        BackfillProgress p = progress.current();
        return new Result(p.table(), p.items(), s.errors(), s.files(), resumed, false, progress.key(), p.snapshotTime());
    }

    LakehoseConfig config() {
        return config;
    }

    MeterRegistry registry() {
        return registry;
    }

    PrintStream out() {
        return out;
    }

    static long micros(Instant t) {
        return t.getEpochSecond() * 1_000_000L + t.getNano() / 1000;
    }

    /** A unit's body as a Runnable: checked failures travel to {@link #runAll} wrapped. */
    static Runnable unchecked(IoRunnable body) {
        return () -> {
            try {
                body.run();
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        };
    }

    @FunctionalInterface
    interface IoRunnable {
        void run() throws IOException;
    }

    private static DynamoDbAsyncClient dynamo(BackfillSource source) {
        DynamoDbAsyncClientBuilder b = DynamoDbAsyncClient.builder()
                .region(Region.of(source.region()))
                .credentialsProvider(AwsCredentials.provider(source.role()))
                // Throttling is expected under a rate near the table's capacity: wait, don't fail.
                .overrideConfiguration(c -> c.retryStrategy(AwsRetryStrategy.standardRetryStrategy().toBuilder()
                        .maxAttempts(source.maxAttempts()).circuitBreakerEnabled(false).build()));
        source.endpoint().ifPresent(b::endpointOverride);
        return b.build();
    }
}
