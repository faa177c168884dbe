package io.lakehose.preflight;

import io.lakehose.aws.AssumedRole;
import io.lakehose.preflight.CheckResult.Status;
import io.lakehose.sink.KmsKeyId;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import software.amazon.awssdk.auth.credentials.AwsBasicCredentials;
import software.amazon.awssdk.auth.credentials.StaticCredentialsProvider;
import software.amazon.awssdk.regions.Region;
import software.amazon.awssdk.services.kms.KmsClient;
import software.amazon.awssdk.services.sts.StsClient;

import java.util.Map;
import java.util.Optional;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.groups.Tuple.tuple;

/**
 * The kms-key and assume-role checks against {@link FakeKms} and {@link FakeSts}: HAND-WRITTEN FAKES
 * (no KMS or STS emulator runs on these machines). What is tested is our side: the calls made, the
 * encryption context, and how AWS's documented error codes are explained. Dummy credentials only.
 */
class PreflightKmsAndStsTest {

    private static final String ALLOWED = "arn:aws:kms:us-east-1:111122223333:key/11111111-1111-1111-1111-111111111111";
    private static final String DENIED = "arn:aws:kms:us-east-1:111122223333:key/22222222-2222-2222-2222-222222222222";
    private static final String DISABLED = "arn:aws:kms:us-east-1:111122223333:key/33333333-3333-3333-3333-333333333333";
    private static final String WRITER = "arn:aws:iam::444455556666:role/lakehose-lake-writer";
    private static final String TRUSTING = "arn:aws:iam::111122223333:role/lakehose-lake-writer";
    private static final String WITH_EXTERNAL_ID = "arn:aws:iam::111122223333:role/needs-external-id";

    static FakeKms kms;
    static FakeSts sts;
    static KmsClient kmsClient;
    static StsClient stsClient;

    @BeforeAll
    static void start() throws Exception {
        kms = FakeKms.start(Map.of(ALLOWED, FakeKms.Access.ALLOWED, DENIED, FakeKms.Access.DENIED,
                DISABLED, FakeKms.Access.DISABLED));
        sts = FakeSts.start(Map.of(TRUSTING, Optional.empty(), WITH_EXTERNAL_ID, Optional.of("lake-7")),
                "ASIAFAKEROLE", "fakerolesecret");
        StaticCredentialsProvider dummy = StaticCredentialsProvider.create(AwsBasicCredentials.create("fakekey", "fakesecret"));
        kmsClient = KmsClient.builder().endpointOverride(kms.endpoint()).region(Region.US_EAST_1)
                .credentialsProvider(dummy).build();
        stsClient = StsClient.builder().endpointOverride(sts.endpoint()).region(Region.US_EAST_1)
                .credentialsProvider(dummy).build();
    }

    @AfterAll
    static void stop() {
        kmsClient.close();
        stsClient.close();
        kms.close();
        sts.close();
    }

    @Test
    void allowedKeyGeneratesAndDecryptsADataKeyWithThePreflightContext() {
        CheckResult r = new KmsKeyCheck(kmsClient, new KmsKeyId(ALLOWED), "us-east-1", WRITER).run();

        assertThat(r.status()).as(r.detail()).isEqualTo(Status.PASS);
        assertThat(r.detail()).contains(ALLOWED, "GenerateDataKey and Decrypt");
        assertThat(kms.calls()).filteredOn(c -> ALLOWED.equals(c.keyId()))
                .extracting(FakeKms.Call::target, FakeKms.Call::context)
                .containsExactly(
                        tuple("TrentService.GenerateDataKey", Map.of("lakehose-preflight", "probe")),
                        tuple("TrentService.Decrypt", Map.of("lakehose-preflight", "probe")));
    }

    @Test
    void deniedCrossAccountKeyNamesBothTheKeyPolicyAndTheIamPolicy() {
        CheckResult r = new KmsKeyCheck(kmsClient, new KmsKeyId(DENIED), "us-east-1", WRITER).run();

        assertThat(r.status()).isEqualTo(Status.FAIL);
        CheckResult.Failure f = r.failure().orElseThrow();
        assertThat(f.action()).isEqualTo("kms:GenerateDataKey");
        assertThat(f.resource()).isEqualTo(DENIED);
        assertThat(f.errorCode()).isEqualTo("AccessDeniedException");
        assertThat(f.explanation()).contains(WRITER + " may not call kms:GenerateDataKey",
                "The key is in account 111122223333, the writer in 444455556666",
                "its key policy names the writer", "AND the writer's IAM policy allows the key");
        assertThat(f.fixes()).extracting(CheckResult.Fix::where).containsExactly(
                "IAM policy of " + WRITER, "IAM policy of " + WRITER,
                "key policy of " + DENIED + " (in the key's account)", "key policy of " + DENIED + " (in the key's account)");
        assertThat(f.fixes().get(1).statement()).contains("\"LakeKeyPreflightProbe\"",
                "\"kms:EncryptionContext:lakehose-preflight\" : \"probe\"", DENIED);
        assertThat(f.fixes().get(2).statement()).contains("\"LakeWriterUsesKeyThroughS3\"", "\"Resource\" : \"*\"",
                "\"kms:ViaService\" : \"s3.us-east-1.amazonaws.com\"", WRITER);
    }

