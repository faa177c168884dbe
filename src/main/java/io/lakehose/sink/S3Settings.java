package io.lakehose.sink;

import io.lakehose.aws.AssumedRole;

import java.net.URI;
import java.time.Duration;
import java.util.Optional;

/**
 * Everything the S3 store needs, already validated by the config layer.
 *
 * @param bucket                  target bucket
 * @param region                  AWS region (e.g. us-east-1)
 * @param endpoint                endpoint override (emulators, VPC endpoints); empty for AWS
 * @param pathStyleAccess         path-style addressing (emulators need it)
 * @param kmsKey                  SSE-KMS key id or ARN; empty means no SSE-KMS headers
 * @param multipartThresholdBytes files at least this large go up as multipart uploads
 * @param partSizeBytes           multipart part size (S3 minimum 5 MiB)
 * @param maxAttempts             attempts per request, first included, for the SDK's retry strategy
 * @param checksumWhenRequired    send request checksums only when S3 requires them (some
 *                                emulators reject the SDK's default trailing checksums)
 * @param role                    role to assume for every call (cross-account lake); empty: the
 *                                default credential chain
 * @param timeouts                per-attempt and per-call limits of every S3 call
 */
public record S3Settings(
        String bucket,
        String region,
        Optional<URI> endpoint,
        boolean pathStyleAccess,
        Optional<KmsKeyId> kmsKey,
        long multipartThresholdBytes,
        long partSizeBytes,
        int maxAttempts,
        boolean checksumWhenRequired,
        Optional<AssumedRole> role,
        Timeouts timeouts) {

    /**
     * Every S3 call ends: one attempt within {@code attempt}, the whole call (retries included)
     * within {@code call}. A stuck connection then fails the upload instead of wedging the shard.
     */
    public record Timeouts(Duration attempt, Duration call) {
        public static final Timeouts DEFAULT = new Timeouts(Duration.ofSeconds(120), Duration.ofSeconds(600));
    }

    /** Settings with the default credential chain (no role to assume) and the default timeouts. */
    public S3Settings(String bucket, String region, Optional<URI> endpoint, boolean pathStyleAccess,
                      Optional<KmsKeyId> kmsKey, long multipartThresholdBytes, long partSizeBytes, int maxAttempts,
                      boolean checksumWhenRequired) {
        this(bucket, region, endpoint, pathStyleAccess, kmsKey, multipartThresholdBytes, partSizeBytes, maxAttempts,
                checksumWhenRequired, Optional.empty(), Timeouts.DEFAULT);
    }

    /** The same settings with other timeouts. */
    public S3Settings withTimeouts(Timeouts other) {
        return new S3Settings(bucket, region, endpoint, pathStyleAccess, kmsKey, multipartThresholdBytes, partSizeBytes,
                maxAttempts, checksumWhenRequired, role, other);
    }
}
