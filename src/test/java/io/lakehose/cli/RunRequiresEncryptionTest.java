package io.lakehose.cli;

import io.lakehose.config.ConfigLoader;
import io.lakehose.config.S3Config;
import io.lakehose.testing.CommandRun;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * `run` writes CDC data to S3 for months: without s3.kmsKeyId its objects would carry no SSE-KMS
 * headers, so it refuses to start unless s3.trustBucketDefaultEncryption says the bucket's
 * default encryption is relied on instead. (Preflight's report of the same: PreflightCommandTest.)
 */
class RunRequiresEncryptionTest {

    @TempDir
    Path dir;

    @Test
    void runWithoutAKmsKeyRefusesToStartNamingBothSettings() throws Exception {
        Path config = Files.writeString(dir.resolve("lakehose.yaml"), """
                lake:
                  uri: s3://lake-bucket/cdc
                kinesis:
                  stream: orders-stream
                http:
                  port: 0
                """);
        CommandRun run = CommandRun.of("run", "--config", config.toString());
        assertThat(run.exit).as(run.toString()).isEqualTo(2);
        assertThat(run.err.strip()).doesNotContain("\n")
                .contains("s3://lake-bucket", "s3.kmsKeyId", "LAKEHOSE_S3_KMS_KEY_ID", "s3.trustBucketDefaultEncryption");
        assertThat(dir.resolve("lakehose.yaml")).exists();
    }

    @Test
    void aKeyOrTheExplicitTrustInTheBucketsDefaultEncryptionLetsItStart() throws Exception {
        S3Config none = ConfigLoader.load(null, Map.of(), Map.of("lake.uri", "s3://b/p")).s3();
        S3Config key = ConfigLoader.load(null, Map.of(), Map.of("lake.uri", "s3://b/p",
                "s3.kmsKeyId", "arn:aws:kms:us-east-1:111122223333:key/k")).s3();
        S3Config trusted = ConfigLoader.load(null, Map.of("LAKEHOSE_S3_TRUST_BUCKET_DEFAULT_ENCRYPTION", "true"),
                Map.of("lake.uri", "s3://b/p")).s3();
        assertThat(none.missingEncryption()).isPresent();
        assertThat(key.missingEncryption()).isEmpty();
        assertThat(trusted.missingEncryption()).isEmpty();
    }
}
