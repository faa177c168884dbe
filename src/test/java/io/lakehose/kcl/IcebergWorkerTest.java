package io.lakehose.kcl;

import io.lakehose.config.LakehoseConfig;
import io.lakehose.encode.RowEncoders;
import io.lakehose.pipeline.PipelineContext;
import io.lakehose.pipeline.PipelineStats;
import io.lakehose.pipeline.Pipelines;
import io.lakehose.sink.S3ObjectStore;
import io.lakehose.testing.Await;
import io.lakehose.testing.CommandRun;
import io.lakehose.testing.DeployedMetrics;
import io.lakehose.testing.IcebergLake;
import io.lakehose.testing.LocalStackExtension;
import io.lakehose.testing.WorkerHarness;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import org.apache.iceberg.Snapshot;
import org.apache.iceberg.Table;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The service with {@code lake.format: iceberg} on the local stack: every record of the stream
 * once in the change-log table, every shard's watermark in the snapshot summary, the lease
 * checkpoints at the last records, the bad record in the folder layout's error output.
 */
class IcebergWorkerTest {

    @RegisterExtension
    static final LocalStackExtension aws = new LocalStackExtension();

    @TempDir
    Path tmp;

    @Test
    void everyRecordOnceInTheChangeLogTableAndTheLeasesCheckpointedAfterTheCommits() throws Exception {
        WorkerHarness h = new WorkerHarness(aws.stack(), "tables", 2);
        List<byte[]> records = new ArrayList<>();
        Instant t0 = Instant.parse("2024-11-25T23:30:00Z");
        for (int i = 0; i < 3000; i++) {
            records.add(WorkerHarness.change(i, t0.plusMillis(i * 1500L))); // crosses midnight: two day partitions
            if (i == 1500) {
                records.add("{\"not\": \"a change record\"}".getBytes(StandardCharsets.UTF_8));
            }
        }
        List<String> put = h.put(records);
        Path sqlite = tmp.resolve("catalog.db");
        String warehouse = "warehouse-" + tmp.getFileName();
        Map<String, String> extra = new HashMap<>(IcebergLake.workerConfig(aws.s3(), sqlite, warehouse));
        extra.put("lake.format", "iceberg");
        extra.put("iceberg.namespace", "cdc");
        extra.put("iceberg.commitIntervalSeconds", "2");
        LakehoseConfig cfg = h.loadConfig(extra);
        Map<String, String> last = WorkerHarness.lastSequenceByShard(put);
        PrometheusMeterRegistry registry = runUntilCheckpointed(h, cfg, last);
        // The Iceberg series the dashboard and the alert rules use are served (MetricsEndpointIT: the others).
        Set<String> iceberg = new TreeSet<>(DeployedMetrics.used());
        iceberg.removeIf(m -> !m.startsWith(DeployedMetrics.ICEBERG_PREFIX));
        assertThat(iceberg).isNotEmpty();
        assertThat(DeployedMetrics.exposed(registry.scrape())).containsAll(iceberg);

        try (IcebergLake reader = IcebergLake.open(aws.s3(), sqlite, warehouse)) {
            Table table = reader.table("cdc", "orders_changes");
            List<String> rows = IcebergLake.rows(table);
            List<String> expected = new ArrayList<>(put);
            String bad = expected.remove(1501);
            assertThat(rows).doesNotHaveDuplicates().containsExactlyInAnyOrderElementsOf(expected);
            Map<String, String> summary = table.currentSnapshot().summary();
            WorkerHarness.lastSequenceByShard(put).forEach((shard, sequence) -> {
                if (!(shard + "/" + sequence).equals(bad)) {
                    assertThat(summary).containsKey("lakehose.watermark." + shard);
                }
            });
            assertThat(table.spec().fields()).singleElement()
                    .satisfies(f -> assertThat(f.name()).isEqualTo("event_time_day"));

            // A replay of everything (checkpoints back to TRIM_HORIZON) re-reads every record: the
            // table's watermarks make the worker skip them all, so it gains no row and no data file.
            long snapshotBefore = table.currentSnapshot().snapshotId();
            CommandRun replay = CommandRun.of("replay", "--config", h.writeConfig(tmp.resolve("replay.yaml"), extra)
                    .toString(), "--to", "TRIM_HORIZON");
            assertThat(replay.exit).as(replay.out + replay.err).isZero();
            assertThat(h.checkpoints()).as("checkpoints reset by replay").isNotEqualTo(last);
            runUntilCheckpointed(h, cfg, last);
            table.refresh();
            assertThat(IcebergLake.rows(table)).as("rows after the replay").doesNotHaveDuplicates()
                    .containsExactlyInAnyOrderElementsOf(expected);
            for (Snapshot s = table.currentSnapshot(); s != null && s.snapshotId() != snapshotBefore;
                 s = s.parentId() == null ? null : table.snapshot(s.parentId())) {
                assertThat(s.addedDataFiles(table.io())).as("data files added by a snapshot after the replay").isEmpty();
            }
        }
        assertThat(aws.s3().client().listObjectsV2Paginator(b -> b.bucket(aws.s3().bucket()).prefix("tables-errors/"))
                .contents().stream().toList()).hasSize(1);
    }

    /** Runs a worker until every shard is checkpointed at {@code last}, then stops it; returns its registry. */
    private PrometheusMeterRegistry runUntilCheckpointed(WorkerHarness h, LakehoseConfig cfg, Map<String, String> last)
            throws Exception {
        try (S3ObjectStore store = new S3ObjectStore(cfg.s3Settings(aws.s3().bucket()))) {
            PipelineContext ctx = Pipelines.context(cfg, store, Files.createDirectories(tmp.resolve("spool")),
                    RowEncoders.envelopeOnly(), new PipelineStats(), false);
            PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
            ctx.committer().bindTo(registry); // as `run` does
            KinesisWorker worker = new KinesisWorker(cfg, ctx, Clock.systemUTC());
            CompletableFuture<Integer> run = WorkerHarness.runAsync(worker);
            Await.until("checkpoints at the last record " + last, Duration.ofSeconds(120), Duration.ofMillis(250),
                    h::checkpoints, last::equals);
            assertThat(h.checkpoints()).as("checkpoints at the last record, after the commits").isEqualTo(last);
            worker.shutdown();
            assertThat(run.get(60, TimeUnit.SECONDS)).isZero();
            return registry;
        }
    }
}
