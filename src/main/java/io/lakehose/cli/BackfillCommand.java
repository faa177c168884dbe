package io.lakehose.cli;

import io.lakehose.backfill.Backfill;
import io.lakehose.backfill.BackfillArgumentException;
import io.lakehose.config.LakehoseConfig;
import io.lakehose.metrics.HttpEndpoints;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.net.BindException;
import java.net.InetSocketAddress;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.Callable;

/** Full load of a table into the lake, by parallel Scan or from an export; resumable. */
@Command(name = "backfill", mixinStandardHelpOptions = true,
        description = {"Write every item of a DynamoDB table into the lake as SNAPSHOT rows (event_time = one second "
                + "before the scan began, or the export time), partitioned like the change rows.",
                "Progress is saved in the lake (_lakehose/backfill/<table>.json); run the same command again "
                        + "after a failure or kill to continue without duplicating rows."})
final class BackfillCommand implements Callable<Integer> {

    @Option(names = {"-c", "--config"}, required = true, paramLabel = "FILE", description = "YAML configuration.")
    Path config;

    @Option(names = "--table", paramLabel = "NAME|ARN",
            description = "Table to scan (an ARN reads another account's table). With --from-export: the lake's "
                    + "table name (default: from the export's manifest).")
    String table;

    @Option(names = "--segments", paramLabel = "N", defaultValue = "8",
            description = "Parallel Scan segments (default: ${DEFAULT-VALUE}).")
    int segments;

    @Option(names = "--threads", paramLabel = "N",
            description = "Segments read at once (default: the number of segments, at most 4). Each holds one "
                    + "open Parquet file, up to parquet.rowGroupBytes of heap.")
    Integer threads;

    @Option(names = "--read-rate", paramLabel = "RCU|PCT%",
            description = "Read capacity per second for the whole scan: units (500) or a share of a provisioned "
                    + "table's read capacity (25%%). Default: 25%% of provisioned capacity, 1000 units/s for "
                    + "on-demand tables.")
    String readRate;

    @Option(names = "--page-items", paramLabel = "N", defaultValue = "0",
            description = "Items per Scan page (default: DynamoDB's 1 MB pages). Smaller pages spread reads "
                    + "more evenly under --read-rate.")
    int pageItems;

    @Option(names = "--consistent-read", description = "Strongly consistent Scan (twice the read units).")
    boolean consistentRead;

    @Option(names = "--from-export", paramLabel = "s3://bucket/prefix/AWSDynamoDB/<export-id>/",
            description = "Read a DynamoDB export to S3 (DYNAMODB_JSON) instead of scanning: no read capacity used.")
    String fromExport;

    @Option(names = "--keys", split = ",", paramLabel = "ATTR",
            description = "Key attribute names (partition key first) when the table cannot be described, e.g. "
                    + "the export of a table out of reach.")
    List<String> keys;

    @Option(names = "--restart", description = "Start a new snapshot even if the last one is unfinished or complete.")
    boolean restart;

    @Option(names = "--progress-seconds", paramLabel = "S", defaultValue = "10",
            description = "Seconds between progress lines (default: ${DEFAULT-VALUE}).")
    long progressSeconds;

    // Not http.port: that is the service's (`run`), and a backfill runs beside it, often on the same host.
    @Option(names = "--http-port", paramLabel = "PORT", defaultValue = "0",
            description = "Serve /metrics, /health and /ready on this port while the backfill runs (default: "
                    + "none; http.port is the service's).")
    int httpPort;

    @Override
    public Integer call() throws Exception {
        if ((table == null || table.isBlank()) && fromExport == null) {
            throw new UserError("--table is required (or --from-export)");
        }
        if (segments < 1 || segments > 1_000_000) {
            throw new UserError("--segments " + segments + " must be between 1 and 1000000");
        }
        if (pageItems < 0) {
            throw new UserError("--page-items must be 0 (DynamoDB's default) or more");
        }
        if (progressSeconds < 1) {
            throw new UserError("--progress-seconds must be at least 1");
        }
        LakehoseConfig cfg = ConfigFiles.load(config);
        Optional<String> rate = Optional.ofNullable(readRate);
        try {
            rate.ifPresent(Backfill::checkReadRate);
        } catch (BackfillArgumentException e) {
            throw new UserError(e.getMessage());
        }
        if (httpPort < 0 || httpPort > 65535) {
            throw new UserError("--http-port " + httpPort + " must be between 0 (none) and 65535");
        }
        int port = httpPort;
        PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
        LakeWriterSetup setup = LakeWriterSetup.forTarget(cfg);
        Backfill.Options options = new Backfill.Options(table, segments, rate, consistentRead,
                threads != null ? threads : Math.min(segments, 4), Optional.ofNullable(fromExport), restart,
                Duration.ofSeconds(progressSeconds), keys == null ? List.of() : List.copyOf(keys), pageItems);
        try (AutoCloseable http = port == 0 ? () -> { }
                : new HttpEndpoints(new InetSocketAddress(cfg.http().bindAddress(), port), registry, Optional::empty,
                        Optional::empty)) {
            Backfill.Result r = new Backfill(cfg, setup.store(), setup.spoolDir(), registry, System.out).run(options);
            if (r.alreadyComplete()) {
                System.out.printf("backfill %s: already complete (%,d items, snapshot time %s, progress %s); "
                        + "--restart starts a new snapshot%n", r.table(), r.items(), r.snapshotTime(), r.progressKey());
            } else {
                System.out.printf("backfill %s done: %,d items in the lake (snapshot time %s), %,d files, %,d to the "
                        + "error output%s%n", r.table(), r.items(), r.snapshotTime(), r.files(), r.errors(),
                        r.resumed() ? ", resumed" : "");
            }
            return 0;
        } catch (BindException e) {
            throw new UserError("--http-port " + port + " is in use (choose another port, or leave it out: "
                    + "no HTTP endpoint)");
        } catch (BackfillArgumentException e) {
            throw new UserError(e.getMessage());
        } finally {
            setup.cleanUp();
        }
    }
}
