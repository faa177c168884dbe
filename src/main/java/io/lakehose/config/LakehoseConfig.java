package io.lakehose.config;

import io.lakehose.aws.AssumedRole;
import io.lakehose.commit.iceberg.IcebergSettings;
import io.lakehose.commit.iceberg.state.CurrentStateSettings;
import io.lakehose.encode.ParquetSettings;
import io.lakehose.partition.LakeLayout;
import io.lakehose.sink.S3Settings;

import java.net.URI;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;

/**
 * The validated configuration, one record per concern (each section's keys live in its own file;
 * {@link ConfigKeys#SECTIONS} lists them). Built only by {@link ConfigLoader}.
 *
 * @param tableSchemas typed schema file per DynamoDB table ({@value ConfigKeys#TABLES_SECTION})
 * @param currentState the current-state tables beside the change-log tables
 */
public record LakehoseConfig(
        LakeConfig lake,
        InputConfig input,
        IcebergSettings iceberg,
        S3Config s3,
        BufferConfig buffer,
        ParquetSettings parquet,
        KinesisSettings kinesis,
        BackfillSource backfill,
        HttpConfig http,
        MaintainConfig maintain,
        Map<String, Path> tableSchemas,
        CurrentStateSettings currentState) {

    public LakehoseConfig {
        tableSchemas = Map.copyOf(tableSchemas);
    }

    /** The same configuration writing its tables through another catalog ({@code convert}'s local warehouse). */
    public LakehoseConfig withIceberg(IcebergSettings other) {
        return new LakehoseConfig(lake, input, other, s3, buffer, parquet, kinesis, backfill, http, maintain, tableSchemas,
                currentState);
    }

    /** Where the lake is (lake.uri). */
    public LakeTarget target() {
        return lake.target();
    }

    /** How the lake is laid out (lake.*). */
    public LakeLayout layout() {
        return lake.layout();
    }

    /** S3 settings for a bucket (the lake's, unless another is given). */
    public S3Settings s3Settings(String bucket) {
        return s3.settings(bucket);
    }

    /** Where the lake is: an S3 bucket and prefix, or a local directory. */
    public sealed interface LakeTarget permits S3Target, LocalTarget {
        static LakeTarget parse(String uri) {
            if (uri.startsWith("s3://")) {
                String[] parts = uri.substring(5).split("/", 2);
                return new S3Target(parts[0], parts.length > 1 ? parts[1] : "");
            }
            Path dir = uri.startsWith("file://") ? Path.of(URI.create(uri)) : Path.of(uri);
            return new LocalTarget(dir);
        }

        String prefix();
    }

    public record S3Target(String bucket, String prefix) implements LakeTarget {
        @Override
        public String toString() {
            return "s3://" + bucket + (prefix.isEmpty() ? "" : "/" + prefix);
        }
    }

    public record LocalTarget(Path directory) implements LakeTarget {
        @Override
        public String prefix() {
            return "";
        }

        @Override
        public String toString() {
            return directory.toString();
        }
    }
}
