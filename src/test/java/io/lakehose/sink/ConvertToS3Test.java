package io.lakehose.sink;

import io.lakehose.testing.EmulatorAccess;
import io.lakehose.config.ConfigLoader;
import io.lakehose.config.LakehoseConfig;
import io.lakehose.encode.RowEncoders;
import io.lakehose.pipeline.FileConverter;
import io.lakehose.pipeline.LineBatches;
import io.lakehose.pipeline.PipelineContext;
import io.lakehose.pipeline.PipelineStats;
import io.lakehose.pipeline.Pipelines;
import io.lakehose.sink.FaultInjectingHttpClient.Fault;
import io.lakehose.sink.FaultInjectingHttpClient.FaultPlan;
import io.lakehose.testing.DuckDbLake;
import io.lakehose.testing.S3EmulatorExtension;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;
import software.amazon.awssdk.services.s3.model.HeadObjectResponse;
import software.amazon.awssdk.services.s3.model.S3Object;
import software.amazon.awssdk.services.s3.model.ServerSideEncryption;

import java.io.ByteArrayInputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The whole pipeline into S3 (S3Proxy, in-process) while S3 answers 503 SlowDown and 500 for a
 * while: every object carries SSE-KMS, and every line is in the lake exactly once.
 */
class ConvertToS3Test {

    private static final String KEY = "arn:aws:kms:us-east-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab";
    @RegisterExtension
    static final S3EmulatorExtension s3 = new S3EmulatorExtension();

    @TempDir
    Path tmp;


    private static String line(int i) {
        long millis = Instant.parse("2024-11-25T06:00:00Z").toEpochMilli() + i * 1_500L; // ~4 hours of events
        return "{\"awsRegion\":\"us-east-1\",\"eventID\":\"ev-" + i + "\",\"eventName\":\"MODIFY\",\"tableName\":\"orders\","
                + "\"dynamodb\":{\"ApproximateCreationDateTime\":" + millis + ",\"Keys\":{\"id\":{\"N\":\"" + i + "\"}},"
                + "\"NewImage\":{\"id\":{\"N\":\"" + i + "\"},\"total\":{\"N\":\"12345678901234567890.123456789012345678\"}},"
                + "\"SizeBytes\":64},\"eventSource\":\"aws:dynamodb\"}";
    }

    @Test
    void everyRecordExactlyOnceAndEveryObjectEncryptedDespiteThrottling() throws Exception {
        int lines = 10_000;
        StringBuilder input = new StringBuilder();
        int bad = 0;
        for (int i = 1; i <= lines; i++) {
            if (i % 997 == 0) {
                input.append("{\"truncated\":").append('\n');
                bad++;
            } else {
                input.append(line(i)).append('\n');
            }
        }
        LakehoseConfig cfg = ConfigLoader.load(null, Map.of(), Map.of(
                "lake.uri", "s3://" + s3.bucket() + "/lake",
                "buffer.maxRecords", "250",
                "s3.kmsKeyId", KEY));

        // The first 40 SDK calls of every kind get one fault, every third of them a second one.
        FaultPlan plan = a -> a.invocation() < 40 && a.attempt() <= (a.invocation() % 3 == 0 ? 2 : 1)
                ? Optional.of(a.attempt() == 1 ? Fault.SLOW_DOWN : Fault.INTERNAL_ERROR) : Optional.empty();
        S3Settings base = cfg.s3Settings(s3.bucket());
        S3Settings settings = new S3Settings(base.bucket(), EmulatorAccess.REGION, Optional.of(s3.endpoint()), true,
                base.kmsKey(), base.multipartThresholdBytes(), base.partSizeBytes(), 5, false);
        FaultInjectingHttpClient http = new FaultInjectingHttpClient(S3ObjectStore.httpClientBuilder().build(), plan);
        PipelineStats stats = new PipelineStats();
        try (S3ObjectStore store = new S3ObjectStore(settings, http)) {
            PipelineContext ctx = Pipelines.context(cfg, store, Files.createDirectories(tmp.resolve("spool")),
                    RowEncoders.envelopeOnly(), stats, true);
            new FileConverter(ctx, 2, "local", Instant.parse("2026-01-01T00:00:00Z").toEpochMilli() * 1000)
                    .convert(new LineBatches(new ByteArrayInputStream(input.toString().getBytes(StandardCharsets.UTF_8)), 0));
        }
        assertThat(http.faulted().size()).as("faults injected").isGreaterThanOrEqualTo(40);
        assertThat(stats.rows.sum()).isEqualTo(lines - bad);
        assertThat(stats.errors.sum()).isEqualTo(bad);

        // Every object, data and errors: SSE-KMS with our key; download the lake for DuckDB.
        Path local = tmp.resolve("download");
        List<S3Object> objects = s3.client().listObjectsV2Paginator(b -> b.bucket(s3.bucket())).contents().stream().toList();
        assertThat(objects).hasSize((int) (stats.dataFiles.sum() + stats.errorFiles.sum()));
        for (S3Object o : objects) {
            HeadObjectResponse head = s3.client().headObject(b -> b.bucket(s3.bucket()).key(o.key()));
            assertThat(head.serverSideEncryption()).as(o.key()).isEqualTo(ServerSideEncryption.AWS_KMS);
            assertThat(head.ssekmsKeyId()).as(o.key()).isEqualTo(KEY);
            Path target = local.resolve(o.key());
            Files.createDirectories(target.getParent());
            s3.client().getObject(b -> b.bucket(s3.bucket()).key(o.key()), target);
        }
        assertThat(objects).allMatch(o -> o.key().startsWith("lake/table=orders/dt=2024-11-25/hour=")
                || o.key().startsWith("errors/table=unknown/reason=invalid_json/"));

        try (DuckDbLake db = DuckDbLake.open()) {
            List<Map<String, Object>> counts = db.query("SELECT count(*) AS n, count(DISTINCT sequence_number) AS d, "
                    + "min(CAST(sequence_number AS BIGINT)) AS lo, max(CAST(sequence_number AS BIGINT)) AS hi FROM "
                    + DuckDbLake.lake(local.resolve("lake")));
            assertThat(((Number) counts.get(0).get("n")).longValue()).isEqualTo(lines - bad);
            assertThat(((Number) counts.get(0).get("d")).longValue()).isEqualTo(lines - bad);
            assertThat(((Number) counts.get(0).get("lo")).longValue()).isEqualTo(1);
            assertThat(((Number) counts.get(0).get("hi")).longValue()).isEqualTo(lines);
            List<Map<String, Object>> sample = db.query("SELECT new_image FROM " + DuckDbLake.lake(local.resolve("lake"))
                    + " WHERE sequence_number = '4242'");
            assertThat(sample.get(0).get("new_image"))
                    .isEqualTo("{\"id\":4242,\"total\":12345678901234567890.123456789012345678}");
        }
        Map<String, Integer> errorLines = new HashMap<>();
        for (Path f : DuckDbLake.files(local.resolve("errors"), ".jsonl")) {
            errorLines.merge("all", Files.readAllLines(f).size(), Integer::sum);
        }
        assertThat(errorLines.get("all")).isEqualTo(bad);
    }
}
