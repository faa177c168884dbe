package io.lakehose.config;

import io.lakehose.aws.AssumedRole;
import io.lakehose.sink.KmsKeyId;
import io.lakehose.sink.S3Settings;

import java.net.URI;
import java.time.Duration;
import java.util.List;
import java.util.Optional;

import static io.lakehose.config.Parsers.bool;
import static io.lakehose.config.Parsers.GIB;
import static io.lakehose.config.Parsers.KIB;
import static io.lakehose.config.Parsers.MIB;
import static io.lakehose.config.Parsers.bytesIn;
import static io.lakehose.config.Parsers.url;
import static io.lakehose.config.Parsers.intIn;
import static io.lakehose.config.Parsers.longIn;
import static io.lakehose.config.Parsers.roleArn;
import static io.lakehose.config.Parsers.string;

/**
 * How the lake's bucket is reached (the s3.* keys, and the STS and KMS endpoints).
 *
 * @param role        role assumed for every S3 call (a cross-account lake), if any
 * @param trustBucketDefaultEncryption without a key, `run` relies on the bucket's default encryption
 * @param kmsEndpoint where preflight checks the key (run never calls KMS itself)
 */
public record S3Config(String region, Optional<URI> endpoint, boolean pathStyle, Optional<KmsKeyId> kmsKey,
                       boolean trustBucketDefaultEncryption,
                       long multipartThresholdBytes, long partSizeBytes, int maxAttempts, S3Settings.Timeouts timeouts,
                       boolean checksumWhenRequired, Optional<AssumedRole> role, Optional<URI> stsEndpoint,
                       Optional<URI> kmsEndpoint) {

    public static final ConfigKey<String> REGION = new ConfigKey<>("s3.region", "us-east-1", string(),
            "AWS region of the bucket.");
    public static final ConfigKey<String> ENDPOINT = new ConfigKey<>("s3.endpoint", "", url(),
            "Endpoint override (emulators, VPC endpoints); empty for AWS's own.");
    public static final ConfigKey<Boolean> PATH_STYLE = new ConfigKey<>("s3.pathStyleAccess", "false", bool(),
            "Path-style addressing (emulators need it).");
    public static final ConfigKey<String> KMS_KEY_ID = new ConfigKey<>("s3.kmsKeyId", "", string(),
            "KMS key id or ARN for SSE-KMS on every object (PutObject and multipart). Empty: no SSE-KMS headers "
                    + "(the bucket's default encryption applies), which `run` refuses unless "
                    + "s3.trustBucketDefaultEncryption is true.");
    public static final ConfigKey<Boolean> TRUST_BUCKET_DEFAULT_ENCRYPTION = new ConfigKey<>(
            "s3.trustBucketDefaultEncryption", "false", bool(), "With no s3.kmsKeyId, `run` starts only when this is "
            + "true: a statement that the bucket's default encryption (and its policy) is relied on to encrypt the "
            + "CDC data. Preflight says which of the two applies.");
    public static final ConfigKey<Long> MULTIPART_THRESHOLD = new ConfigKey<>("s3.multipartThresholdBytes",
            "16MiB", bytesIn(5 * MIB, 5 * GIB), "Files at least this large go up as multipart uploads.");
    public static final ConfigKey<Long> PART_SIZE = new ConfigKey<>("s3.partSizeBytes", "8MiB",
            bytesIn(5 * MIB, 5 * GIB), "Multipart part size (S3 minimum 5 MiB).");
    public static final ConfigKey<Integer> MAX_ATTEMPTS = new ConfigKey<>("s3.maxAttempts", "10", intIn(1, 100),
            "Attempts per S3 request (first included) under the SDK's standard retry strategy with "
                    + "exponential backoff and jitter; throttling (503 SlowDown) and 5xx are retried.");
    public static final ConfigKey<Long> ATTEMPT_TIMEOUT = new ConfigKey<>("s3.attemptTimeoutSeconds", "120",
            longIn(1, 3_600), "Longest one attempt of an S3 request may take (one PutObject or UploadPart); then it is "
            + "retried.");
    public static final ConfigKey<Long> CALL_TIMEOUT = new ConfigKey<>("s3.callTimeoutSeconds", "600",
            longIn(1, 86_400), "Longest one S3 request may take, retries included; then the upload fails (and the "
            + "shard stops without checkpointing it). Nothing waits forever on a stuck connection.");
    public static final ConfigKey<Boolean> CHECKSUM_WHEN_REQUIRED = new ConfigKey<>("s3.checksumWhenRequired",
            "false", bool(), "Send request checksums only when S3 requires them (for emulators that reject the "
            + "SDK's default trailing checksums).");
    public static final ConfigKey<String> ROLE_ARN = new ConfigKey<>("s3.roleArn", "", roleArn(),
            "Role to assume for every S3 call (cross-account lake: the bucket and key live in another account). "
                    + "Empty: the task's own credentials.");
    public static final ConfigKey<String> ROLE_EXTERNAL_ID = new ConfigKey<>("s3.roleExternalId", "", string(),
            "External id that s3.roleArn's trust policy requires, if any.");
    public static final ConfigKey<String> STS_ENDPOINT = new ConfigKey<>("sts.endpoint", "", url(),
            "STS endpoint override for assuming roles (VPC endpoints); empty: the regional endpoint.");
    public static final ConfigKey<String> KMS_ENDPOINT = new ConfigKey<>("kms.endpoint", "", url(),
            "KMS endpoint override for preflight's key check (VPC endpoints, tests); empty: the endpoint of the "
                    + "key's region. `run` never calls KMS itself (S3 does, for SSE-KMS).");

    static final Section<S3Config> SECTION = new Section<>("s3", List.of(REGION, ENDPOINT, PATH_STYLE, KMS_KEY_ID,
            TRUST_BUCKET_DEFAULT_ENCRYPTION, MULTIPART_THRESHOLD, PART_SIZE, MAX_ATTEMPTS, ATTEMPT_TIMEOUT, CALL_TIMEOUT, CHECKSUM_WHEN_REQUIRED,
            ROLE_ARN, ROLE_EXTERNAL_ID, STS_ENDPOINT, KMS_ENDPOINT), v -> {
                if (v.get(MULTIPART_THRESHOLD) < v.get(PART_SIZE)) {
                    v.problem("s3.multipartThresholdBytes (" + v.get(MULTIPART_THRESHOLD)
                            + ") must be at least s3.partSizeBytes (" + v.get(PART_SIZE) + ")");
                }
                return new S3Config(v.get(REGION), v.uri(ENDPOINT), v.get(PATH_STYLE),
                        v.optional(KMS_KEY_ID).map(KmsKeyId::new), v.get(TRUST_BUCKET_DEFAULT_ENCRYPTION),
                        v.get(MULTIPART_THRESHOLD), v.get(PART_SIZE),
                        v.get(MAX_ATTEMPTS), new S3Settings.Timeouts(Duration.ofSeconds(v.get(ATTEMPT_TIMEOUT)),
                        Duration.ofSeconds(v.get(CALL_TIMEOUT))), v.get(CHECKSUM_WHEN_REQUIRED),
                        role(v, ROLE_ARN, ROLE_EXTERNAL_ID, v.get(REGION)), v.uri(STS_ENDPOINT), v.uri(KMS_ENDPOINT));
            });

    /** The role of {@code arn} (empty: none), assumed through STS in {@code region} or at sts.endpoint. */
    static Optional<AssumedRole> role(Values v, ConfigKey<String> arn, ConfigKey<String> externalId, String region) {
        return v.optional(arn).map(a -> new AssumedRole(a, v.optional(externalId), region, v.uri(STS_ENDPOINT)));
    }

    /**
     * Why `run` must not write to an S3 lake with these settings: no SSE-KMS key, and no
     * statement that the bucket's default encryption is trusted instead. Empty when it may.
     */
    public Optional<String> missingEncryption() {
        if (kmsKey.isPresent() || trustBucketDefaultEncryption) {
            return Optional.empty();
        }
        return Optional.of(KMS_KEY_ID.path() + " is empty, so objects would carry no SSE-KMS headers. Set it ("
                + KMS_KEY_ID.envName() + ") to the lake's KMS key, or set " + TRUST_BUCKET_DEFAULT_ENCRYPTION.path()
                + ": true (" + TRUST_BUCKET_DEFAULT_ENCRYPTION.envName() + ") if the bucket's default encryption is "
                + "to encrypt the CDC data");
    }

    /** S3 settings for a bucket (the lake's, unless another is given). */
    public S3Settings settings(String bucket) {
        return new S3Settings(bucket, region, endpoint, pathStyle, kmsKey, multipartThresholdBytes, partSizeBytes,
                maxAttempts, checksumWhenRequired, role, timeouts);
    }
}
