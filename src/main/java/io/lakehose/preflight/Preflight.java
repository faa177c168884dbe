package io.lakehose.preflight;

import io.lakehose.aws.AssumedRole;
import io.lakehose.config.ConfigKeys;
import io.lakehose.config.LakehoseConfig;
import io.lakehose.config.KinesisSettings;
import io.lakehose.sink.KmsKeyId;
import io.lakehose.sink.S3Settings;
import software.amazon.awssdk.auth.credentials.AwsCredentialsProvider;
import software.amazon.awssdk.auth.credentials.StaticCredentialsProvider;
import software.amazon.awssdk.awscore.client.builder.AwsClientBuilder;
import software.amazon.awssdk.awscore.retry.AwsRetryStrategy;
import software.amazon.awssdk.core.checksums.RequestChecksumCalculation;
import software.amazon.awssdk.core.checksums.ResponseChecksumValidation;
import software.amazon.awssdk.regions.Region;
import software.amazon.awssdk.services.dynamodb.DynamoDbClient;
import software.amazon.awssdk.services.kinesis.KinesisClient;
import software.amazon.awssdk.services.kms.KmsClient;
import software.amazon.awssdk.services.s3.S3Client;
import software.amazon.awssdk.services.s3.S3ClientBuilder;
import software.amazon.awssdk.services.sts.StsClient;

import java.net.URI;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.function.Supplier;

/**
 * Runs every preflight check for a configuration, in dependency order: stream, lease table, then
 * (when s3.roleArn is set) assume-role, whose credentials the kms-key and lake-bucket checks use,
 * as the worker's S3 calls do. Kinesis and DynamoDB always use the caller's own credentials, as
 * KCL does. No check writes data: see each check for why it leaves nothing behind.
 */
public final class Preflight {

    /**
     * Few attempts and a short call timeout: a wrong endpoint should fail the check in seconds,
     * and throttling is unlikely at a handful of calls.
     */
    private static final int MAX_ATTEMPTS = 2;
    private static final Duration CALL_TIMEOUT = Duration.ofSeconds(20);

    private Preflight() {
    }

