package io.lakehose.config;

import io.lakehose.encode.Compression;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class ConfigLoaderTest {

    @TempDir
    Path dir;

    private Path yaml(String text) throws IOException {
        Path f = dir.resolve("lakehose.yaml");
        Files.writeString(f, text);
        return f;
    }

    @Test
    void theShippedExampleLoads() throws Exception {
        LakehoseConfig c = ConfigLoader.load(Path.of("config/lakehose.example.yaml"), Map.of(), Map.of());
        assertThat(c.target()).isEqualTo(new LakehoseConfig.S3Target("my-data-lake-bucket", "cdc"));
        assertThat(c.s3().kmsKey()).isPresent();
        assertThat(c.buffer().limits().maxBytes()).isEqualTo(128L * 1024 * 1024);
        assertThat(c.buffer().limits().maxAgeMicros()).isEqualTo(300_000_000L);
        assertThat(c.parquet().compression()).isEqualTo(Compression.ZSTD);
        assertThat(c.tableSchemas()).containsKey("example-ddb-table");
        assertThat(c.layout().partitionDirectory("t", 0)).isEqualTo("cdc/table=t/dt=1970-01-01/hour=00");
    }

    @Test
    void defaultsNeedOnlyTheLakeUri() throws Exception {
        LakehoseConfig c = ConfigLoader.load(null, Map.of(), Map.of("lake.uri", "/tmp/lake"));
        assertThat(c.target()).isEqualTo(new LakehoseConfig.LocalTarget(Path.of("/tmp/lake")));
        assertThat(c.s3().kmsKey()).isEmpty();
        assertThat(c.buffer().memoryCapBytes()).isEqualTo(512L * 1024 * 1024);
    }

    @Test
    void environmentOverridesTheFileAndCommandLineOverridesBoth() throws Exception {
        Path f = yaml("lake:\n  uri: s3://a/b\nbuffer:\n  maxAgeSeconds: 60\nparquet:\n  compression: snappy\n");
        LakehoseConfig c = ConfigLoader.load(f,
                Map.of("LAKEHOSE_BUFFER_MAX_AGE_SECONDS", "30", "LAKEHOSE_LAKE_URI", "s3://env/x",
                        "LAKEHOSE_S3_KMS_KEY_ID", "alias/lake"),
                Map.of("lake.uri", "s3://cli/y"));
        assertThat(c.buffer().limits().maxAgeMicros()).isEqualTo(30_000_000L);
        assertThat(c.target()).isEqualTo(new LakehoseConfig.S3Target("cli", "y"));
        assertThat(c.s3().kmsKey().orElseThrow().value()).isEqualTo("alias/lake");
        assertThat(c.parquet().compression()).isEqualTo(Compression.SNAPPY);
    }

    @Test
    void reportsEveryWrongKeyAtOnceWithAllowedValues() throws IOException {
        Path f = yaml("""
                lake:
                  uri: s3://bucket
                  pathTemplate: "dt={date}"
                buffer:
                  maxBytes: lots
                  maxBites: 5
                parquet:
                  compression: lz4
                s3:
                  maxAttempts: 0
                """);
        assertThatThrownBy(() -> ConfigLoader.load(f, Map.of(), Map.of()))
                .isInstanceOf(ConfigException.class)
                .satisfies(e -> {
                    ConfigException ce = (ConfigException) e;
                    assertThat(ce.problems()).hasSize(5);
                    assertThat(ce.getMessage())
                            .contains("buffer.maxBites: unknown key")
                            .contains("buffer.maxBytes: 'lots' is not a size")
                            .contains("parquet.compression: 'lz4' is not one of: zstd, snappy, gzip, none")
                            .contains("s3.maxAttempts: 0 is out of range [1, 100]")
                            .contains("lake.pathTemplate: 'dt={date}' must contain {table}");
                });
    }

    @Test
    void namesTheEnvironmentVariableThatSetAWrongValue() {
        assertThatThrownBy(() -> ConfigLoader.load(null, Map.of("LAKEHOSE_BUFFER_MAX_RECORDS", "-1"),
                Map.of("lake.uri", "/tmp/x")))
                .hasMessageContaining("buffer.maxRecords")
                .hasMessageContaining("LAKEHOSE_BUFFER_MAX_RECORDS");
    }

    @Test
    void missingLakeUriAndMissingSchemaFileAreErrors() throws IOException {
        Path f = yaml("tables:\n  orders:\n    schema: nowhere/orders.avsc\n");
        assertThatThrownBy(() -> ConfigLoader.load(f, Map.of(), Map.of()))
                .hasMessageContaining("lake.uri is required")
                .hasMessageContaining("tables.orders.schema: file")
                .hasMessageContaining("orders.avsc");
    }

    @Test
    void sizesAcceptUnitsAndEnvNamesFollowTheKeyPath() throws Exception {
        LakehoseConfig c = ConfigLoader.load(null, Map.of(),
                Map.of("lake.uri", "/tmp/x", "buffer.maxBytes", "64MiB", "buffer.memoryCapBytes", "2GiB"));
        assertThat(c.buffer().limits().maxBytes()).isEqualTo(64L << 20);
        assertThat(c.buffer().memoryCapBytes()).isEqualTo(2L << 30);
        assertThat(BufferConfig.MAX_AGE_SECONDS.envName()).isEqualTo("LAKEHOSE_BUFFER_MAX_AGE_SECONDS");
        assertThat(S3Config.KMS_KEY_ID.envName()).isEqualTo("LAKEHOSE_S3_KMS_KEY_ID");
    }

    @Test
    void notYamlIsAClearError() throws IOException {
        Path f = yaml("lake: [unclosed\n");
        assertThatThrownBy(() -> ConfigLoader.load(f, Map.of(), Map.of()))
                .isInstanceOf(ConfigException.class)
                .hasMessageContaining("is not valid YAML");
    }

    /**
     * A worker's upload may wait for its commit a commit interval plus its retries (ten intervals,
     * at least two minutes): orphan cleanup and expiry must wait longer, or they could delete a
     * file or a snapshot a commit still needs. With hourly commits that is eleven hours.
     */
    @Test
    void maintenanceAgesShorterThanACommitsLongestWaitAreRefusedNamingTheKey() throws Exception {
        assertThatThrownBy(() -> ConfigLoader.load(null, Map.of(), Map.of("lake.uri", "/tmp/x",
                "iceberg.commitIntervalSeconds", "3600", "maintain.orphanMinAgeHours", "11",
                "maintain.expireSnapshotsAfterHours", "12")))
                .isInstanceOf(ConfigException.class)
                .hasMessageContaining("maintain.orphanMinAgeHours: 11 h is not longer than a commit may take")
                .hasMessageNotContaining("maintain.expireSnapshotsAfterHours");
        MaintainConfig defaults = ConfigLoader.load(null, Map.of(), Map.of("lake.uri", "/tmp/x")).maintain();
        assertThat(defaults.scheduled()).isFalse();
        assertThat(defaults.orphanMinAge()).isEqualTo(Duration.ofDays(1));
        assertThat(MaintainConfig.commitWindow(Duration.ofSeconds(60))).isEqualTo(Duration.ofMinutes(11));
    }
}
