package io.lakehose.sink;

import io.lakehose.testing.EmulatorAccess;
import static io.lakehose.sink.FaultInjectingHttpClient.Fault.INTERNAL_ERROR;
import static io.lakehose.sink.FaultInjectingHttpClient.Fault.SLOW_DOWN;
import static io.lakehose.sink.FaultInjectingHttpClient.Operation.ABORT_MULTIPART_UPLOAD;
import static io.lakehose.sink.FaultInjectingHttpClient.Operation.COMPLETE_MULTIPART_UPLOAD;
import static io.lakehose.sink.FaultInjectingHttpClient.Operation.CREATE_MULTIPART_UPLOAD;
import static io.lakehose.sink.FaultInjectingHttpClient.Operation.PUT_OBJECT;
import static io.lakehose.sink.FaultInjectingHttpClient.Operation.UPLOAD_PART;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.lakehose.sink.FaultInjectingHttpClient.Attempt;
import io.lakehose.sink.FaultInjectingHttpClient.FaultPlan;
import io.lakehose.sink.FaultInjectingHttpClient.Operation;
import io.lakehose.testing.S3Emulator;
import io.lakehose.testing.S3EmulatorExtension;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Duration;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Random;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import org.junit.jupiter.params.provider.ValueSource;
import software.amazon.awssdk.http.SdkHttpRequest;
import software.amazon.awssdk.http.nio.netty.SdkEventLoopGroup;
import software.amazon.awssdk.services.s3.model.HeadObjectResponse;
import software.amazon.awssdk.services.s3.model.NoSuchKeyException;
import software.amazon.awssdk.services.s3.model.S3Exception;
import software.amazon.awssdk.services.s3.model.S3Object;
import software.amazon.awssdk.services.s3.model.ServerSideEncryption;

class S3ObjectStoreTest {

    private static final KmsKeyId KEY =
            new KmsKeyId("arn:aws:kms:us-east-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab");
    private static final String PARQUET = "application/vnd.apache.parquet";
    private static final long KIB = 1L << 10;
    private static final long MIB = 1L << 20;

    private static S3Emulator s3;
    /** Shared so that closing a store does not wait out Netty's 2 s graceful shutdown each time. */
    private static SdkEventLoopGroup eventLoops;

    @TempDir
    Path dir;

    @BeforeAll
    static void startEmulator() {
        s3 = S3Emulator.start();
        eventLoops = SdkEventLoopGroup.builder().build();
    }

    @AfterAll
    static void stopEmulator() {
        if (eventLoops != null) {
            eventLoops.eventLoopGroup().shutdownGracefully(0, 1, TimeUnit.SECONDS);
        }
        if (s3 != null) {
            s3.close();
        }
    }

    @ParameterizedTest(name = "checksumWhenRequired={0}")
    @ValueSource(booleans = {false, true})
    void smallFileGoesUpAsOnePutObjectWithSseKms(boolean checksumWhenRequired) throws Exception {
        String key = "small/" + checksumWhenRequired + "/part-0.parquet";
        Path file = randomFile("small.parquet", 300 * KIB + 7, 1);

        try (Harness h = Harness.open(settings(Optional.of(KEY), checksumWhenRequired, 5), FaultPlan.NONE)) {
            StoredObject stored = h.store.put(file, key, PARQUET).get(30, TimeUnit.SECONDS);

            assertThat(stored).isEqualTo(new StoredObject("s3://" + s3.bucket() + "/" + key, Files.size(file)));
            assertThat(h.http.attempts(PUT_OBJECT)).hasSize(1);
            assertThat(h.http.attempts(CREATE_MULTIPART_UPLOAD)).isEmpty();
            assertSseKmsHeaders(h.http.attempts(PUT_OBJECT).get(0).request());
        }
        HeadObjectResponse head = head(key);
        assertSseKms(head);
        assertThat(head.contentType()).isEqualTo(PARQUET);
        assertThat(head.contentLength()).isEqualTo(Files.size(file));
        assertThat(head.eTag()).doesNotContain("-");
        assertThat(digest(download(key))).isEqualTo(digest(Files.readAllBytes(file)));
    }

