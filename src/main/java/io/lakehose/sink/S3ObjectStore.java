package io.lakehose.sink;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import software.amazon.awssdk.auth.credentials.AwsCredentialsProvider;
import io.lakehose.aws.AwsCredentials;
import software.amazon.awssdk.awscore.retry.AwsRetryStrategy;
import software.amazon.awssdk.core.async.AsyncRequestBody;
import software.amazon.awssdk.core.async.AsyncResponseTransformer;
import software.amazon.awssdk.metrics.MetricPublisher;
import software.amazon.awssdk.core.checksums.RequestChecksumCalculation;
import software.amazon.awssdk.core.checksums.ResponseChecksumValidation;
import software.amazon.awssdk.http.async.SdkAsyncHttpClient;
import software.amazon.awssdk.http.nio.netty.NettyNioAsyncHttpClient;
import software.amazon.awssdk.regions.Region;
import software.amazon.awssdk.retries.api.RetryStrategy;
import software.amazon.awssdk.services.s3.S3AsyncClient;
import software.amazon.awssdk.services.s3.S3AsyncClientBuilder;
import software.amazon.awssdk.services.s3.model.CreateMultipartUploadRequest;
import software.amazon.awssdk.services.s3.model.NoSuchKeyException;
import software.amazon.awssdk.services.s3.model.PutObjectRequest;
import software.amazon.awssdk.services.s3.model.S3Exception;
import software.amazon.awssdk.services.s3.model.ServerSideEncryption;

/**
 * {@link ObjectStore} on S3, or an S3-compatible endpoint, through the AWS SDK v2 async client.
 *
 * <ul>
 *   <li>Files smaller than {@link S3Settings#multipartThresholdBytes()} go up as one PutObject,
 *       larger ones as a multipart upload ({@link S3MultipartUpload}) that is aborted on failure.</li>
 *   <li>When a KMS key is configured, every request that creates an object (PutObject and
 *       CreateMultipartUpload; UploadPart takes no SSE-KMS headers) asks for SSE-KMS with that key
 *       and S3 Bucket Keys. The bucket's default encryption is never relied on.</li>
 *   <li>Each request is retried by the SDK's standard retry strategy: exponential backoff with
 *       jitter, a longer base delay for throttling (503 SlowDown), and a client-wide retry token
 *       bucket (500 tokens, 5 per retry, refunded on success) so that an outage fails puts fast
 *       instead of turning into a retry storm.</li>
 *   <li>Credentials come from the SDK's default provider chain (environment, system properties,
 *       web identity, profile, ECS task role, instance profile), or from {@code s3.roleArn}
 *       assumed with them (cross-account lake); none are configured or logged here.</li>
 * </ul>
 */
public final class S3ObjectStore implements ObjectStore {

    /** Tries of a conditional put that S3 answered with 409 (a concurrent conditional write of the key). */
    private static final int CONFLICT_ATTEMPTS = 5;

    private final S3Settings settings;
    private final AwsCredentialsProvider credentials;
    private final SdkAsyncHttpClient http;
    private final S3AsyncClient s3;
    private final S3MultipartUpload multipart;

    public S3ObjectStore(S3Settings settings) {
        this(settings, httpClientBuilder().build());
    }

    /** @param metrics receives the SDK's per-call metrics (retry counts) */
    public S3ObjectStore(S3Settings settings, MetricPublisher metrics) {
        this(settings, httpClientBuilder().build(), Optional.of(metrics));
    }

    /**
     * For tests: {@code http} is used instead of a default one, e.g. wrapped to inject real HTTP
     * error responses below the SDK's retry layer. The store closes it.
     */
    S3ObjectStore(S3Settings settings, SdkAsyncHttpClient http) {
        this(settings, http, Optional.empty());
    }

    private S3ObjectStore(S3Settings settings, SdkAsyncHttpClient http,
                          Optional<MetricPublisher> metrics) {
        this.settings = settings;
        this.credentials = AwsCredentials.provider(settings.role());
        this.http = http;
        this.s3 = client(settings, credentials, http, metrics);
        this.multipart = new S3MultipartUpload(s3, settings.partSizeBytes(), !settings.checksumWhenRequired());
    }

    /** The HTTP client configuration the store uses. */
    static NettyNioAsyncHttpClient.Builder httpClientBuilder() {
        return NettyNioAsyncHttpClient.builder()
                // Many shards flush at once; a put waiting for a pooled connection is not a
                // failure, so wait longer than the 10 s default before giving up.
                .connectionAcquisitionTimeout(Duration.ofSeconds(60));
    }

