package io.lakehose.commit.folders;

import io.lakehose.config.ConfigLoader;
import io.lakehose.config.LakehoseConfig;
import io.lakehose.decode.SequenceNumber;
import io.lakehose.decode.SourceRecord;
import io.lakehose.encode.RowEncoders;
import io.lakehose.pipeline.PipelineContext;
import io.lakehose.pipeline.PipelineStats;
import io.lakehose.pipeline.Pipelines;
import io.lakehose.pipeline.ShardPipeline;
import io.lakehose.sink.S3ObjectStore;
import io.lakehose.testing.DuckDbLake;
import io.lakehose.testing.S3EmulatorExtension;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;
import software.amazon.awssdk.services.s3.model.S3Object;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Two deployments (two streams) write one bucket: the same shard id, the same table, the same
 * sequence numbers. Every object name and every recovery listing is scoped by the stream, so
 * after both restart and re-read everything, each stream's records are in the lake once and each
 * bad record once in its table's error output (docs/design.md, "Object names").
 */
class OneBucketManyStreamsTest {

    private static final String SHARD = "shardId-000000000000";
    private static final long T0 = Instant.parse("2024-11-25T06:00:00Z").toEpochMilli() * 1000;
    @RegisterExtension
    static final S3EmulatorExtension s3 = new S3EmulatorExtension();

    @TempDir
    Path tmp;


    private static SourceRecord record(String stream, long seq) {
        String json = "{\"eventID\":\"" + stream + "-" + seq + "\",\"eventName\":\"INSERT\",\"tableName\":\"orders\","
                + "\"awsRegion\":\"us-east-1\",\"dynamodb\":{\"ApproximateCreationDateTime\":" + (T0 / 1000 + seq)
                + ",\"Keys\":{\"id\":{\"N\":\"" + seq + "\"}},\"NewImage\":{\"id\":{\"N\":\"" + seq + "\"}}},"
                + "\"eventSource\":\"aws:dynamodb\"}";
        String bad = "{\"eventID\":\"" + stream + "-" + seq + "\",\"tableName\":\"orders\",\"dynamodb\":{";
        return SourceRecord.of(SHARD, SequenceNumber.of(1000 + seq), T0 + seq,
                (seq % 17 == 0 ? bad : json).getBytes(StandardCharsets.UTF_8));
    }

    /** One deployment's pass over its stream's 100 records (a restart re-reads them all). */
    private void pass(S3ObjectStore store, String stream, int maxRecords) throws Exception {
        LakehoseConfig cfg = ConfigLoader.load(null, Map.of(), Map.of("lake.uri", "s3://" + s3.bucket() + "/lake",
                "kinesis.stream", stream, "buffer.maxRecords", Integer.toString(maxRecords)));
        PipelineContext ctx = Pipelines.context(cfg, store, Files.createTempDirectory(tmp, stream),
                RowEncoders.envelopeOnly(), new PipelineStats(), false);
        ShardPipeline shard = new ShardPipeline(SHARD, ctx, ctx.committer().openShard(SHARD, true));
        for (long s = 1; s <= 100; s++) {
            shard.accept(record(stream, s));
        }
        shard.flush().get(60, TimeUnit.SECONDS);
    }

    @Test
    void twoStreamsInOneBucketNeverTakeEachOthersObjectsForTheirOwn() throws Exception {
        try (S3ObjectStore store = new S3ObjectStore(s3.settings(Optional.empty()))) {
            pass(store, "alpha-cdc", 30);
            pass(store, "beta-cdc", 11);
            pass(store, "alpha-cdc", 7); // restarts: everything re-read, with other file boundaries
            pass(store, "beta-cdc", 40);
        }
        Path local = tmp.resolve("download");
        List<S3Object> objects = s3.client().listObjectsV2Paginator(b -> b.bucket(s3.bucket())).contents().stream().toList();
        for (S3Object o : objects) {
            Path target = local.resolve(o.key());
            Files.createDirectories(target.getParent());
            s3.client().getObject(b -> b.bucket(s3.bucket()).key(o.key()), target);
        }
        long goods = 100 - 100 / 17;
        try (DuckDbLake db = DuckDbLake.open()) {
            for (String stream : List.of("alpha-cdc", "beta-cdc")) {
                Map<String, Object> counts = db.query("SELECT count(*) AS n, count(DISTINCT event_id) AS d FROM "
                        + DuckDbLake.lake(local.resolve("lake")) + " WHERE event_id LIKE ?", stream + "-%").get(0);
                assertThat(((Number) counts.get("n")).longValue()).as(stream + " rows").isEqualTo(goods);
                assertThat(((Number) counts.get("d")).longValue()).as(stream + " distinct").isEqualTo(goods);
            }
        }
        for (String stream : List.of("alpha-cdc", "beta-cdc")) {
            long lines = 0;
            for (Path f : DuckDbLake.files(local.resolve("errors/table=orders"), ".jsonl")) {
                if (f.getFileName().toString().startsWith(stream + "~")) {
                    lines += Files.readAllLines(f).size();
                }
            }
            assertThat(lines).as(stream + ": bad records in the table's error output").isEqualTo(100 / 17);
        }
    }
}