    @ParameterizedTest(name = "checksumWhenRequired={0}")
    @ValueSource(booleans = {false, true})
    void largeFileGoesUpAsMultipartUploadWithSseKmsOnCreate(boolean checksumWhenRequired) throws Exception {
        String key = "large/" + checksumWhenRequired + "/part-0.parquet";
        Path file = randomFile("large.parquet", 12 * MIB + 123, 2);

        try (Harness h = Harness.open(settings(Optional.of(KEY), checksumWhenRequired, 5), FaultPlan.NONE)) {
            StoredObject stored = h.store.put(file, key, PARQUET).get(30, TimeUnit.SECONDS);

            assertThat(stored.bytes()).isEqualTo(Files.size(file));
            assertThat(h.http.attempts(PUT_OBJECT)).isEmpty();
            assertThat(h.http.attempts(CREATE_MULTIPART_UPLOAD)).hasSize(1);
            assertSseKmsHeaders(h.http.attempts(CREATE_MULTIPART_UPLOAD).get(0).request());
            assertThat(h.http.attempts(UPLOAD_PART))
                    .extracting(a -> a.request().rawQueryParameters().get("partNumber").get(0))
                    .containsExactlyInAnyOrder("1", "2", "3");
            assertThat(h.http.attempts(COMPLETE_MULTIPART_UPLOAD)).hasSize(1);
            assertThat(h.http.attempts(ABORT_MULTIPART_UPLOAD)).isEmpty();
        }
        HeadObjectResponse head = head(key);
        assertSseKms(head);
        assertThat(head.contentType()).isEqualTo(PARQUET);
        assertThat(head.eTag()).as("multipart ETag has a -<parts> suffix").matches("\"?[0-9a-f]{32}-3\"?");
        assertThat(digest(download(key))).isEqualTo(digest(Files.readAllBytes(file)));
        assertNoUploadsLeft(key);
    }

    @Test
    void multipartThresholdIsInclusive() throws Exception {
        S3Settings settings = new S3Settings(s3.bucket(), EmulatorAccess.REGION, Optional.of(s3.endpoint()), true,
                Optional.of(KEY), 5 * MIB, 5 * MIB, 3, false);
        Path below = randomFile("below.bin", 5 * MIB - 1, 3);
        Path at = randomFile("at.bin", 5 * MIB, 4);

        try (Harness h = Harness.open(settings, FaultPlan.NONE)) {
            h.store.put(below, "threshold/below.bin", PARQUET).get(30, TimeUnit.SECONDS);
            h.store.put(at, "threshold/at.bin", PARQUET).get(30, TimeUnit.SECONDS);

            assertThat(h.http.attempts(PUT_OBJECT)).hasSize(1);
            assertThat(h.http.attempts(CREATE_MULTIPART_UPLOAD)).hasSize(1);
            assertThat(h.http.attempts(UPLOAD_PART)).hasSize(1);
        }
        assertThat(head("threshold/at.bin").eTag()).contains("-1");
        assertThat(digest(download("threshold/at.bin"))).isEqualTo(digest(Files.readAllBytes(at)));
    }

    @Test
    void withoutKmsKeyNoEncryptionHeaderIsSent() throws Exception {
        Path small = randomFile("small.bin", 10 * KIB, 5);
        Path large = randomFile("large.bin", 11 * MIB, 6);

        try (Harness h = Harness.open(settings(Optional.empty(), false, 3), FaultPlan.NONE)) {
            h.store.put(small, "plain/small.bin", PARQUET).get(30, TimeUnit.SECONDS);
            h.store.put(large, "plain/large.bin", PARQUET).get(30, TimeUnit.SECONDS);

            for (Operation op : List.of(PUT_OBJECT, CREATE_MULTIPART_UPLOAD)) {
                assertThat(h.http.attempts(op)).singleElement().satisfies(a -> assertThat(a.request().headers())
                        .doesNotContainKeys("x-amz-server-side-encryption",
                                "x-amz-server-side-encryption-aws-kms-key-id",
                                "x-amz-server-side-encryption-bucket-key-enabled"));
            }
        }
        for (String key : List.of("plain/small.bin", "plain/large.bin")) {
            HeadObjectResponse head = head(key);
            // S3 (and S3Proxy) report SSE-S3 (AES256) for objects stored without SSE headers.
            assertThat(head.serverSideEncryption()).as(key).isNotEqualTo(ServerSideEncryption.AWS_KMS);
            assertThat(head.ssekmsKeyId()).as(key).isNull();
        }
        assertThat(digest(download("plain/large.bin"))).isEqualTo(digest(Files.readAllBytes(large)));
    }

