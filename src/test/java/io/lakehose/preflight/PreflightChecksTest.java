package io.lakehose.preflight;

import io.lakehose.testing.EmulatorAccess;
import io.lakehose.partition.LakeLayout;
import io.lakehose.preflight.CheckResult.Status;
import io.lakehose.sink.KmsKeyId;
import io.lakehose.sink.S3Settings;
import io.lakehose.testing.LeaseTableSeeder;
import io.lakehose.testing.LocalStackExtension;
import io.lakehose.testing.S3EmulatorExtension;
import io.lakehose.testing.WorkerHarness;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import software.amazon.awssdk.auth.credentials.AnonymousCredentialsProvider;
import software.amazon.awssdk.auth.credentials.AwsBasicCredentials;
import software.amazon.awssdk.auth.credentials.StaticCredentialsProvider;
import software.amazon.awssdk.core.interceptor.Context;
import software.amazon.awssdk.core.interceptor.ExecutionAttributes;
import software.amazon.awssdk.core.interceptor.ExecutionInterceptor;
import software.amazon.awssdk.http.SdkHttpRequest;
import software.amazon.awssdk.regions.Region;
import software.amazon.awssdk.services.dynamodb.DynamoDbClient;
import software.amazon.awssdk.services.kinesis.KinesisClient;
import software.amazon.awssdk.services.s3.S3Client;
import software.amazon.awssdk.services.s3.model.S3Exception;
import software.amazon.awssdk.awscore.exception.AwsErrorDetails;

