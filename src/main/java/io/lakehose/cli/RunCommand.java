package io.lakehose.cli;

import io.lakehose.config.LakehoseConfig;
import io.lakehose.encode.RowEncoders;
import io.lakehose.kcl.KinesisWorker;
import io.lakehose.pipeline.PipelineContext;
import io.lakehose.pipeline.PipelineStats;
import io.lakehose.pipeline.Pipelines;
import io.lakehose.metrics.HttpEndpoints;
import io.lakehose.maintain.MaintenanceSchedule;
import io.lakehose.metrics.LakehoseMetrics;
import io.lakehose.metrics.S3RetryCounter;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.net.BindException;
import java.nio.file.Path;
import java.time.Clock;
import java.util.concurrent.Callable;

/** The service: consume the Kinesis stream into the lake until SIGTERM. */
@Command(name = "run", mixinStandardHelpOptions = true,
        description = "Consume the DynamoDB-fed Kinesis stream (KCL 2.x) into the lake, checkpointing in the "
                + "KCL lease table, until SIGTERM/SIGINT; then flush, checkpoint and exit 0.")
final class RunCommand implements Callable<Integer> {

    private static final Logger LOG = LoggerFactory.getLogger(RunCommand.class);

    @Option(names = {"-c", "--config"}, required = true, paramLabel = "FILE", description = "YAML configuration.")
    Path config;

    @Override
    public Integer call() throws Exception {
        LakehoseConfig cfg = ConfigFiles.loadWithStream(config, "run");
        if (cfg.target() instanceof LakehoseConfig.S3Target lake) {
            // The service writes CDC data for months: encryption is settled before the first record.
            cfg.s3().missingEncryption().ifPresent(why -> {
                throw new UserError("run refuses to write s3://" + lake.bucket() + " unencrypted: " + why);
            });
        }
        PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
        PipelineStats stats = new PipelineStats(registry);
        RowEncoders encoders = RowEncoders.load(cfg.tableSchemas(), (table, attribute) -> stats.drift(table));
        LakeWriterSetup setup = LakeWriterSetup.forTarget(cfg, new S3RetryCounter(registry));
        KinesisWorker worker = null;
        try {
            PipelineContext ctx = Pipelines.context(cfg, setup.store(), setup.spoolDir(), encoders, stats, false);
            worker = new KinesisWorker(cfg, ctx, Clock.systemUTC());
            ctx.committer().bindTo(registry);
            try (LakehoseMetrics metrics = new LakehoseMetrics(registry, cfg.kinesis().stream(), stats, worker.leases(),
                    ctx.memory(), Clock.systemUTC());
                 AutoCloseable http = cfg.http().port() == 0 ? () -> { }
                         : new HttpEndpoints(cfg.http().endpoint(), registry, worker::health, worker::readiness);
                 AutoCloseable maintenance = MaintenanceSchedule.start(cfg, registry)) {
                StopSignals.onStop(worker::shutdown);
                int code = worker.run();
                LOG.info("lakehose stopped: {}", stats.summary()); // a log line: run's stderr holds only log lines
                return code;
            }
        } catch (BindException e) {
            throw new UserError("http.port " + cfg.http().port() + " on http.bindAddress " + cfg.http().bindAddress().getHostAddress()
                    + " is in use or not an address of this host (set http.port or LAKEHOSE_HTTP_PORT, 0 turns the "
                    + "endpoints off; or http.bindAddress)");
        } finally {
            if (worker == null) {
                setup.cleanUp();
            } else {
                setup.cleanUp(worker.stopTimeLeft()); // the stop's budget covers closing the S3 client too
            }
        }
    }
}