    @Test
    void putAgainReplacesTheObject() throws Exception {
        Path first = randomFile("first.bin", 2 * KIB, 7);
        Path second = randomFile("second.bin", 3 * KIB, 8);

        try (Harness h = Harness.open(settings(Optional.of(KEY), false, 3), FaultPlan.NONE)) {
            h.store.put(first, "again/x.bin", PARQUET).get(30, TimeUnit.SECONDS);
            h.store.put(second, "again/x.bin", PARQUET).get(30, TimeUnit.SECONDS);
            assertThat(h.store.describe()).isEqualTo("s3://" + s3.bucket());
        }
        assertThat(digest(download("again/x.bin"))).isEqualTo(digest(Files.readAllBytes(second)));
        assertThat(Files.exists(first)).as("the store never deletes the caller's file").isTrue();
    }

    @Test
    void listReturnsEveryKeyUnderAPrefixAcrossPages() throws Exception {
        Path f = randomFile("list.bin", 10, 9);
        try (Harness h = Harness.open(settings(Optional.of(KEY), false, 3), FaultPlan.NONE)) {
            for (int i = 0; i < 1005; i++) { // more than one ListObjectsV2 page (1,000 keys)
                h.store.put(f, "list/p/shard-1-" + i + "-" + i + ".parquet", PARQUET).get(30, TimeUnit.SECONDS);
            }
            h.store.put(f, "list/p/shard-2-1-1.parquet", PARQUET).get(30, TimeUnit.SECONDS);
            assertThat(h.store.list("list/p/shard-1-")).hasSize(1005).allMatch(k -> k.startsWith("list/p/shard-1-"));
            assertThat(h.store.list("list/q/")).isEmpty();
        }
    }

    /**
     * 50 concurrent puts (10 of them multipart) while a quarter of the SDK calls of every kind get
     * one 503 SlowDown or 500 InternalError and another quarter get two in a row. At most two
     * faults per call and 5 attempts per request, so every put must succeed; about 70 faults at 5
     * retry tokens each stay inside the SDK's 500-token retry bucket (a real outage that drains it
     * makes puts fail fast instead, which the caller handles as a failed flush).
     */
    @Test
    void concurrentPutsSurviveSlowDownAndInternalErrors() throws Exception {
        FaultPlan plan = attempt -> {
            int n = attempt.invocation();
            int faults = switch (n % 4) {
                case 1 -> 1;
                case 3 -> 2;
                default -> 0;
            };
            if (attempt.attempt() > faults) {
                return Optional.empty();
            }
            return Optional.of((n / 4 + attempt.attempt()) % 2 == 0 ? SLOW_DOWN : INTERNAL_ERROR);
        };
        Map<String, Path> files = new TreeMap<>();
        Random sizes = new Random(42);
        for (int i = 0; i < 50; i++) {
            // Every 5th file goes up in two parts (5 MiB is S3's minimum part size).
            long size = i % 5 == 0 ? 5 * MIB + 1 + sizes.nextInt((int) MIB) : 1 + sizes.nextInt((int) (512 * KIB));
            files.put(String.format("storm/file-%02d.parquet", i), randomFile("storm-" + i, size, 100 + i));
        }

        S3Settings settings = new S3Settings(s3.bucket(), EmulatorAccess.REGION, Optional.of(s3.endpoint()), true,
                Optional.of(KEY), 5 * MIB, 5 * MIB, 5, false);
        try (Harness h = Harness.open(settings, plan)) {
            Map<String, CompletableFuture<StoredObject>> puts = new TreeMap<>();
            files.forEach((key, file) -> puts.put(key, h.store.put(file, key, PARQUET)));
            CompletableFuture.allOf(puts.values().toArray(CompletableFuture[]::new))
                    .handle((ok, error) -> null)
                    .get(120, TimeUnit.SECONDS);

            List<String> failed = puts.entrySet().stream()
                    .filter(e -> e.getValue().isCompletedExceptionally())
                    .map(e -> e.getKey() + ": " + e.getValue().handle((ok, error) -> error).join())
                    .toList();
            assertThat(failed).as("failed puts").isEmpty();

            assertThat(h.http.faulted()).as("faults injected").hasSizeGreaterThanOrEqualTo(50);
            assertThat(h.http.faultCount(SLOW_DOWN)).isGreaterThanOrEqualTo(15);
            assertThat(h.http.faultCount(INTERNAL_ERROR)).isGreaterThanOrEqualTo(15);
            assertThat(h.http.faulted().stream().map(Attempt::operation).collect(Collectors.toSet()))
                    .containsAll(Set.of(PUT_OBJECT, CREATE_MULTIPART_UPLOAD, UPLOAD_PART, COMPLETE_MULTIPART_UPLOAD));
            assertThat(h.http.attempts()).as("some requests needed a third attempt")
                    .anyMatch(a -> a.attempt() == 3);
            assertThat(h.http.attempts(CREATE_MULTIPART_UPLOAD).stream().filter(a -> a.attempt() == 1))
                    .as("one multipart upload per large file").hasSize(10);
            assertThat(h.http.attempts(ABORT_MULTIPART_UPLOAD)).isEmpty();
        }

        List<String> stored = s3.client().listObjectsV2Paginator(b -> b.bucket(s3.bucket()).prefix("storm/"))
                .contents().stream().map(S3Object::key).toList();
        assertThat(stored).as("exactly one object per file").containsExactlyElementsOf(files.keySet());
        for (Map.Entry<String, Path> e : files.entrySet()) {
            HeadObjectResponse head = head(e.getKey());
            assertSseKms(head);
            if (Files.size(e.getValue()) >= 5 * MIB) {
                assertThat(head.eTag()).as(e.getKey()).matches("\"?[0-9a-f]{32}-2\"?");
            }
            assertThat(digest(download(e.getKey()))).as(e.getKey())
                    .isEqualTo(digest(Files.readAllBytes(e.getValue())));
        }
        assertNoUploadsLeft("storm/");
    }

