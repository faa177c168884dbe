package io.lakehose.sink;

import java.nio.file.Path;
import java.util.Arrays;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import software.amazon.awssdk.core.FileRequestBodyConfiguration;
import software.amazon.awssdk.core.async.AsyncRequestBody;
import software.amazon.awssdk.services.s3.S3AsyncClient;
import software.amazon.awssdk.services.s3.model.ChecksumAlgorithm;
import software.amazon.awssdk.services.s3.model.CompleteMultipartUploadResponse;
import software.amazon.awssdk.services.s3.model.CompletedPart;
import software.amazon.awssdk.services.s3.model.CreateMultipartUploadRequest;
import software.amazon.awssdk.services.s3.model.UploadPartRequest;

/**
 * Uploads one file as an S3 multipart upload: CreateMultipartUpload, UploadPart (a few parts at a
 * time, each read straight from its slice of the file), CompleteMultipartUpload. On any failure it
 * waits for the parts in flight, aborts the upload, and only then fails the returned future.
 *
 * <p>Why not the SDK's multipart client ({@code S3AsyncClient.builder().multipartEnabled(true)})?
 * It does copy the SSE-KMS headers onto CreateMultipartUpload (checked with SDK 2.33.0), but:
 * <ul>
 *   <li>its abort is fire-and-forget: the put's future fails before AbortMultipartUpload is even
 *       sent, and a failed abort is only logged. Our contract is about the state when the future
 *       completes, and a task that exits right after a failed flush would cut that abort off;</li>
 *   <li>it sends {@code x-amz-mp-object-size} on CompleteMultipartUpload, which S3-compatible
 *       stores reject (S3Proxy 4.1 answers 501 NotImplemented).</li>
 * </ul>
 * Every request here is still retried by the client's own retry strategy; no retries are added.
 */
final class S3MultipartUpload {

    private static final Logger LOG = LoggerFactory.getLogger(S3MultipartUpload.class);

    /** S3's limit; beyond it the part size grows (as the SDK's own multipart client does). */
    private static final long MAX_PARTS = 10_000;

    /**
     * Parts in flight per upload: enough to keep a link busy, few enough that one large file does
     * not take the whole connection pool from the other shards' uploads.
     */
    private static final int PARTS_IN_FLIGHT = 4;

    private final S3AsyncClient s3;
    private final long partSize;
    private final boolean partChecksums;

    /**
     * @param partChecksums send a CRC32 with every part and declare it on CreateMultipartUpload, as
     *                      the SDK's own multipart client does when checksums are on; off when the
     *                      client only sends checksums that S3 requires
     */
    S3MultipartUpload(S3AsyncClient s3, long partSize, boolean partChecksums) {
        this.s3 = s3;
        this.partSize = partSize;
        this.partChecksums = partChecksums;
    }

    CompletableFuture<CompleteMultipartUploadResponse> upload(
            CreateMultipartUploadRequest create, Path file, long size) {
        return upload(create, file, size, false);
    }

    /**
     * @param ifAbsent complete only if the key has no object yet ({@code If-None-Match: *} on
     *                 CompleteMultipartUpload); a refused completion is aborted like any failure,
     *                 and the returned future fails with S3's 412
     */
    CompletableFuture<CompleteMultipartUploadResponse> upload(
            CreateMultipartUploadRequest create, Path file, long size, boolean ifAbsent) {
        CreateMultipartUploadRequest request = partChecksums
                ? create.toBuilder().checksumAlgorithm(ChecksumAlgorithm.CRC32).build()
                : create;
        // If CreateMultipartUpload fails there is no upload id to abort. (If S3 created it but the
        // answer was lost, only the bucket's AbortIncompleteMultipartUpload lifecycle rule can
        // reclaim it; it is never visible as an object.)
        return s3.createMultipartUpload(request)
                .thenCompose(created -> new Run(create.bucket(), create.key(), created.uploadId(),
                        file, size, ifAbsent).start());
    }

    /** The state of one upload after CreateMultipartUpload succeeded. */
    private final class Run {
        private final String bucket;
        private final String key;
        private final String uploadId;
        private final Path file;
        private final long size;
        private final long runPartSize;
        private final CompletedPart[] parts;
        private final AtomicInteger nextPart = new AtomicInteger();
        private final AtomicReference<Throwable> firstFailure = new AtomicReference<>();
        private final boolean ifAbsent;