    private static S3AsyncClient client(S3Settings settings, AwsCredentialsProvider credentials,
            SdkAsyncHttpClient http, Optional<MetricPublisher> metrics) {
        // Standard mode, set explicitly because the SDK's default is still legacy unless
        // AWS_RETRY_MODE says otherwise: full-jitter exponential backoff (100 ms base, 1 s for
        // throttling, 20 s cap). maxAttempts counts the first attempt.
        // The retry token bucket ("circuit breaker") is off: under a long SlowDown burst it would
        // fail puts fast, and a failed put stops the shard; waiting with backoff is what we want.
        RetryStrategy retries = AwsRetryStrategy.standardRetryStrategy().toBuilder()
                .maxAttempts(settings.maxAttempts())
                .circuitBreakerEnabled(false)
                .build();
        S3AsyncClientBuilder builder = S3AsyncClient.builder()
                .region(Region.of(settings.region()))
                .credentialsProvider(credentials)
                .httpClient(http)
                .forcePathStyle(settings.pathStyleAccess())
                .overrideConfiguration(o -> {
                    o.retryStrategy(retries);
                    o.apiCallAttemptTimeout(settings.timeouts().attempt());
                    o.apiCallTimeout(settings.timeouts().call());
                    metrics.ifPresent(o::addMetricPublisher);
                });
        settings.endpoint().ifPresent(builder::endpointOverride);
        if (settings.checksumWhenRequired()) {
            builder.requestChecksumCalculation(RequestChecksumCalculation.WHEN_REQUIRED)
                    .responseChecksumValidation(ResponseChecksumValidation.WHEN_REQUIRED);
        }
        return builder.build();
    }

    @Override
    public CompletableFuture<StoredObject> put(Path file, String key, String contentType) {
        return upload(file, key, contentType, Map.of(), false).handle((stored, error) -> {
            if (error != null) {
                throw new CompletionException(failure(key, S3MultipartUpload.unwrap(error)));
            }
            return stored;
        });
    }

    @Override
    public CompletableFuture<Optional<StoredObject>> putIfAbsent(Path file, String key, String contentType,
                                                                 Map<String, String> metadata) {
        return putIfAbsent(file, key, contentType, metadata, 1);
    }

    private CompletableFuture<Optional<StoredObject>> putIfAbsent(Path file, String key, String contentType,
                                                                  Map<String, String> metadata, int attempt) {
        CompletableFuture<StoredObject> upload = upload(file, key, contentType, metadata, true);
        CompletableFuture<Optional<StoredObject>> result = upload.handle((stored, error) -> {
            if (error == null) {
                return CompletableFuture.completedFuture(Optional.of(stored));
            }
            Throwable cause = S3MultipartUpload.unwrap(error);
            int status = cause instanceof S3Exception e ? e.statusCode() : 0;
            if (status == 412) {
                return CompletableFuture.completedFuture(Optional.<StoredObject>empty());
            }
            // 409 ConditionalRequestConflict: another conditional write of this key was in
            // progress. Which one wins is decided once it ends: ask again.
            if (status == 409 && attempt < CONFLICT_ATTEMPTS) {
                return putIfAbsent(file, key, contentType, metadata, attempt + 1);
            }
            return CompletableFuture.<Optional<StoredObject>>failedFuture(failure(key, cause));
        }).thenCompose(f -> f);
        cancelWith(result, upload);
        return result;
    }

    /** Cancelling {@code derived} (a lost lease) cancels {@code source}, down to the SDK's request. */
    private static void cancelWith(CompletableFuture<?> derived, CompletableFuture<?> source) {
        derived.whenComplete((ok, error) -> {
            if (derived.isCancelled()) {
                source.cancel(true);
            }
        });
    }

    /**
     * One PutObject, or a multipart upload from {@link S3Settings#multipartThresholdBytes()} on;
     * with {@code ifAbsent}, {@code If-None-Match: *} on the call that makes the object visible.
     * Fails with the SDK's exception (S3's 412 when the key existed).
     */
    private CompletableFuture<StoredObject> upload(Path file, String key, String contentType, Map<String, String> metadata,
                                                   boolean ifAbsent) {
        long size;
        CompletableFuture<?> upload;
        try {
            size = Files.size(file);
            if (size >= settings.multipartThresholdBytes()) {
                CreateMultipartUploadRequest create = createRequest(key, contentType).toBuilder().metadata(metadata).build();
                upload = multipart.upload(create, file, size, ifAbsent);
            } else {
                PutObjectRequest.Builder put = putRequest(key, contentType, size).toBuilder().metadata(metadata);
                if (ifAbsent) {
                    put.ifNoneMatch("*");
                }
                upload = s3.putObject(put.build(), AsyncRequestBody.fromFile(file));
            }
        } catch (IOException | RuntimeException e) {
            return CompletableFuture.failedFuture(e);
        }
        String location = "s3://" + settings.bucket() + "/" + key;
        CompletableFuture<StoredObject> stored = upload.thenApply(ok -> new StoredObject(location, size));
        cancelWith(stored, upload);
        return stored;
    }

