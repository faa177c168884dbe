package io.lakehose.config;

import io.lakehose.aws.AssumedRole;
import io.lakehose.buffer.BufferLimits;
import io.lakehose.commit.iceberg.IcebergSettings;
import io.lakehose.decode.EventTimeBounds;
import io.lakehose.encode.ParquetSettings;
import io.lakehose.partition.LakeLayout;
import io.lakehose.sink.KmsKeyId;
import io.lakehose.sink.S3Settings;

import java.net.URI;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.Optional;

/** The validated configuration. Built only by {@link ConfigLoader}. */
public record LakehoseConfig(
        LakeTarget target,
        LakeLayout layout,
        boolean errorGzip,
        String s3Region,
        Optional<URI> s3Endpoint,
        boolean s3PathStyle,
        Optional<KmsKeyId> kmsKey,
        long multipartThresholdBytes,
        long partSizeBytes,
        int s3MaxAttempts,
        S3Settings.Timeouts s3Timeouts,
        boolean s3ChecksumWhenRequired,
        BufferLimits limits,
        long memoryCapBytes,
        long maxUploadBytesInFlight,
        Path spoolDir,
        ParquetSettings parquet,
        Map<String, Path> tableSchemas,
        KinesisSettings kinesis,
        int httpPort,
        Duration uploadStuckAfter,
        Optional<AssumedRole> s3Role,
        Optional<URI> stsEndpoint,
        BackfillSource backfill,
        Optional<URI> kmsEndpoint,
        ConfigKeys.LakeFormat format,
        IcebergSettings iceberg,
        EventTimeBounds eventTimeBounds) {

    /**
     * Where `backfill` reads from (see the backfill.* keys).
     *
     * @param role role assumed to read the table and its export, if any
     */
    public record BackfillSource(String region, Optional<URI> endpoint, Optional<AssumedRole> role,
                                 int maxAttempts) {
    }

    /**
     * The worker's stream side (see the kinesis.* keys).
     *
     * @param initialPosition TRIM_HORIZON, LATEST or AT_TIMESTAMP=instant
     */
    public record KinesisSettings(String stream, String region, Optional<URI> endpoint, Optional<URI> leaseTableEndpoint,
                                  String applicationName, String initialPosition, ConfigKeys.Retrieval retrieval,
                                  int maxRecords, long idleTimeBetweenReadsMillis, long failoverTimeMillis,
                                  long shardSyncIntervalMillis, Duration checkpointInterval,
                                  Duration shutdownBudget, boolean cloudWatchMetrics) {
    }

    /** S3 settings for a bucket (the lake's, unless another is given). */
    public S3Settings s3Settings(String bucket) {
        return new S3Settings(bucket, s3Region, s3Endpoint, s3PathStyle, kmsKey, multipartThresholdBytes,
                partSizeBytes, s3MaxAttempts, s3ChecksumWhenRequired, s3Role, s3Timeouts);
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