import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Proxy;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CopyOnWriteArrayList;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The checks against the local emulators (kinesis-local, DynamoDB Local, S3Proxy): real error
 * codes from real endpoints. S3Proxy's 403s are real (SignatureDoesNotMatch for a wrong secret,
 * AccessDenied for unsigned requests); a refused put is injected (see {@link #denying}), and
 * DynamoDB Local and kinesis-local evaluate no IAM at all.
 */
class PreflightChecksTest {

    private static final String KEY = WorkerHarness.KMS_KEY; // account 111122223333
    private static final String WRITER_ROLE = "arn:aws:iam::444455556666:role/lakehose-lake-writer";

    @RegisterExtension
    static final LocalStackExtension aws = new LocalStackExtension();

    static WorkerHarness harness;
    static KinesisClient kinesis;
    static DynamoDbClient dynamo;

    @BeforeAll
    static void up() {
        harness = new WorkerHarness(aws.stack(), "preflight", 2);
        kinesis = aws.kinesis().newSyncClient();
        dynamo = DynamoDbClient.builder().endpointOverride(aws.dynamoDb().endpoint()).region(Region.US_EAST_1)
                .credentialsProvider(EmulatorAccess.credentials()).build();
    }

    @AfterAll
    static void down() {
        if (kinesis != null) {
            kinesis.close();
        }
        if (dynamo != null) {
            dynamo.close();
        }
    }

    @Test
    void missingStreamFailsAndSaysItIsNotAPermission() {
        CheckResult r = new StreamCheck(kinesis, "no-such-stream", "us-east-1").run();

        assertThat(r.status()).isEqualTo(Status.FAIL);
        CheckResult.Failure f = r.failure().orElseThrow();
        assertThat(f.action()).isEqualTo("kinesis:DescribeStreamSummary");
        assertThat(f.resource()).isEqualTo("arn:aws:kinesis:us-east-1:<account-id>:stream/no-such-stream");
        assertThat(f.errorCode()).isEqualTo("ResourceNotFoundException");
        assertThat(f.explanation()).contains("no stream 'no-such-stream' in region us-east-1", "not a permission",
                "kinesis.stream");
        assertThat(f.fixes()).isEmpty();
    }

    @Test
    void existingStreamIsDescribedAndRead() {
        CheckResult r = new StreamCheck(kinesis, harness.stream(), "us-east-1").run();

        assertThat(r.status()).as(r.detail()).isEqualTo(Status.PASS);
        assertThat(r.detail()).contains("stream/" + harness.stream(), "ACTIVE", "2 open shards", "GetRecords on shardId-");
    }

    @Test
    void missingLeaseTableIsAWarningNamingCreateTable() {
        CheckResult r = new LeaseTableCheck(dynamo, "lakehose-not-created-yet", "us-east-1").run();

        assertThat(r.status()).isEqualTo(Status.WARN);
        CheckResult.Failure f = r.failure().orElseThrow();
        assertThat(f.errorCode()).isEqualTo("ResourceNotFoundException");
        assertThat(f.explanation()).contains("KCL creates it at first start", "dynamodb:CreateTable");
        assertThat(f.fixes()).singleElement().satisfies(fix -> assertThat(fix.statement())
                .contains("\"LeaseTable\"", "dynamodb:CreateTable", "table/lakehose-not-created-yet"));
        assertThat(PreflightReport.exitCode(List.of(r))).isZero();
    }

    @Test
    void leaseTablePassesWithoutWritingAnItem() {
        var before = LeaseTableSeeder.leases(aws.dynamoDb().client(), harness.application());

        CheckResult r = new LeaseTableCheck(dynamo, harness.application(), "us-east-1").run();

        assertThat(r.status()).as(r.detail()).isEqualTo(Status.PASS);
        assertThat(r.detail()).contains("table/" + harness.application(), "nothing written");
        assertThat(LeaseTableSeeder.leases(aws.dynamoDb().client(), harness.application())).isEqualTo(before);
        assertThat(before).hasSize(2);
    }

    @Test
    void missingBucketFails() {
        try (S3Client s3 = s3(EmulatorAccess.ACCESS_KEY, EmulatorAccess.SECRET_KEY, null)) {
            CheckResult r = new LakeBucketCheck(s3, settings("no-such-bucket", "pf-missing"), layout("pf-missing"),
                    Policies.TASK_ROLE).run();

            assertThat(r.status()).isEqualTo(Status.FAIL);
            CheckResult.Failure f = r.failure().orElseThrow();
            assertThat(f.action()).isEqualTo("s3:ListBucket");
            assertThat(f.errorCode()).isEqualTo("NoSuchBucket");
            assertThat(f.explanation()).contains("bucket 'no-such-bucket' does not exist", "lake.uri");
        }
    }

    @Test
    void refusedCredentialsFailOnTheFirstCallWithAwsCode() {
        try (S3Client s3 = s3(EmulatorAccess.ACCESS_KEY, "not-the-secret", null)) {
            CheckResult r = new LakeBucketCheck(s3, settings(aws.s3().bucket(), "pf-denied"), layout("pf-denied"),
                    Policies.TASK_ROLE).run();

            assertThat(r.status()).isEqualTo(Status.FAIL);
            CheckResult.Failure f = r.failure().orElseThrow();
            assertThat(f.action()).isEqualTo("s3:ListBucket");
            assertThat(f.resource()).isEqualTo("arn:aws:s3:::" + aws.s3().bucket());
            assertThat(f.errorCode()).isEqualTo("SignatureDoesNotMatch");
            assertThat(f.explanation()).contains("credentials lakehose runs with are not valid", "not a missing permission");
            assertThat(f.fixes()).isEmpty();
            assertThat(r.detail()).startsWith("s3:ListBucket on arn:aws:s3:::" + aws.s3().bucket() + ": SignatureDoesNotMatch");
        }
    }

    @Test
    void deniedListingNamesListBucketAndTheCdkStatement() {
        // An unsigned request: S3Proxy's real 403 AccessDenied, what a principal without the permission gets.
        try (S3Client s3 = s3(null, null, null)) {
            CheckResult r = new LakeBucketCheck(s3, settings(aws.s3().bucket(), "pf-list"), layout("pf-list"),
                    Policies.TASK_ROLE).run();

            assertThat(r.status()).isEqualTo(Status.FAIL);
            CheckResult.Failure f = r.failure().orElseThrow();
            assertThat(f.action()).isEqualTo("s3:ListBucket");
            assertThat(f.errorCode()).isEqualTo("AccessDenied");
            assertThat(f.explanation()).contains("may not list s3://" + aws.s3().bucket() + "/pf-list",
                    "lists its partitions at lease start");
            assertThat(f.fixes()).singleElement().satisfies(fix -> {
                assertThat(fix.where()).isEqualTo("IAM policy of the role lakehose runs as");
                assertThat(fix.statement()).contains("\"LakeListPrefixes\"", "\"s3:ListBucket\"",
                        "\"arn:aws:s3:::" + aws.s3().bucket() + "\"", "\"pf-list/*\"", "\"pf-list-errors/*\"");
            });
        }
    }

    @Test
    void goodBucketProbeSendsTheWorkersSseKmsHeadersAndLeavesNothing() {
        List<SdkHttpRequest> sent = new CopyOnWriteArrayList<>();
        try (S3Client s3 = s3(EmulatorAccess.ACCESS_KEY, EmulatorAccess.SECRET_KEY, sent)) {
            CheckResult r = new LakeBucketCheck(s3, settings(aws.s3().bucket(), "pf-good"), layout("pf-good"),
                    Policies.TASK_ROLE).run();

            assertThat(r.status()).as(r.detail()).isEqualTo(Status.PASS);
            assertThat(r.detail()).contains("SSE-KMS with " + KEY, "no object left");
        }
        SdkHttpRequest create = sent.stream().filter(q -> q.rawQueryParameters().containsKey("uploads")).findFirst()
                .orElseThrow();
        assertThat(create.encodedPath()).contains("/pf-good/_lakehose_preflight/");
        assertThat(create.firstMatchingHeader("x-amz-server-side-encryption")).contains("aws:kms");
        assertThat(create.firstMatchingHeader("x-amz-server-side-encryption-aws-kms-key-id")).contains(KEY);
        assertThat(create.firstMatchingHeader("x-amz-server-side-encryption-bucket-key-enabled")).contains("true");
        assertThat(sent.stream().map(q -> q.method().name()).toList()).containsSubsequence("GET", "POST", "PUT", "DELETE");
        assertThat(aws.s3().client().listObjectsV2(b -> b.bucket(aws.s3().bucket()).prefix("pf-good/")).contents())
                .isEmpty();
        assertThat(aws.s3().client().listMultipartUploads(b -> b.bucket(aws.s3().bucket()).prefix("pf-good/")).uploads())
                .isEmpty();
    }

    @Test
    void refusedPutExplainsTheKeyPolicyOfACrossAccountKey() {
        try (S3Client good = s3(EmulatorAccess.ACCESS_KEY, EmulatorAccess.SECRET_KEY, null)) {
            // Listing allowed, puts refused as AWS refuses them when the key policy lacks the writer.
            S3Client s3 = denying(good, Set.of("createMultipartUpload"));
            CheckResult r = new LakeBucketCheck(s3, settings(aws.s3().bucket(), "pf-cross"), layout("pf-cross"),
                    WRITER_ROLE).run();

            assertThat(r.status()).isEqualTo(Status.FAIL);
            CheckResult.Failure f = r.failure().orElseThrow();
            assertThat(f.action()).isEqualTo("s3:PutObject");
            assertThat(f.errorCode()).isEqualTo("AccessDenied");
            assertThat(f.resource()).startsWith("arn:aws:s3:::" + aws.s3().bucket() + "/pf-cross/_lakehose_preflight/");
            assertThat(f.explanation()).contains("AWS's message does not say which",
                    "The key is in account 111122223333 and the writer in account 444455556666: cross-account",
                    "BOTH the key policy in the key's account", "kms:GenerateDataKey", "kms:Decrypt");
            assertThat(f.fixes()).extracting(CheckResult.Fix::where).containsExactly(
                    "IAM policy of " + WRITER_ROLE, "IAM policy of " + WRITER_ROLE,
                    "key policy of " + KEY + " (in the key's account)", "key policy of " + KEY + " (in the key's account)");
            assertThat(f.fixes().get(0).statement()).contains("\"LakePutObjects\"",
                    "arn:aws:s3:::" + aws.s3().bucket() + "/pf-cross/*", "arn:aws:s3:::" + aws.s3().bucket() + "/pf-cross-errors/*");
            assertThat(f.fixes().get(1).statement()).contains("\"LakeKeyThroughS3\"", KEY, "s3.us-east-1.amazonaws.com");
            assertThat(f.fixes().get(2).statement()).contains("\"LakeWriterUsesKeyThroughS3\"", "\"AWS\" : \"" + WRITER_ROLE);
        }
    }

    @Test
    void refusedPartNamesKmsDecryptAndTheUploadIsStillAborted() {
        try (S3Client good = s3(EmulatorAccess.ACCESS_KEY, EmulatorAccess.SECRET_KEY, null)) {
            S3Client s3 = denying(good, Set.of("uploadPart"));
            CheckResult r = new LakeBucketCheck(s3, settings(aws.s3().bucket(), "pf-part"), layout("pf-part"),
                    WRITER_ROLE).run();

            assertThat(r.status()).isEqualTo(Status.FAIL);
            assertThat(r.failure().orElseThrow().explanation()).contains(
                    "CreateMultipartUpload with these headers was allowed", "S3 could not call kms:Decrypt");
        }
        assertThat(aws.s3().client().listMultipartUploads(b -> b.bucket(aws.s3().bucket()).prefix("pf-part/")).uploads())
                .isEmpty();
    }

    private static S3Settings settings(String bucket, String prefix) {
        S3Settings s = S3EmulatorExtension.settingsFor(aws.s3(), Optional.of(new KmsKeyId(KEY)));
        return new S3Settings(bucket, s.region(), s.endpoint(), true, s.kmsKey(), s.multipartThresholdBytes(),
                s.partSizeBytes(), s.maxAttempts(), s.checksumWhenRequired());
    }

    private static LakeLayout layout(String prefix) {
        return new LakeLayout(prefix, LakeLayout.DEFAULT_TEMPLATE, prefix + "-errors");
    }

    /** A client signing with these credentials; unsigned when {@code accessKey} is null. */
    private static S3Client s3(String accessKey, String secret, List<SdkHttpRequest> sent) {
        return S3Client.builder().endpointOverride(aws.s3().endpoint()).forcePathStyle(true).region(Region.US_EAST_1)
                .credentialsProvider(accessKey == null ? AnonymousCredentialsProvider.create()
                        : StaticCredentialsProvider.create(AwsBasicCredentials.create(accessKey, secret)))
                .overrideConfiguration(o -> o.addExecutionInterceptor(new ExecutionInterceptor() {
                    @Override
                    public void beforeTransmission(Context.BeforeTransmission context, ExecutionAttributes attributes) {
                        if (sent != null) {
                            sent.add(context.httpRequest());
                        }
                    }
                }))
                .build();
    }

    /**
     * An S3Client that sends everything to S3Proxy except the named operations, which fail with the
     * 403 AccessDenied S3 answers when IAM, the bucket policy or (through S3) the key policy refuses.
     * Injected, not real: S3Proxy evaluates no policy, and its only real AccessDenied (for unsigned
     * requests) does not cover multipart uploads (it answers NotImplemented).
     */
    private static S3Client denying(S3Client s3, Set<String> deniedOperations) {
        return (S3Client) Proxy.newProxyInstance(S3Client.class.getClassLoader(), new Class<?>[] {S3Client.class},
                (proxy, method, args) -> {
                    if (deniedOperations.contains(method.getName())) {
                        throw S3Exception.builder().statusCode(403).message("Access Denied")
                                .awsErrorDetails(AwsErrorDetails.builder().errorCode("AccessDenied")
                                        .errorMessage("Access Denied").serviceName("S3").build())
                                .build();
                    }
                    try {
                        return method.invoke(s3, args);
                    } catch (InvocationTargetException e) {
                        throw e.getCause();
                    }
                });
    }

}
