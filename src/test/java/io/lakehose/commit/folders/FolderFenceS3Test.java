package io.lakehose.commit.folders;

import io.lakehose.testing.ForwardingStore;
import io.lakehose.config.ConfigLoader;
import io.lakehose.config.LakehoseConfig;
import io.lakehose.decode.SequenceNumber;
import io.lakehose.decode.SourceRecord;
import io.lakehose.encode.RowEncoders;
import io.lakehose.pipeline.PipelineContext;
import io.lakehose.pipeline.PipelineStats;
import io.lakehose.pipeline.Pipelines;
import io.lakehose.pipeline.ShardPipeline;
import io.lakehose.sink.KmsKeyId;
import io.lakehose.sink.ObjectStore;
import io.lakehose.sink.S3ObjectStore;
import io.lakehose.sink.StoredObject;
import io.lakehose.testing.DuckDbLake;
import io.lakehose.testing.S3EmulatorExtension;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;
import software.amazon.awssdk.services.s3.model.HeadObjectResponse;
import software.amazon.awssdk.services.s3.model.S3Object;
import software.amazon.awssdk.services.s3.model.ServerSideEncryption;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Random;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The folder fence against a real conditional-write implementation (S3Proxy honours
 * {@code If-None-Match: *} on PutObject and CompleteMultipartUpload; S3Mock 5.x lets both writers
 * of a race win, so it could not prove this): a stale owner whose uploads were held back lands
 * them after the new owner re-wrote the same records with other file boundaries, and every
 * record is in the lake exactly once.
 */
class FolderFenceS3Test {

    private static final String KEY = "arn:aws:kms:us-east-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab";
    private static final String SHARD = "shardId-000000000001";
    private static final long T0 = Instant.parse("2024-11-25T06:00:00Z").toEpochMilli() * 1000;
    @RegisterExtension
    static final S3EmulatorExtension s3 = new S3EmulatorExtension();

    @TempDir
    Path tmp;


    /** Two tables and two hours: four partition directories, so one flush writes several objects. */
    private static SourceRecord record(long seq) {
        long eventMillis = T0 / 1000 + (seq % 2) * 3_600_000L + seq;
        String table = seq % 3 == 0 ? "payments" : "orders";
        String json = "{\"eventID\":\"e" + seq + "\",\"eventName\":\"INSERT\",\"tableName\":\"" + table + "\","
                + "\"awsRegion\":\"us-east-1\",\"dynamodb\":{\"ApproximateCreationDateTime\":" + eventMillis
                + ",\"Keys\":{\"id\":{\"N\":\"" + seq + "\"}},\"NewImage\":{\"id\":{\"N\":\"" + seq + "\"}}},"
                + "\"eventSource\":\"aws:dynamodb\"}";
        byte[] data = seq % 17 == 0 ? "{\"not\":\"a change\"".getBytes(StandardCharsets.UTF_8)
                : json.getBytes(StandardCharsets.UTF_8);
        return SourceRecord.of(SHARD, SequenceNumber.of(1_000_000 + seq), T0 + seq * 1000, data);
    }

    private LakehoseConfig config(int maxRecords) throws Exception {
        return ConfigLoader.load(null, Map.of(), Map.of(
                "lake.uri", "s3://" + s3.bucket() + "/lake",
                "kinesis.stream", "orders-cdc",
                "buffer.maxRecords", Integer.toString(maxRecords),
                "s3.kmsKeyId", KEY));
    }

    /** A writer of the shard: its own committer (its own process, in production) over {@code store}. */
    private PipelineContext writer(ObjectStore store, int maxRecords, String name) throws Exception {
        return Pipelines.context(config(maxRecords), store, Files.createDirectories(tmp.resolve(name)),
                RowEncoders.envelopeOnly(), new PipelineStats(), false);
    }

    private static ShardPipeline shard(PipelineContext ctx) {
        return new ShardPipeline(SHARD, ctx, ctx.committer().openShard(SHARD, true));
    }