    @Test
    void permanentServerErrorFailsAfterMaxAttemptsAndLeavesNothing() throws Exception {
        String key = "broken/always-500.parquet";
        Path file = randomFile("f.bin", 20 * KIB, 9);
        FaultPlan alwaysFail = attempt -> Optional.of(INTERNAL_ERROR);

        try (Harness h = Harness.open(settings(Optional.of(KEY), false, 3), alwaysFail)) {
            CompletableFuture<StoredObject> put = h.store.put(file, key, PARQUET);

            assertFailureNames(put, key, s3.bucket());
            assertThat(rootCause(put)).isInstanceOfSatisfying(S3Exception.class,
                    e -> assertThat(e.statusCode()).isEqualTo(500));
            assertThat(h.http.attempts(PUT_OBJECT)).as("exactly maxAttempts attempts").hasSize(3);
        }
        assertThatThrownBy(() -> head(key)).isInstanceOf(NoSuchKeyException.class);
    }

    /** A multipart step that always fails: the put fails, and by then the upload is aborted. */
    @ParameterizedTest
    @EnumSource(value = Operation.class,
            names = {"CREATE_MULTIPART_UPLOAD", "UPLOAD_PART", "COMPLETE_MULTIPART_UPLOAD"})
    void failedMultipartStepAbortsTheUploadBeforeThePutFails(Operation failing) throws Exception {
        String key = "broken/multipart-" + failing + ".parquet";
        Path file = randomFile("m.bin", 16 * MIB, 10);
        FaultPlan plan = attempt -> {
            boolean hit = attempt.operation() == failing && (failing != UPLOAD_PART
                    || "2".equals(attempt.request().rawQueryParameters().get("partNumber").get(0)));
            return hit ? Optional.of(INTERNAL_ERROR) : Optional.empty();
        };

        try (Harness h = Harness.open(settings(Optional.of(KEY), false, 2), plan)) {
            // A slow abort: a store that fails the put before its abort has finished is caught.
            h.http.delay(ABORT_MULTIPART_UPLOAD, Duration.ofMillis(300));
            CompletableFuture<StoredObject> put = h.store.put(file, key, PARQUET);

            assertFailureNames(put, key, s3.bucket());
            // Checked the moment the future has failed: the abort must already be done.
            assertNoUploadsLeft(key);
            assertThat(h.http.attempts(ABORT_MULTIPART_UPLOAD))
                    .hasSize(failing == CREATE_MULTIPART_UPLOAD ? 0 : 1);
            if (failing == UPLOAD_PART) {
                assertThat(h.http.attempts(COMPLETE_MULTIPART_UPLOAD)).isEmpty();
            }
        }
        assertThatThrownBy(() -> head(key)).isInstanceOf(NoSuchKeyException.class);
    }

