package io.lakehose.preflight;

import io.lakehose.partition.LakeLayout;
import io.lakehose.preflight.CheckResult.Failure;
import io.lakehose.preflight.CheckResult.Fix;
import io.lakehose.sink.S3ObjectStore;
import io.lakehose.sink.S3Settings;
import software.amazon.awssdk.core.sync.RequestBody;
import software.amazon.awssdk.services.s3.S3Client;
import software.amazon.awssdk.services.s3.model.ChecksumAlgorithm;
import software.amazon.awssdk.services.s3.model.CreateMultipartUploadRequest;
import software.amazon.awssdk.services.s3.model.NoSuchKeyException;
import software.amazon.awssdk.services.s3.model.UploadPartRequest;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.UUID;

/**
 * The lake bucket: ListObjectsV2 on the prefix (a worker lists its partitions at lease start),
 * HeadObject of a key that does not exist (the fence reads objects' metadata), then a put with the
 * SSE-KMS headers exactly as {@link S3ObjectStore} sends them, which leaves nothing.
 *
 * <p>Why a multipart upload that is aborted, not a zero-byte PutObject that is deleted: the task
 * role has no s3:DeleteObject (deploy/cdk grants put and abort only, so a bug can never delete lake
 * data), so a probe object could not be removed. The aborted upload is authorized exactly like
 * the worker's puts and proves more: CreateMultipartUpload is an s3:PutObject under the bucket
 * policy's encryption conditions, for which S3 calls kms:GenerateDataKey on the caller's behalf;
 * UploadPart is an s3:PutObject for which S3 calls kms:Decrypt (the multipart path of files from
 * s3.multipartThresholdBytes); AbortMultipartUpload needs s3:AbortMultipartUpload. An upload that is
 * never completed is never an object: no reader or listing sees it, and if the abort itself fails,
 * the bucket's AbortIncompleteMultipartUpload lifecycle rule removes its part.
 */
final class LakeBucketCheck {

    static final String NAME = "lake-bucket";
    /** Under the lake prefix, beside the table= directories; a reader globbing table=* never sees it. */
    static final String PROBE_DIRECTORY = "_lakehose_preflight";
    private static final byte[] PART = "lakehose preflight probe (never completed)".getBytes(StandardCharsets.US_ASCII);

    private final S3Client s3;
    private final S3Settings settings;
    private final LakeLayout layout;
    private final String principal;

    /** @param principal ARN of who writes (s3.roleArn), or a placeholder for the role lakehose runs as */
    LakeBucketCheck(S3Client s3, S3Settings settings, LakeLayout layout, String principal) {
        this.s3 = s3;
        this.settings = settings;
        this.layout = layout;
        this.principal = principal;
    }

    CheckResult run() {
        String partition = Policies.partition(settings.region());
        String bucket = settings.bucket();
        String bucketArn = Policies.s3Arn(partition, bucket);
        String prefix = layout.prefix();
        String key = (prefix.isEmpty() ? "" : prefix + "/") + PROBE_DIRECTORY + "/" + UUID.randomUUID();
        String objectArn = bucketArn + "/" + key;
        try {
            Refused.call("s3:ListBucket", bucketArn, () -> s3.listObjectsV2(b -> b.bucket(bucket)
                    .prefix(prefix.isEmpty() ? "" : prefix + "/").maxKeys(1)));
        } catch (Refused r) {
            return CheckResult.fail(NAME, explainList(r, partition));
        }
        try {
            // The fence reads where an object ends from its metadata (HeadObject, authorized as
            // s3:GetObject). Of a key that does not exist, S3 answers 404 to a caller that may
            // read and list, 403 to one that may not read.
            Refused.call("s3:GetObject", objectArn, () -> {
                try {
                    return s3.headObject(b -> b.bucket(bucket).key(key));
                } catch (NoSuchKeyException absent) {
                    return null;
                }
            });
        } catch (Refused r) {
            return CheckResult.fail(NAME, r.failure(principalName() + " may not read object metadata under s3://"
                            + bucket + "/" + prefix + "; the worker reads where an object ends (HeadObject) when it takes a "
                            + "lease and when another writer of its shard stored a range first.",
                    List.of(new Fix(iamPolicyOf(), Policies.lakeReadObjects(partition, bucket, prefixes()))),
                    this::notAPermission));
        }
        CreateMultipartUploadRequest create = S3ObjectStore.createRequest(settings, key, "application/octet-stream");
        boolean partChecksums = !settings.checksumWhenRequired(); // as S3MultipartUpload
        if (partChecksums) {
            create = create.toBuilder().checksumAlgorithm(ChecksumAlgorithm.CRC32).build();
        }
        CreateMultipartUploadRequest request = create;
        String uploadId;
        try {
            uploadId = Refused.call("s3:PutObject", objectArn, () -> s3.createMultipartUpload(request)).uploadId();
        } catch (Refused r) {
            return CheckResult.fail(NAME, explainPut(r, partition, false));
        }
        Refused partRefused = null;
        try {
            UploadPartRequest.Builder part = UploadPartRequest.builder().bucket(bucket).key(key).uploadId(uploadId)
                    .partNumber(1).contentLength((long) PART.length);
            if (partChecksums) {
                part.checksumAlgorithm(ChecksumAlgorithm.CRC32);
            }
            Refused.call("s3:PutObject", objectArn, () -> s3.uploadPart(part.build(), RequestBody.fromBytes(PART)));
        } catch (Refused r) {
            partRefused = r;
        }
        try {
            Refused.call("s3:AbortMultipartUpload", objectArn,
                    () -> s3.abortMultipartUpload(b -> b.bucket(bucket).key(key).uploadId(uploadId)));
        } catch (Refused r) {
            if (partRefused == null) {
                return CheckResult.fail(NAME, r.failure("the worker aborts a multipart upload that failed; without "
                                + "s3:AbortMultipartUpload the parts stay (invisible, billed) until the bucket's "
                                + "AbortIncompleteMultipartUpload lifecycle rule removes them, as it will this probe's.",
                        List.of(new Fix(iamPolicyOf(), Policies.lakePutObjects(partition, bucket, prefixes()))),
                        other -> null));
            }
        }
        if (partRefused != null) {
            return CheckResult.fail(NAME, explainPut(partRefused, partition, true));
        }
        String sse = settings.kmsKey().map(k -> "SSE-KMS with " + k.value()).orElse("no SSE headers (bucket default)");
        return CheckResult.pass(NAME, "s3://" + bucket + "/" + prefix + ": ListObjectsV2, HeadObject, then CreateMultipartUpload ("
                + sse + "), UploadPart and AbortMultipartUpload of " + key + " (no object left)");
    }