    @Test
    void aStaleOwnersHeldBackUploadsLandAfterTheNewOwnersAndNoRecordIsDuplicatedOrLost() throws Exception {
        int records = 200;
        try (S3ObjectStore store = new S3ObjectStore(s3.settings(Optional.of(new KmsKeyId(KEY))))) {
            // The stale owner: its puts are held back (a slow proxy, a frozen process) until released.
            HeldStore held = new HeldStore(store);
            PipelineContext staleContext = writer(held, 23, "stale");
            ShardPipeline stale = shard(staleContext);
            for (long s = 1; s <= 150; s++) {
                stale.accept(record(s));
            }
            CompletableFuture<Void> staleFlush = stale.flush();
            assertThat(held.held).as("the stale owner's uploads are held back").isNotEmpty();

            // Its lease expired; the new owner starts from the last checkpoint (nothing) and cuts other files.
            ShardPipeline owner = shard(writer(store, 17, "owner"));
            for (long s = 1; s <= records; s++) {
                owner.accept(record(s));
            }
            owner.flush().get(60, TimeUnit.SECONDS);

            // The stale owner wakes up: every held upload reaches S3 now.
            held.release();
            staleFlush.get(60, TimeUnit.SECONDS);
            FenceCounters fence = ((FolderCommitter) staleContext.committer()).fenceCounters();
            assertThat(fence.racesLost.sum()).as("races the stale owner lost").isPositive();
            assertThat(fence.filesTrimmed.sum()).as("files cut to what the new owner had not stored").isPositive();
        }

        Path lake = download();
        try (DuckDbLake db = DuckDbLake.open()) {
            Map<String, Object> counts = db.query("SELECT count(*) AS n, count(DISTINCT sequence_number) AS d FROM "
                    + DuckDbLake.lake(lake.resolve("lake"))).get(0);
            long bad = records / 17;
            assertThat(((Number) counts.get("n")).longValue()).as("rows").isEqualTo(records - bad);
            assertThat(((Number) counts.get("d")).longValue()).as("distinct records").isEqualTo(records - bad);
        }
        long errorLines = 0;
        for (Path f : DuckDbLake.files(lake.resolve("errors"), ".jsonl")) {
            errorLines += Files.readAllLines(f).size();
        }
        assertThat(errorLines).as("bad records, each once").isEqualTo(records / 17);
    }

    @Test
    void conditionalPutsOfS3ProxyRefuseAnExistingKeyAlsoForMultipartUploads() throws Exception {
        try (S3ObjectStore store = new S3ObjectStore(s3.settings(Optional.of(new KmsKeyId(KEY))))) {
            for (int size : new int[] {1000, 9 << 20}) { // PutObject, and multipart (threshold 8 MiB)
                Path first = Files.write(tmp.resolve("first-" + size), randomBytes(size, 1));
                Path second = Files.write(tmp.resolve("second-" + size), randomBytes(size, 2));
                String key = "fence/object-" + size;
                Optional<StoredObject> won = store.putIfAbsent(first, key, "application/octet-stream",
                        Map.of("lakehose-last", "42")).get(60, TimeUnit.SECONDS);
                Optional<StoredObject> lost = store.putIfAbsent(second, key, "application/octet-stream",
                        Map.of("lakehose-last", "99")).get(60, TimeUnit.SECONDS);
                assertThat(won).isPresent();
                assertThat(lost).as("refused: the key exists").isEmpty();
                assertThat(store.metadata(key)).contains(Map.of("lakehose-last", "42"));
                assertThat(s3.client().getObjectAsBytes(b -> b.bucket(s3.bucket()).key(key)).asByteArray())
                        .as("the first writer's content stays").isEqualTo(Files.readAllBytes(first));
                HeadObjectResponse head = s3.client().headObject(b -> b.bucket(s3.bucket()).key(key));
                assertThat(head.serverSideEncryption()).isEqualTo(ServerSideEncryption.AWS_KMS);
                assertThat(head.ssekmsKeyId()).isEqualTo(KEY);
            }
            assertThat(store.metadata("fence/none")).isEmpty();
        }
    }

    private static byte[] randomBytes(int size, long seed) {
        byte[] b = new byte[size];
        new Random(seed).nextBytes(b);
        return b;
    }

    private Path download() throws Exception {
        Path local = tmp.resolve("download");
        List<S3Object> objects = s3.client().listObjectsV2Paginator(b -> b.bucket(s3.bucket()).prefix("")).contents()
                .stream().filter(o -> !o.key().startsWith("fence/")).toList();
        for (S3Object o : objects) {
            Path target = local.resolve(o.key());
            Files.createDirectories(target.getParent());
            s3.client().getObject(b -> b.bucket(s3.bucket()).key(o.key()), target);
        }
        return local;
    }

    /** An object store whose conditional puts wait until {@link #release()}, in the order they were asked. */
    private static final class HeldStore extends ForwardingStore {
        private final CompletableFuture<Void> gate = new CompletableFuture<>();
        final List<String> held = new CopyOnWriteArrayList<>();

        HeldStore(ObjectStore delegate) {
            super(delegate);
        }

        void release() {
            gate.complete(null);
        }

        @Override
        public CompletableFuture<Optional<StoredObject>> putIfAbsent(Path file, String key, String contentType,
                                                                     Map<String, String> metadata) {
            held.add(key);
            return gate.thenCompose(v -> delegate.putIfAbsent(file, key, contentType, metadata));
        }

        @Override
        public CompletableFuture<StoredObject> put(Path file, String key, String contentType) {
            return gate.thenCompose(v -> delegate.put(file, key, contentType));
        }

        @Override
        public void close() {
        }
    }
}
