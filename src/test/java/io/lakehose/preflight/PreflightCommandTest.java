package io.lakehose.preflight;

import io.lakehose.testing.EmulatorAccess;
import io.lakehose.testing.CommandRun;
import io.lakehose.testing.LocalStackExtension;
import io.lakehose.testing.S3Emulator;
import io.lakehose.testing.WorkerHarness;
import org.apache.iceberg.CatalogUtil;
import org.apache.iceberg.Schema;
import org.apache.iceberg.catalog.Catalog;
import org.apache.iceberg.catalog.Namespace;
import org.apache.iceberg.catalog.SupportsNamespaces;
import org.apache.iceberg.catalog.TableIdentifier;
import org.apache.iceberg.types.Types;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

import java.io.Closeable;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;
import java.util.Optional;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * `lakehose preflight --config FILE` end to end, in process: the emulators for Kinesis, DynamoDB
 * and S3, the hand-written {@link FakeKms} and {@link FakeSts} for KMS and STS (no emulators for
 * those run here). Credentials: the emulators' dummy identity, found by the default chain through
 * the system properties {@link S3Emulator} sets.
 */
class PreflightCommandTest {

    private static final String DENIED_KEY = "arn:aws:kms:us-east-1:111122223333:key/22222222-2222-2222-2222-222222222222";
    private static final String WRITER_ROLE = "arn:aws:iam::111122223333:role/lakehose-lake-writer";

    @RegisterExtension
    static final LocalStackExtension aws = new LocalStackExtension();

    static WorkerHarness harness;
    static FakeKms kms;
    static FakeSts sts;

    @TempDir
    Path dir;

    @BeforeAll
    static void up() throws Exception {
        harness = new WorkerHarness(aws.stack(), "preflight-cli", 1);
        kms = FakeKms.start(Map.of(WorkerHarness.KMS_KEY, FakeKms.Access.ALLOWED, DENIED_KEY, FakeKms.Access.DENIED));
        // The role's credentials are the emulators' dummy identity (plus a session token), so S3Proxy accepts them.
        sts = FakeSts.start(Map.of(WRITER_ROLE, Optional.empty()), EmulatorAccess.ACCESS_KEY, EmulatorAccess.SECRET_KEY);
    }

    @AfterAll
    static void down() {
        if (kms != null) {
            kms.close();
        }
        if (sts != null) {
            sts.close();
        }
    }

    @Test
    void everyCheckPassesAgainstACorrectStackAndNothingIsLeft() {
        CommandRun run = preflight(Map.of());

        assertThat(run.exit).as(run.out).isZero();
        assertThat(run.out).contains("PASS  stream", "PASS  lease-table", "SKIP  assume-role", "PASS  kms-key",
                "PASS  lake-bucket", "preflight: 4 passed, 0 failed, 0 warnings, 1 skipped");
        assertThat(run.out).doesNotContain("fix,");
        assertThat(aws.s3().client().listObjectsV2(b -> b.bucket(aws.s3().bucket())).contents()).isEmpty();
        assertThat(aws.s3().client().listMultipartUploads(b -> b.bucket(aws.s3().bucket())).uploads()).isEmpty();
    }

    @Test
    void brokenConfigExitsOneAndSaysWhatIsMissingWhereAndTheFix() {
        CommandRun run = preflight(Map.of("kinesis.stream", "no-such-stream", "kinesis.applicationName", "no-lease-table",
                "lake.uri", "s3://no-such-bucket/cdc", "s3.kmsKeyId", DENIED_KEY));

        assertThat(run.exit).as(run.out).isEqualTo(1);
        assertThat(run.out).contains(
                "FAIL  stream       kinesis:DescribeStreamSummary on arn:aws:kinesis:us-east-1:<account-id>:stream/no-such-stream: ResourceNotFoundException",
                "WARN  lease-table  dynamodb:DescribeTable on arn:aws:dynamodb:us-east-1:<account-id>:table/no-lease-table",
                "dynamodb:CreateTable",
                "FAIL  kms-key      kms:GenerateDataKey on " + DENIED_KEY + ": AccessDeniedException",
                "fix, in the key policy of " + DENIED_KEY,
                "FAIL  lake-bucket  s3:ListBucket on arn:aws:s3:::no-such-bucket: NoSuchBucket",
                "preflight: 0 passed, 3 failed, 1 warnings, 1 skipped (exit code 1)");
        assertThat(run.err).isEmpty();
    }

    @Test
    void crossAccountRoleIsAssumedAndItsSessionSignsTheKmsAndS3Checks() {
        int before = kms.calls().size();

        CommandRun run = preflight(Map.of("s3.roleArn", WRITER_ROLE, "sts.endpoint", sts.endpoint().toString()));

        assertThat(run.out).contains("PASS  assume-role  assumed " + WRITER_ROLE
                + " as arn:aws:sts::111122223333:assumed-role/lakehose-lake-writer/lakehose-preflight", "PASS  kms-key");
        // The KMS calls were signed with the role's session, not with the caller's own credentials.
        assertThat(kms.calls().subList(before, kms.calls().size())).hasSize(2)
                .allSatisfy(c -> assertThat(c.sessionToken()).isEqualTo("fakesessiontoken"));
        // So were the S3 calls: S3Proxy refuses any request carrying a session token (x-amz-security-token)
        // with 501 NotImplemented, an emulator limit that real S3 does not have. (The probe itself passes
        // with the same code path when the credentials have no session: everyCheckPasses...)
        assertThat(run.out).contains("FAIL  lake-bucket  s3:ListBucket on arn:aws:s3:::lakehose-test: NotImplemented");
        assertThat(run.exit).isEqualTo(1);
    }

