package io.lakehose.preflight;

import io.lakehose.preflight.CheckResult.Fix;
import io.lakehose.sink.KmsKeyId;
import software.amazon.awssdk.core.SdkBytes;
import software.amazon.awssdk.services.kms.KmsClient;
import software.amazon.awssdk.services.kms.model.DataKeySpec;
import software.amazon.awssdk.services.kms.model.GenerateDataKeyResponse;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * The lake's KMS key, called directly: GenerateDataKey, then Decrypt of the data key it returned.
 * These are the two calls S3 makes on the writer's behalf for SSE-KMS (GenerateDataKey for each
 * new object or multipart upload, Decrypt for each part), so a failure here names the key problem
 * precisely (missing, disabled, pending deletion, denied) where S3 only answers AccessDenied.
 *
 * <p>Why an encryption context: the task role may use the key only through S3 (kms:ViaService), so
 * preflight's direct calls are allowed by a separate statement (LakeKeyPreflightProbe) that requires
 * the context {@code lakehose-preflight=probe}. S3's data keys carry another context (the object's
 * ARN), so that statement cannot decrypt anything in the lake. The plaintext data key is discarded.
 */
final class KmsKeyCheck {

    static final String NAME = "kms-key";

    private final KmsClient kms;
    private final KmsKeyId key;
    private final String s3Region;
    private final String principal;

    /** @param principal ARN of who writes (s3.roleArn), or a placeholder for the role lakehose runs as */
    KmsKeyCheck(KmsClient kms, KmsKeyId key, String s3Region, String principal) {
        this.kms = kms;
        this.key = key;
        this.s3Region = s3Region;
        this.principal = principal;
    }

    /** The region to call: the key ARN's, else the bucket's (S3 only uses keys of the bucket's region). */
    static String region(KmsKeyId key, String s3Region) {
        String[] arn = key.value().split(":", 6);
        return arn.length == 6 && arn[0].equals("arn") && !arn[3].isEmpty() ? arn[3] : s3Region;
    }

    CheckResult run() {
        String keyRegion = region(key, s3Region);
        String keyArn = key.value().startsWith("arn:") ? key.value()
                : "arn:" + Policies.partition(keyRegion) + ":kms:" + keyRegion + ":" + Policies.ACCOUNT
                + (key.value().startsWith("alias/") ? ":" + key.value() : ":key/" + key.value());
        if (!keyRegion.equals(s3Region)) {
            return CheckResult.fail(NAME, new CheckResult.Failure("", keyArn, "WrongRegion", "",
                    "the key is in " + keyRegion + " but the bucket (s3.region) in " + s3Region + ": S3 uses only "
                            + "KMS keys of the bucket's region. Use a key (or a multi-Region replica) in " + s3Region + ".",
                    List.of()));
        }
        Map<String, String> context = Map.of(Policies.PROBE_CONTEXT_KEY, Policies.PROBE_CONTEXT_VALUE);
        byte[] plaintext = null;
        byte[] decrypted = null;
        try {
            GenerateDataKeyResponse generated = Refused.call("kms:GenerateDataKey", keyArn, () -> kms.generateDataKey(b -> b
                    .keyId(key.value()).keySpec(DataKeySpec.AES_256).encryptionContext(context)));
            if (generated.keyId() != null && generated.keyId().startsWith("arn:")) {
                keyArn = generated.keyId();
            }
            plaintext = generated.plaintext().asByteArray();
            SdkBytes ciphertext = generated.ciphertextBlob();
            decrypted = Refused.call("kms:Decrypt", keyArn, () -> kms.decrypt(b -> b.keyId(key.value())
                    .ciphertextBlob(ciphertext).encryptionContext(context))).plaintext().asByteArray();
            if (!Arrays.equals(plaintext, decrypted)) {
                return CheckResult.fail(NAME, new CheckResult.Failure("kms:Decrypt", keyArn, "WrongPlaintext", "",
                        "Decrypt returned another data key than GenerateDataKey: the endpoint is not a working KMS.",
                        List.of()));
            }
            return CheckResult.pass(NAME, "kms key " + keyArn + ": GenerateDataKey and Decrypt (encryption context "
                    + Policies.PROBE_CONTEXT_KEY + "=" + Policies.PROBE_CONTEXT_VALUE + ")");
        } catch (Refused r) {
            return CheckResult.fail(NAME, explain(r, keyArn));
        } finally {
            if (plaintext != null) {
                Arrays.fill(plaintext, (byte) 0);
            }
            if (decrypted != null) {
                Arrays.fill(decrypted, (byte) 0);
            }
        }
    }

    private CheckResult.Failure explain(Refused r, String keyArn) {
        String who = principal.startsWith("arn:") ? principal : "the role lakehose runs as";
        List<Fix> fixes = new ArrayList<>();
        fixes.add(new Fix("IAM policy of " + who, Policies.lakeKeyThroughS3(keyArn, s3Region)));
        fixes.add(new Fix("IAM policy of " + who, Policies.lakeKeyPreflightProbe(keyArn)));
        for (String s : Policies.keyPolicyForWriter(principal, s3Region)) {
            fixes.add(new Fix("key policy of " + keyArn + " (in the key's account)", s));
        }
        Optional<String> keyAccount = Policies.accountOf(keyArn);
        Optional<String> writerAccount = Policies.accountOf(principal);
        String cross = keyAccount.isPresent() && writerAccount.isPresent() && !keyAccount.equals(writerAccount)
                ? " The key is in account " + keyAccount.get() + ", the writer in " + writerAccount.get()
                + ": a cross-account key is usable only if its key policy names the writer (or its account) AND the "
                + "writer's IAM policy allows the key; either alone is not enough."
                : " If the key is in another account than the writer, its key policy must allow the writer as well as "
                + "the writer's IAM policy.";
        return r.failure(who + " may not call " + r.action + " on the key. S3 makes this call on the writer's behalf "
                        + "for every SSE-KMS put (kms:ViaService s3." + s3Region + ".amazonaws.com: LakeKeyThroughS3); "
                        + "preflight's direct probe is allowed by LakeKeyPreflightProbe." + cross,
                fixes,
                other -> switch (other.code) {
                    case "NotFoundException" -> "no such key in " + s3Region + " (not a permission problem): check "
                            + "s3.kmsKeyId (an alias must exist in the bucket's region).";
                    case "DisabledException" -> "the key is disabled: every put to the lake would fail. Enable it.";
                    case "KMSInvalidStateException" -> "the key is not usable (pending deletion or import): every "
                            + "put to the lake would fail. Cancel the deletion or finish the import.";
                    default -> null;
                });
    }
}