    @Test
    void disabledKeyIsExplainedAsNotAPermission() {
        CheckResult r = new KmsKeyCheck(kmsClient, new KmsKeyId(DISABLED), "us-east-1", WRITER).run();

        assertThat(r.status()).isEqualTo(Status.FAIL);
        assertThat(r.failure().orElseThrow().explanation()).contains("the key is disabled", "Enable it");
        assertThat(r.failure().orElseThrow().fixes()).isEmpty();
    }

    @Test
    void unknownKeyIsNotFound() {
        String unknown = "arn:aws:kms:us-east-1:111122223333:key/44444444-4444-4444-4444-444444444444";
        CheckResult r = new KmsKeyCheck(kmsClient, new KmsKeyId(unknown), "us-east-1", WRITER).run();

        assertThat(r.failure().orElseThrow().errorCode()).isEqualTo("NotFoundException");
        assertThat(r.failure().orElseThrow().explanation()).contains("no such key in us-east-1", "s3.kmsKeyId");
    }

    @Test
    void keyInAnotherRegionThanTheBucketFailsWithoutCallingKms() {
        int before = kms.calls().size();
        String euKey = "arn:aws:kms:eu-west-1:111122223333:key/11111111-1111-1111-1111-111111111111";

        CheckResult r = new KmsKeyCheck(kmsClient, new KmsKeyId(euKey), "us-east-1", WRITER).run();

        assertThat(r.status()).isEqualTo(Status.FAIL);
        assertThat(r.failure().orElseThrow().explanation()).contains("the key is in eu-west-1 but the bucket");
        assertThat(kms.calls()).hasSize(before);
    }

    @Test
    void trustedRoleIsAssumedAndItsCredentialsReturned() {
        AssumeRoleCheck.Outcome o = new AssumeRoleCheck(stsClient, role(TRUSTING, null)).run();

        assertThat(o.result().status()).as(o.result().detail()).isEqualTo(Status.PASS);
        assertThat(o.result().detail()).contains("assumed " + TRUSTING,
                "arn:aws:sts::111122223333:assumed-role/lakehose-lake-writer/lakehose-preflight");
        assertThat(o.credentials().orElseThrow().accessKeyId()).isEqualTo("ASIAFAKEROLE");
        assertThat(o.credentials().orElseThrow().sessionToken()).isEqualTo("fakesessiontoken");
    }

    @Test
    void refusedAssumeRoleNamesTheIamPolicyAndTheTrustPolicy() {
        AssumeRoleCheck.Outcome o = new AssumeRoleCheck(stsClient, role(WITH_EXTERNAL_ID, "wrong-id")).run();

        assertThat(o.credentials()).isEmpty();
        CheckResult.Failure f = o.result().failure().orElseThrow();
        assertThat(f.action()).isEqualTo("sts:AssumeRole");
        assertThat(f.resource()).isEqualTo(WITH_EXTERNAL_ID);
        assertThat(f.errorCode()).isEqualTo("AccessDenied");
        assertThat(f.explanation()).contains("not which of two policies refused",
                "the trust policy of that role (in account 111122223333)", "s3.roleExternalId");
        assertThat(f.fixes()).extracting(CheckResult.Fix::where).containsExactly(
                "IAM policy of the role lakehose runs as", "trust policy of " + WITH_EXTERNAL_ID);
        assertThat(f.fixes().get(0).statement()).contains("\"AssumeLakeWriterRole\"", "\"sts:AssumeRole\"", WITH_EXTERNAL_ID);
        assertThat(f.fixes().get(1).statement()).contains("\"aws:PrincipalArn\"", "\"sts:ExternalId\" : \"wrong-id\"");
        assertThat(sts.calls()).contains(new FakeSts.Call(WITH_EXTERNAL_ID, "lakehose-preflight", "wrong-id"));
    }

    private static AssumedRole role(String arn, String externalId) {
        return new AssumedRole(arn, Optional.ofNullable(externalId), "us-east-1", Optional.of(sts.endpoint()));
    }
}