    @Test
    void unassumableRoleFailsAndSkipsTheChecksThatNeedIt() {
        CommandRun run = preflight(Map.of("s3.roleArn", "arn:aws:iam::111122223333:role/not-trusting",
                "sts.endpoint", sts.endpoint().toString()));

        assertThat(run.exit).as(run.out).isEqualTo(1);
        assertThat(run.out).contains("FAIL  assume-role  sts:AssumeRole on arn:aws:iam::111122223333:role/not-trusting: AccessDenied",
                "fix, in the trust policy of arn:aws:iam::111122223333:role/not-trusting",
                "SKIP  kms-key      skipped: the role", "SKIP  lake-bucket  skipped: the role");
    }

    @Test
    void anIcebergCatalogIsListedAndATableThatCannotTakeTheEnvelopeFailsNamingIt() throws Exception {
        Map<String, String> iceberg = icebergOnSqlite();

        CommandRun fresh = preflight(iceberg);

        assertThat(fresh.out).contains("PASS  iceberg-catalog  jdbc catalog lakehose: listed; namespace cdc does not "
                + "exist yet: run creates it");
        Map<String, String> props = new HashMap<>(Map.of("type", "jdbc", "uri", iceberg.get("iceberg.catalog.uri"),
                "jdbc.schema-version", "V1", "warehouse", iceberg.get("iceberg.catalog.warehouse"),
                "io-impl", "org.apache.iceberg.aws.s3.S3FileIO", "s3.endpoint", aws.s3().endpoint().toString(),
                "s3.path-style-access", "true", "client.region", EmulatorAccess.REGION,
                "http-client.type", "urlconnection"));
        props.putAll(Map.of("s3.access-key-id", EmulatorAccess.ACCESS_KEY,
                "s3.secret-access-key", EmulatorAccess.SECRET_KEY));
        Catalog catalog = CatalogUtil.buildIcebergCatalog("lakehose", props, null);
        ((SupportsNamespaces) catalog).createNamespace(Namespace.of("cdc"));
        catalog.createTable(TableIdentifier.of("cdc", "orders_changes"), new Schema(
                Types.NestedField.required(1, "event_id", Types.StringType.get()),
                Types.NestedField.required(2, "event_time", Types.LongType.get())));

        try {
            CommandRun broken = preflight(iceberg);

            assertThat(broken.exit).isEqualTo(1);
            assertThat(broken.out).contains("FAIL  iceberg-catalog", "cdc.orders_changes has no column event_name",
                    "column event_time is long, not timestamptz", "iceberg.namespace");
        } finally {
            // the table's metadata file is the only object this test writes: the bucket stays empty for the others
            catalog.dropTable(TableIdentifier.of("cdc", "orders_changes"), true);
            ((Closeable) catalog).close();
        }
    }

    @Test
    void aGlueCatalogThatRefusesNamesTheActionAndTheStatementToAdd() throws Exception {
        try (FakeGlue glue = FakeGlue.refusingAll()) {
            CommandRun run = preflight(Map.of("lake.format", "iceberg", "iceberg.namespace", "cdc",
                    "iceberg.catalog.type", "glue", "iceberg.catalog.glue.endpoint", glue.endpoint().toString(),
                    "iceberg.catalog.warehouse", "s3://lakehose-test/warehouse"));

            assertThat(run.exit).isEqualTo(1);
            assertThat(glue.calls()).isNotEmpty();
            assertThat(run.out).contains("FAIL  iceberg-catalog  glue:GetDatabases on Glue database cdc: AccessDenied",
                    "LakehoseIcebergGlueCatalog", "glue:CreateTable", "glue:UpdateTable", "database/cdc");
        }
    }

    private Map<String, String> icebergOnSqlite() {
        return Map.of("lake.format", "iceberg", "iceberg.namespace", "cdc", "iceberg.catalog.type", "jdbc",
                "iceberg.catalog.uri", "jdbc:sqlite:" + dir.resolve("catalog.db").toAbsolutePath(),
                "iceberg.catalog.warehouse", "s3://" + aws.s3().bucket() + "/warehouse");
    }

    @Test
    void missingConfigFileIsAUsageError() {
        CommandRun run = CommandRun.of("preflight", "--config", dir.resolve("nope.yaml").toString());

        assertThat(run.exit).isEqualTo(2);
        assertThat(run.err.strip()).startsWith("error: config file").doesNotContain("\n");
    }

    @Test
    void withoutAKmsKeyPreflightFailsAsRunWouldRefuseToStart() {
        CommandRun run = preflight(Map.of("s3.kmsKeyId", ""));

        assertThat(run.exit).as(run.out).isEqualTo(1);
        assertThat(run.out).contains("FAIL  kms-key      NoKmsKey", "run would refuse to start", "s3.kmsKeyId",
                "s3.trustBucketDefaultEncryption", "PASS  lake-bucket");
    }

    @Test
    void withoutAKmsKeyButTrustingTheBucketsDefaultEncryptionPreflightSaysSoAndPasses() {
        CommandRun run = preflight(Map.of("s3.kmsKeyId", "", "s3.trustBucketDefaultEncryption", "true"));

        assertThat(run.exit).as(run.out).isZero();
        assertThat(run.out).contains("SKIP  kms-key      no s3.kmsKeyId, and s3.trustBucketDefaultEncryption",
                "take the bucket's default encryption; run starts", "PASS  lake-bucket");
    }

    private CommandRun preflight(Map<String, String> extra) {
        Map<String, String> overrides = new HashMap<>(Map.of("kms.endpoint", kms.endpoint().toString()));
        overrides.putAll(extra);
        Path config = harness.writeConfig(dir.resolve("lakehose.yaml"), overrides);
        return CommandRun.of("preflight", "--config", config.toString());
    }

}