        Run(String bucket, String key, String uploadId, Path file, long size, boolean ifAbsent) {
            this.ifAbsent = ifAbsent;
            this.bucket = bucket;
            this.key = key;
            this.uploadId = uploadId;
            this.file = file;
            this.size = size;
            this.runPartSize = Math.max(partSize, ceilDiv(size, MAX_PARTS));
            this.parts = new CompletedPart[Math.toIntExact(Math.max(1, ceilDiv(size, runPartSize)))];
        }

        CompletableFuture<CompleteMultipartUploadResponse> start() {
            CompletableFuture<?>[] lanes = new CompletableFuture<?>[Math.min(PARTS_IN_FLIGHT, parts.length)];
            for (int i = 0; i < lanes.length; i++) {
                lanes[i] = lane();
            }
            // Lanes never fail; they record the first failure and stop taking parts. Waiting for all
            // of them means no part is still in flight when we abort (S3 warns that a part landing
            // after an abort can survive it).
            return CompletableFuture.allOf(lanes)
                    .thenCompose(ignored -> firstFailure.get() == null
                            ? complete()
                            : CompletableFuture.<CompleteMultipartUploadResponse>failedFuture(firstFailure.get()))
                    .exceptionallyCompose(this::abortAndFail);
        }

        /** Uploads parts one after another until none are left or one has failed. */
        private CompletableFuture<Void> lane() {
            int index = nextPart.getAndIncrement();
            if (index >= parts.length || firstFailure.get() != null) {
                return CompletableFuture.completedFuture(null);
            }
            return uploadPart(index)
                    .handle((part, error) -> {
                        if (error != null) {
                            firstFailure.compareAndSet(null, unwrap(error));
                        } else {
                            parts[index] = part;
                        }
                        return null;
                    })
                    .thenCompose(ignored -> lane());
        }

        private CompletableFuture<CompletedPart> uploadPart(int index) {
            int partNumber = index + 1;
            long offset = index * runPartSize;
            long length = Math.min(runPartSize, size - offset);
            try {
                UploadPartRequest.Builder request = UploadPartRequest.builder()
                        .bucket(bucket).key(key).uploadId(uploadId)
                        .partNumber(partNumber).contentLength(length);
                if (partChecksums) {
                    request.checksumAlgorithm(ChecksumAlgorithm.CRC32);
                }
                // A slice body re-reads the file on each retry attempt, so nothing is buffered.
                AsyncRequestBody body = AsyncRequestBody.fromFile(FileRequestBodyConfiguration.builder()
                        .path(file).position(offset).numBytesToRead(length).build());
                return s3.uploadPart(request.build(), body)
                        .thenApply(response -> CompletedPart.builder()
                                .partNumber(partNumber)
                                .eTag(response.eTag())
                                .checksumCRC32(response.checksumCRC32())
                                .build());
            } catch (RuntimeException e) {
                return CompletableFuture.failedFuture(e);
            }
        }

        private CompletableFuture<CompleteMultipartUploadResponse> complete() {
            // If Complete succeeded on the server but every answer was lost, the object exists
            // while we report failure: harmless, since the caller does not checkpoint and rewrites
            // the same deterministic key.
            return s3.completeMultipartUpload(b -> {
                b.bucket(bucket).key(key).uploadId(uploadId).multipartUpload(m -> m.parts(Arrays.asList(parts)));
                if (ifAbsent) {
                    b.ifNoneMatch("*");
                }
            });
        }

        private CompletableFuture<CompleteMultipartUploadResponse> abortAndFail(Throwable error) {
            Throwable cause = unwrap(error);
            return s3.abortMultipartUpload(b -> b.bucket(bucket).key(key).uploadId(uploadId))
                    .handle((ok, abortError) -> {
                        if (abortError != null) {
                            LOG.warn("Abort of multipart upload {} of s3://{}/{} failed; the bucket's "
                                    + "AbortIncompleteMultipartUpload lifecycle rule must reclaim it",
                                    uploadId, bucket, key, unwrap(abortError));
                            cause.addSuppressed(unwrap(abortError));
                        }
                        throw new CompletionException(cause);
                    });
        }
    }

    static Throwable unwrap(Throwable error) {
        Throwable cause = error;
        while ((cause instanceof CompletionException || cause instanceof ExecutionException)
                && cause.getCause() != null) {
            cause = cause.getCause();
        }
        return cause;
    }

    private static long ceilDiv(long a, long b) {
        return (a + b - 1) / b;
    }
}