    /**
     * @param credentials the caller's own credentials: the SDK's default chain in production (the
     *                    ECS task role), whatever a test chooses
     */
    public static List<CheckResult> run(LakehoseConfig cfg, AwsCredentialsProvider credentials) {
        List<CheckResult> results = new ArrayList<>();
        KinesisSettings k = cfg.kinesis();
        try (KinesisClient kinesis = configure(KinesisClient.builder(), k.region(), k.endpoint(), credentials).build()) {
            results.add(guarded(StreamCheck.NAME, () -> new StreamCheck(kinesis, k.stream(), k.region()).run()));
        }
        try (DynamoDbClient dynamo = configure(DynamoDbClient.builder(), k.region(), k.leaseTableEndpoint(), credentials)
                .build()) {
            results.add(guarded(LeaseTableCheck.NAME,
                    () -> new LeaseTableCheck(dynamo, k.applicationName(), k.region()).run()));
        }
        if (cfg.lake().format() != ConfigKeys.LakeFormat.FOLDERS) { // no line at all for the folder layout
            String bucket = cfg.target() instanceof LakehoseConfig.S3Target s3 ? s3.bucket() : "";
            results.add(guarded(IcebergCatalogCheck.NAME,
                    () -> new IcebergCatalogCheck(cfg.iceberg(), cfg.s3Settings(bucket)).run()));
        }
        if (!(cfg.target() instanceof LakehoseConfig.S3Target lake)) {
            String why = "lake.uri is a local directory (" + cfg.target() + "): no bucket, key or role to check";
            results.add(CheckResult.skip(AssumeRoleCheck.NAME, why));
            results.add(CheckResult.skip(KmsKeyCheck.NAME, why));
            results.add(CheckResult.skip(LakeBucketCheck.NAME, why));
            return results;
        }
        AwsCredentialsProvider writer = credentials;
        String principal = Policies.TASK_ROLE;
        if (cfg.s3().role().isPresent()) {
            AssumedRole role = cfg.s3().role().get();
            AssumeRoleCheck.Outcome assumed;
            try (StsClient sts = configure(StsClient.builder(), role.region(), role.stsEndpoint(), credentials).build()) {
                assumed = new AssumeRoleCheck(sts, role).run();
            }
            results.add(assumed.result());
            if (assumed.credentials().isEmpty()) {
                String why = "skipped: the role " + role.roleArn() + " could not be assumed (see assume-role)";
                results.add(CheckResult.skip(KmsKeyCheck.NAME, why));
                results.add(CheckResult.skip(LakeBucketCheck.NAME, why));
                return results;
            }
            writer = StaticCredentialsProvider.create(assumed.credentials().get());
            principal = role.roleArn();
        } else {
            results.add(CheckResult.skip(AssumeRoleCheck.NAME, "no s3.roleArn: the lake is written with lakehose's own role"));
        }
        if (cfg.s3().kmsKey().isPresent()) {
            KmsKeyId key = cfg.s3().kmsKey().get();
            try (KmsClient kms = configure(KmsClient.builder(), KmsKeyCheck.region(key, cfg.s3().region()), cfg.s3().kmsEndpoint(),
                    writer).build()) {
                String writerArn = principal;
                results.add(guarded(KmsKeyCheck.NAME, () -> new KmsKeyCheck(kms, key, cfg.s3().region(), writerArn).run()));
            }
        } else if (cfg.s3().missingEncryption().isPresent()) {
            results.add(CheckResult.fail(KmsKeyCheck.NAME, new CheckResult.Failure("", "arn:" + Policies.partition(
                    cfg.s3().region()) + ":s3:::" + lake.bucket(), "NoKmsKey", "", "run would refuse to start: "
                    + cfg.s3().missingEncryption().get() + ".", List.of())));
        } else {
            results.add(CheckResult.skip(KmsKeyCheck.NAME, "no s3.kmsKeyId, and s3.trustBucketDefaultEncryption: "
                    + "objects are sent without SSE-KMS headers and take the bucket's default encryption; run starts"));
        }
        S3Settings s3 = cfg.s3Settings(lake.bucket());
        try (S3Client client = s3Client(s3, writer)) {
            String writerArn = principal;
            results.add(guarded(LakeBucketCheck.NAME, () -> new LakeBucketCheck(client, s3, cfg.layout(), writerArn).run()));
        }
        return results;
    }

    /**
     * A check that throws (an answer it did not expect, a bug) fails alone: the other checks still
     * run and report, which is the point of a preflight.
     */
    private static CheckResult guarded(String name, Supplier<CheckResult> check) {
        try {
            return check.get();
        } catch (RuntimeException e) {
            if (System.getenv("LAKEHOSE_DEBUG") != null) {
                e.printStackTrace();
            }
            return CheckResult.fail(name, new CheckResult.Failure("", "", e.getClass().getSimpleName(),
                    String.valueOf(e.getMessage()), "the check stopped on an unexpected answer (run with "
                    + "LAKEHOSE_DEBUG=1 for details); the other checks are not affected.", List.of()));
        }
    }

    private static S3Client s3Client(S3Settings s, AwsCredentialsProvider credentials) {
        S3ClientBuilder b = configure(S3Client.builder(), s.region(), s.endpoint(), credentials)
                .forcePathStyle(s.pathStyleAccess());
        if (s.checksumWhenRequired()) {
            b.requestChecksumCalculation(RequestChecksumCalculation.WHEN_REQUIRED)
                    .responseChecksumValidation(ResponseChecksumValidation.WHEN_REQUIRED);
        }
        return b.build();
    }

    private static <B extends AwsClientBuilder<B, ?>> B configure(B builder, String region, Optional<URI> endpoint,
                                                                  AwsCredentialsProvider credentials) {
        builder.region(Region.of(region)).credentialsProvider(credentials)
                .overrideConfiguration(o -> o
                        .retryStrategy(AwsRetryStrategy.standardRetryStrategy().toBuilder().maxAttempts(MAX_ATTEMPTS).build())
                        .apiCallTimeout(CALL_TIMEOUT));
        endpoint.ifPresent(builder::endpointOverride);
        return builder;
    }
}
