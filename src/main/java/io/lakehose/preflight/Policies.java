package io.lakehose.preflight;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * The policy statements preflight suggests. They are the statements of deploy/cdk (same Sid, same
 * actions, same conditions: lib/task-role.ts, lib/lake-bucket.ts, lib/lake-account-stack.ts), so
 * a fix never grants more than the CDK stack would; keep both in step.
 */
final class Policies {

    /** Encryption context of preflight's own KMS probe; the LakeKeyPreflightProbe statement requires it. */
    static final String PROBE_CONTEXT_KEY = "lakehose-preflight";
    static final String PROBE_CONTEXT_VALUE = "probe";

    /** Placeholder for an account id or principal preflight cannot know without calling more APIs. */
    static final String ACCOUNT = "<account-id>";
    static final String TASK_ROLE = "<ARN of the role lakehose runs as (the ECS task role)>";

    private static final ObjectMapper JSON = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);

    private Policies() {
    }

    static String readStream(String streamArn) {
        return allow("ReadStream", List.of("kinesis:DescribeStreamSummary", "kinesis:ListShards",
                "kinesis:GetShardIterator", "kinesis:GetRecords"), streamArn, null);
    }

    static String decryptStreamRecords(String keyArn, String region) {
        return allow("DecryptStreamRecords", List.of("kms:Decrypt"), keyArn,
                Map.of("StringEquals", Map.of("kms:ViaService", "kinesis." + region + ".amazonaws.com")));
    }

    static String leaseTable(String tableArn) {
        return allow("LeaseTable", List.of("dynamodb:CreateTable", "dynamodb:DescribeTable", "dynamodb:Scan",
                "dynamodb:GetItem", "dynamodb:PutItem", "dynamodb:UpdateItem", "dynamodb:DeleteItem"), tableArn, null);
    }

    static String lakePutObjects(String partition, String bucket, List<String> prefixes) {
        return allow("LakePutObjects", List.of("s3:PutObject", "s3:AbortMultipartUpload"),
                prefixes.stream().map(p -> s3Arn(partition, bucket) + "/" + (p.isEmpty() ? "" : p + "/") + "*").toList(),
                null);
    }

    static String lakeReadObjects(String partition, String bucket, List<String> prefixes) {
        return allow("LakeReadObjects", List.of("s3:GetObject"),
                prefixes.stream().map(p -> s3Arn(partition, bucket) + "/" + (p.isEmpty() ? "" : p + "/") + "*").toList(),
                null);
    }

    static String lakeListPrefixes(String partition, String bucket, List<String> prefixes) {
        // A lake at the bucket root cannot be narrowed by s3:prefix.
        Map<String, Object> condition = prefixes.stream().anyMatch(String::isEmpty) ? null
                : Map.of("StringLike", Map.of("s3:prefix", prefixes.stream().map(p -> p + "/*").toList()));
        return allow("LakeListPrefixes", List.of("s3:ListBucket"), s3Arn(partition, bucket), condition);
    }

    static String lakeKeyThroughS3(String keyArn, String s3Region) {
        return allow("LakeKeyThroughS3", List.of("kms:GenerateDataKey", "kms:Decrypt"), keyArn,
                Map.of("StringEquals", Map.of("kms:ViaService", "s3." + s3Region + ".amazonaws.com")));
    }

    /** Lets preflight call KMS directly, for its own probe data keys only (S3's keys carry another context). */
    static String lakeKeyPreflightProbe(String keyArn) {
        return allow("LakeKeyPreflightProbe", List.of("kms:GenerateDataKey", "kms:Decrypt"), keyArn,
                Map.of("StringEquals", Map.of("kms:EncryptionContext:" + PROBE_CONTEXT_KEY, PROBE_CONTEXT_VALUE)));
    }

    /** The key-policy statements (in the key's account) that name the writer. */
    static List<String> keyPolicyForWriter(String writerArn, String s3Region) {
        return List.of(
                keyPolicy("LakeWriterUsesKeyThroughS3", writerArn,
                        Map.of("StringEquals", Map.of("kms:ViaService", "s3." + s3Region + ".amazonaws.com"))),
                keyPolicy("LakeWriterPreflightProbe", writerArn,
                        Map.of("StringEquals", Map.of("kms:EncryptionContext:" + PROBE_CONTEXT_KEY, PROBE_CONTEXT_VALUE))));
    }

    /**
     * What Iceberg's Glue catalog calls for the change-log tables of {@code database}: read the
     * catalog and the database, create it on first start, create and commit (UpdateTable) its tables.
     */
    static String glueCatalog(String database) {
        String prefix = "arn:aws:glue:*:" + ACCOUNT + ":";
        return allow("LakehoseIcebergGlueCatalog", List.of("glue:GetDatabase", "glue:GetDatabases",
                        "glue:CreateDatabase", "glue:GetTable", "glue:GetTables", "glue:CreateTable", "glue:UpdateTable"),
                List.of(prefix + "catalog", prefix + "database/" + database, prefix + "table/" + database + "/*"), null);
    }

    static String assumeLakeWriterRole(String roleArn) {
        return allow("AssumeLakeWriterRole", List.of("sts:AssumeRole"), roleArn, null);
    }

    /** The writer role's trust policy: the caller's account, narrowed to the caller (as lake-account-stack.ts). */
    static String trustTaskRole(String partition, Optional<String> externalId) {
        Map<String, Object> condition = new LinkedHashMap<>();
        condition.put("ArnEquals", Map.of("aws:PrincipalArn", TASK_ROLE));
        externalId.ifPresent(id -> condition.put("StringEquals", Map.of("sts:ExternalId", id)));
        Map<String, Object> s = new LinkedHashMap<>();
        s.put("Effect", "Allow");
        s.put("Principal", Map.of("AWS", "arn:" + partition + ":iam::" + ACCOUNT + ":root"));
        s.put("Action", "sts:AssumeRole");
        s.put("Condition", condition);
        return write(s);
    }

    static String s3Arn(String partition, String bucket) {
        return "arn:" + partition + ":s3:::" + bucket;
    }

    /** The ARN partition of a region: aws, aws-cn or aws-us-gov. */
    static String partition(String region) {
        return region.startsWith("cn-") ? "aws-cn" : region.startsWith("us-gov-") ? "aws-us-gov" : "aws";
    }

    /** The account id in an ARN, if it is one and names an account. */
    static Optional<String> accountOf(String arn) {
        String[] parts = arn.split(":", 6);
        return parts.length == 6 && parts[0].equals("arn") && parts[4].matches("\\d{12}")
                ? Optional.of(parts[4]) : Optional.empty();
    }

    private static String keyPolicy(String sid, String principal, Map<String, Object> condition) {
        Map<String, Object> s = new LinkedHashMap<>();
        s.put("Sid", sid);
        s.put("Effect", "Allow");
        s.put("Principal", Map.of("AWS", principal));
        s.put("Action", List.of("kms:GenerateDataKey", "kms:Decrypt"));
        s.put("Resource", "*"); // in a key policy: this key
        s.put("Condition", condition);
        return write(s);
    }

    private static String allow(String sid, List<String> actions, Object resource, Map<String, Object> condition) {
        Map<String, Object> s = new LinkedHashMap<>();
        s.put("Sid", sid);
        s.put("Effect", "Allow");
        s.put("Action", actions.size() == 1 ? actions.get(0) : actions);
        s.put("Resource", resource);
        if (condition != null) {
            s.put("Condition", condition);
        }
        return write(s);
    }

    private static String write(Map<String, Object> statement) {
        try {
            return JSON.writeValueAsString(statement);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException(e);
        }
    }
}
