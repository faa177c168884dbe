package io.lakehose.kcl;

import io.lakehose.config.LakehoseConfig;
import io.lakehose.encode.RowEncoders;
import io.lakehose.pipeline.PipelineContext;
import io.lakehose.pipeline.PipelineStats;
import io.lakehose.pipeline.Pipelines;
import io.lakehose.sink.S3ObjectStore;
import io.lakehose.testing.Await;
import io.lakehose.testing.DuckDbLake;
import io.lakehose.testing.LocalStackExtension;
import io.lakehose.testing.WorkerHarness;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;
import software.amazon.awssdk.services.s3.model.HeadObjectResponse;
import software.amazon.awssdk.services.s3.model.ServerSideEncryption;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/** One in-process worker against kinesis-local, DynamoDB Local and S3Proxy. */
class KinesisWorkerTest {

    @RegisterExtension
    static final LocalStackExtension aws = new LocalStackExtension();

    @TempDir
    Path tmp;

    @Test
    void eightThousandChangesOverFourShardsLandExactlyOnceWithCheckpointsAtTheEnd() throws Exception {
        WorkerHarness h = new WorkerHarness(aws.stack(), "e2e", 4);
        List<byte[]> records = new ArrayList<>();
        Instant t0 = Instant.parse("2024-11-25T07:30:00Z");
        // 2,000 records a shard: kinesis-mock's PutRecords slows down fivefold past about 7,000 (KinesisLocal).
        for (int i = 0; i < 8_000; i++) {
            records.add(WorkerHarness.change(i, t0.plusMillis(i * 750L))); // 100 minutes: three hour partitions
            if (i == 4_000) {
                records.add("{\"not\": \"a change record\"}".getBytes(StandardCharsets.UTF_8)); // one bad record mid-stream
            }
        }
        List<String> put = h.put(records);
        String badRecord = put.get(4_001);

        LakehoseConfig cfg = h.loadConfig(Map.of());
        PipelineStats stats = new PipelineStats();
        Path spool = Files.createDirectories(tmp.resolve("spool"));
        try (S3ObjectStore store = new S3ObjectStore(cfg.s3Settings(aws.s3().bucket()))) {
            PipelineContext ctx = Pipelines.context(cfg, store, spool, RowEncoders.envelopeOnly(), stats, false);
            KinesisWorker worker = new KinesisWorker(cfg, ctx, Clock.systemUTC());
            CompletableFuture<Integer> run = WorkerHarness.runAsync(worker);
            Await.until(() -> "every record decoded: " + stats.summary(), Duration.ofSeconds(120), Duration.ofMillis(200),
                    () -> stats.rows.sum() + stats.errors.sum() >= records.size());
            // At least once from the stream (a lease renewed late on a loaded machine is re-read
            // from its checkpoint); exactly once in the lake is what the rest of the test checks.
            assertThat(stats.records.sum()).as("records consumed").isGreaterThanOrEqualTo(records.size());
            worker.shutdown();
            assertThat(run.get(60, TimeUnit.SECONDS)).as("exit code").isZero();
        }

        // Exactly once: every put record is one row, or (the bad one) one error line.
        Path lake = tmp.resolve("lake");
        List<String> keys = h.download(lake);
        List<String> rows = h.rows(lake);
        assertThat(rows).hasSize(8_000).doesNotHaveDuplicates();
        List<String> expected = new ArrayList<>(put);
        expected.remove(badRecord);
        assertThat(new HashSet<>(rows)).isEqualTo(new HashSet<>(expected));
        List<Path> errorFiles = DuckDbLake.files(lake.resolve("e2e-errors"), ".jsonl");
        assertThat(errorFiles).hasSize(1);
        String errorLine = Files.readString(errorFiles.get(0));
        assertThat(errorLine).contains("\"error_code\":\"not_a_cdc_record\"")
                .contains("\"sequence_number\":\"" + badRecord.split("/")[1] + "\"");

        // The lease table's checkpoints are the last sequence numbers of every shard.
        assertThat(h.checkpoints()).isEqualTo(WorkerHarness.lastSequenceByShard(put));

        // Every object carries SSE-KMS with the configured key.
        assertThat(keys).isNotEmpty();
        for (String key : keys) {
            HeadObjectResponse head = aws.s3().client().headObject(b -> b.bucket(aws.s3().bucket()).key(key));
            assertThat(head.serverSideEncryption()).as(key).isEqualTo(ServerSideEncryption.AWS_KMS);
            assertThat(head.ssekmsKeyId()).as(key).isEqualTo(WorkerHarness.KMS_KEY);
        }
        assertThat(keys).anyMatch(k -> k.startsWith("e2e/table=orders/dt=2024-11-25/hour=07/e2e~shardId-"))
                .anyMatch(k -> k.startsWith("e2e/table=orders/dt=2024-11-25/hour=09/e2e~shardId-"));
    }

    @Test
    void aQuietShardStillFlushesByAgeAndCheckpoints() throws Exception {
        WorkerHarness h = new WorkerHarness(aws.stack(), "quiet", 1);
        List<String> put = h.put(List.of(WorkerHarness.change(1, Instant.now()), WorkerHarness.change(2, Instant.now())));
        LakehoseConfig cfg = h.loadConfig(Map.of("buffer.maxAgeSeconds", "2"));
        PipelineStats stats = new PipelineStats();
        try (S3ObjectStore store = new S3ObjectStore(cfg.s3Settings(aws.s3().bucket()))) {
            PipelineContext ctx = Pipelines.context(cfg, store, Files.createDirectories(tmp.resolve("spool2")),
                    RowEncoders.envelopeOnly(), stats, false);
            KinesisWorker worker = new KinesisWorker(cfg, ctx, Clock.systemUTC());
            CompletableFuture<Integer> run = WorkerHarness.runAsync(worker);
            // No more records arrive: only the wall-clock age can flush and checkpoint.
            Await.until("a checkpoint at the last record", Duration.ofSeconds(60), Duration.ofMillis(250),
                    () -> h.checkpoints().values().contains(put.get(1).split("/")[1]));
            assertThat(h.rowsNow()).containsExactlyInAnyOrderElementsOf(put);
            assertThat(h.checkpoints()).containsValue(put.get(1).split("/")[1]);
            worker.shutdown();
            assertThat(run.get(60, TimeUnit.SECONDS)).isZero();
        }
    }
}