    @Test
    void missingBucketFailsWithoutRetrying() throws Exception {
        S3Settings settings = new S3Settings("no-such-bucket", EmulatorAccess.REGION, Optional.of(s3.endpoint()), true,
                Optional.of(KEY), 8 * MIB, 5 * MIB, 4, false);
        Path file = randomFile("f.bin", KIB, 11);

        try (Harness h = Harness.open(settings, FaultPlan.NONE)) {
            CompletableFuture<StoredObject> put = h.store.put(file, "dt=2024-01-01/x.parquet", PARQUET);

            assertFailureNames(put, "dt=2024-01-01/x.parquet", "no-such-bucket");
            assertThat(h.http.attempts()).as("a 404 is not retried").hasSize(1);
            assertThat(h.store.describe()).isEqualTo("s3://no-such-bucket");
        }
    }

    @Test
    void missingFileFailsWithTheKeyInTheMessage() {
        try (Harness h = Harness.open(settings(Optional.of(KEY), false, 3), FaultPlan.NONE)) {
            CompletableFuture<StoredObject> put = h.store.put(dir.resolve("absent.parquet"), "absent/x.parquet", PARQUET);

            assertFailureNames(put, "absent/x.parquet", s3.bucket());
            assertThat(h.http.attempts()).isEmpty();
        }
    }

    // --- helpers ---

    /** A store whose HTTP traffic goes through a {@link FaultInjectingHttpClient}. */
    private record Harness(S3ObjectStore store, FaultInjectingHttpClient http) implements AutoCloseable {
        static Harness open(S3Settings settings, FaultPlan plan) {
            FaultInjectingHttpClient http = new FaultInjectingHttpClient(
                    S3ObjectStore.httpClientBuilder().eventLoopGroup(eventLoops).build(), plan);
            return new Harness(new S3ObjectStore(settings, http), http);
        }

        @Override
        public void close() {
            store.close();
        }
    }

    private static S3Settings settings(Optional<KmsKeyId> kms, boolean checksumWhenRequired, int maxAttempts) {
        S3Settings base = S3EmulatorExtension.settingsFor(s3, kms);
        return new S3Settings(base.bucket(), base.region(), base.endpoint(), base.pathStyleAccess(), base.kmsKey(),
                8 * MIB, 5 * MIB, maxAttempts, checksumWhenRequired);
    }

    private Path randomFile(String name, long size, long seed) throws IOException {
        byte[] bytes = new byte[Math.toIntExact(size)];
        new Random(seed).nextBytes(bytes);
        return Files.write(dir.resolve(name), bytes);
    }

    private static HeadObjectResponse head(String key) {
        return s3.client().headObject(b -> b.bucket(s3.bucket()).key(key));
    }

    private static byte[] download(String key) {
        return s3.client().getObjectAsBytes(b -> b.bucket(s3.bucket()).key(key)).asByteArray();
    }

    private static void assertSseKms(HeadObjectResponse head) {
        assertThat(head.serverSideEncryption()).isEqualTo(ServerSideEncryption.AWS_KMS);
        assertThat(head.ssekmsKeyId()).isEqualTo(KEY.value());
        assertThat(head.bucketKeyEnabled()).isTrue();
    }

    private static void assertSseKmsHeaders(SdkHttpRequest request) {
        assertThat(request.firstMatchingHeader("x-amz-server-side-encryption")).contains("aws:kms");
        assertThat(request.firstMatchingHeader("x-amz-server-side-encryption-aws-kms-key-id")).contains(KEY.value());
        assertThat(request.firstMatchingHeader("x-amz-server-side-encryption-bucket-key-enabled")).contains("true");
    }

    private static void assertNoUploadsLeft(String prefix) {
        assertThat(s3.client().listMultipartUploads(b -> b.bucket(s3.bucket()).prefix(prefix)).uploads())
                .as("multipart uploads left under " + prefix).isEmpty();
    }

    private static void assertFailureNames(CompletableFuture<StoredObject> put, String key, String bucket) {
        assertThatThrownBy(() -> put.get(30, TimeUnit.SECONDS))
                .cause()
                .isInstanceOf(IOException.class)
                .hasMessageContaining(key)
                .hasMessageContaining(bucket);
    }

    private static Throwable rootCause(CompletableFuture<?> future) {
        Throwable error = future.handle((ok, e) -> e).join();
        Throwable cause = error instanceof CompletionException ? error.getCause() : error;
        return cause.getCause() == null ? cause : cause.getCause();
    }

    private static String digest(byte[] bytes) throws NoSuchAlgorithmException {
        return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(bytes));
    }

}