    private Failure explainList(Refused r, String partition) {
        return r.failure(principalName() + " may not list s3://" + settings.bucket() + "/" + layout.prefix()
                        + "; the worker lists its partitions at lease start to find what is already in the lake.",
                List.of(new Fix(iamPolicyOf(), Policies.lakeListPrefixes(partition, settings.bucket(), prefixes()))),
                this::notAPermission);
    }

    /**
     * The case AWS's message does not explain: an AccessDenied on a put with SSE-KMS is as often
     * S3's own call to KMS on the caller's behalf as the s3:PutObject permission, and in a
     * cross-account lake usually the key policy.
     */
    private Failure explainPut(Refused r, String partition, boolean part) {
        List<Fix> fixes = new ArrayList<>();
        fixes.add(new Fix(iamPolicyOf(), Policies.lakePutObjects(partition, settings.bucket(), prefixes())));
        if (settings.kmsKey().isEmpty()) {
            return r.failure(principalName() + " may not put objects under s3://" + settings.bucket() + "/"
                    + layout.prefix() + " (the IAM policy, or the bucket policy, refuses s3:PutObject).", fixes, this::notAPermission);
        }
        String key = settings.kmsKey().get().value();
        String keyArn = key.startsWith("arn:") ? key : "<ARN of key " + key + ">";
        fixes.add(new Fix(iamPolicyOf(), Policies.lakeKeyThroughS3(keyArn, settings.region())));
        for (String s : Policies.keyPolicyForWriter(principal, settings.region())) {
            fixes.add(new Fix("key policy of " + keyArn + " (in the key's account)", s));
        }
        Optional<String> keyAccount = Policies.accountOf(key);
        Optional<String> writerAccount = Policies.accountOf(principal);
        String crossAccount = keyAccount.isPresent() && writerAccount.isPresent() && !keyAccount.equals(writerAccount)
                ? "The key is in account " + keyAccount.get() + " and the writer in account " + writerAccount.get()
                + ": cross-account, "
                : keyAccount.map(a -> "If lakehose's role is not in the key's account " + a + " (cross-account lake), ")
                .orElse("If the key is in another account than lakehose's role (cross-account lake), ");
        String which = part
                ? "CreateMultipartUpload with these headers was allowed, so s3:PutObject and kms:GenerateDataKey are; "
                + "the part was refused: S3 could not call kms:Decrypt on the key for " + principalName() + ". "
                : "S3 answers " + r.code + " both when s3:PutObject itself is refused (IAM policy, or a bucket policy "
                + "that refuses puts not encrypted with its key) and when S3's own call to KMS on the caller's behalf "
                + "is refused (kms:GenerateDataKey when a put or multipart upload starts, kms:Decrypt for each part); "
                + "AWS's message does not say which. ";
        return r.failure(which + crossAccount + "BOTH the key policy in the key's account must allow the writer "
                        + "kms:GenerateDataKey and kms:Decrypt AND the writer's IAM policy must allow them on the key; "
                        + "the bucket policy is rarely the cause. The kms-key check above names key problems precisely.",
                fixes, this::notAPermission);
    }

    private String notAPermission(Refused r) {
        return switch (r.code) {
            case "NoSuchBucket" -> "bucket '" + settings.bucket() + "' does not exist (not a permission problem): "
                    + "check lake.uri, s3.region and s3.endpoint.";
            case "PermanentRedirect", "AuthorizationHeaderMalformed", "IllegalLocationConstraintException" ->
                    "bucket '" + settings.bucket() + "' is not in s3.region " + settings.region() + ".";
            case "KMS.NotFoundException", "KMS.DisabledException", "KMS.KMSInvalidStateException" ->
                    "S3 could not use the KMS key " + settings.kmsKey().map(Object::toString).orElse("") + " ("
                            + r.code + "): it must exist, be enabled and be in the bucket's region.";
            default -> null;
        };
    }

    private List<String> prefixes() {
        return List.of(layout.prefix(), layout.errorPrefix());
    }

    private String principalName() {
        return principal.startsWith("arn:") ? principal : "the role lakehose runs as";
    }

    private String iamPolicyOf() {
        return "IAM policy of " + principalName();
    }
}