    @Override
    public Optional<Map<String, String>> metadata(String key) {
        try {
            return Optional.of(s3.headObject(b -> b.bucket(settings.bucket()).key(key)).join().metadata());
        } catch (CompletionException e) {
            if (e.getCause() instanceof NoSuchKeyException
                    || (e.getCause() instanceof S3Exception s && s.statusCode() == 404)) {
                return Optional.empty();
            }
            throw new IllegalStateException("cannot read the metadata of s3://" + settings.bucket() + "/" + key + ": "
                    + e.getCause().getMessage(), e.getCause());
        }
    }

    private PutObjectRequest putRequest(String key, String contentType, long size) {
        PutObjectRequest.Builder request = PutObjectRequest.builder()
                .bucket(settings.bucket()).key(key).contentType(contentType).contentLength(size);
        settings.kmsKey().ifPresent(kms -> request
                .serverSideEncryption(ServerSideEncryption.AWS_KMS)
                .ssekmsKeyId(kms.value())
                .bucketKeyEnabled(true));
        return request.build();
    }

    private CreateMultipartUploadRequest createRequest(String key, String contentType) {
        return createRequest(settings, key, contentType);
    }

    /**
     * The CreateMultipartUpload request this store sends for {@code key} (before the part checksum
     * algorithm {@link S3MultipartUpload} adds): public so that {@code preflight} probes the bucket
     * with exactly the encryption headers the worker sends.
     */
    public static CreateMultipartUploadRequest createRequest(S3Settings settings, String key, String contentType) {
        CreateMultipartUploadRequest.Builder request = CreateMultipartUploadRequest.builder()
                .bucket(settings.bucket()).key(key).contentType(contentType);
        settings.kmsKey().ifPresent(kms -> request
                .serverSideEncryption(ServerSideEncryption.AWS_KMS)
                .ssekmsKeyId(kms.value())
                .bucketKeyEnabled(true));
        return request.build();
    }

    /** The failure a caller sees: names bucket and key, keeps the SDK's exception as the cause. */
    private IOException failure(String key, Throwable cause) {
        return new IOException("put of key '" + key + "' to bucket '" + settings.bucket()
                + "' failed: " + cause.getMessage(), cause);
    }

    @Override
    public List<String> list(String keyPrefix) {
        return listObjects(keyPrefix).stream().map(ListedObject::key).toList();
    }

    /** The objects whose key starts with {@code keyPrefix}, in S3's key order, complete across pages. */
    public List<ListedObject> listObjects(String keyPrefix) {
        List<ListedObject> objects = new ArrayList<>();
        s3.listObjectsV2Paginator(b -> b.bucket(settings.bucket()).prefix(keyPrefix))
                .contents()
                .subscribe(o -> objects.add(new ListedObject(o.key(), o.size(), o.eTag(), o.lastModified())))
                .join();
        return objects;
    }

    /**
     * Bytes {@code [first, first + length)} of the object under {@code key}, one GetObject with the
     * SDK's retries and timeouts, only while the object still has {@code eTag} (If-Match): an
     * object replaced during a read fails it instead of mixing two versions. Fails with the SDK's
     * exception.
     */
    public CompletableFuture<byte[]> readRange(String key, String eTag, long first, int length) {
        return s3.getObject(b -> b.bucket(settings.bucket()).key(key).ifMatch(eTag)
                        .range("bytes=" + first + "-" + (first + length - 1)), AsyncResponseTransformer.toBytes())
                .thenApply(response -> response.asByteArray());
    }

    @Override
    public Optional<byte[]> read(String key) {
        // Listed first: GetObject of a missing key answers 404 only to callers allowed
        // s3:ListBucket without a prefix condition; the writer may list only its prefixes, and
        // would get 403 for "not there yet".
        if (!list(key).contains(key)) {
            return Optional.empty();
        }
        try {
            return Optional.of(s3.getObject(b -> b.bucket(settings.bucket()).key(key),
                    AsyncResponseTransformer.toBytes()).join().asByteArray());
        } catch (CompletionException e) {
            if (e.getCause() instanceof NoSuchKeyException) {
                return Optional.empty();
            }
            throw new IllegalStateException("cannot read s3://" + settings.bucket() + "/" + key + ": "
                    + e.getCause().getMessage(), e.getCause());
        }
    }

    @Override
    public void delete(String key) {
        try {
            s3.deleteObject(b -> b.bucket(settings.bucket()).key(key)).join();
        } catch (CompletionException e) {
            throw new IllegalStateException("cannot delete s3://" + settings.bucket() + "/" + key + ": "
                    + e.getCause().getMessage(), e.getCause());
        }
    }

    @Override
    public String describe() {
        return "s3://" + settings.bucket();
    }

    @Override
    public void close() {
        // The SDK does not close an HTTP client or credentials provider that it was handed.
        s3.close();
        http.close();
        if (credentials instanceof AutoCloseable closeable) {
            try {
                closeable.close();
            } catch (Exception ignored) {
                // nothing left to release
            }
        }
    }
}
