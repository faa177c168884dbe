package io.lakehose.config;

import io.lakehose.decode.TableNames;
import io.lakehose.encode.Compression;
import io.lakehose.partition.LakeLayout;

import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.List;
import java.util.Map;
import java.util.function.Function;
import java.util.stream.Collectors;

import static io.lakehose.config.Parsers.bool;
import static io.lakehose.config.Parsers.bytesIn;
import static io.lakehose.config.Parsers.choice;
import static io.lakehose.config.Parsers.dynamoTableName;
import static io.lakehose.config.Parsers.instant;
import static io.lakehose.config.Parsers.intIn;
import static io.lakehose.config.Parsers.longIn;
import static io.lakehose.config.Parsers.oneOf;
import static io.lakehose.config.Parsers.string;

/** The catalogue of every configuration key: path, default, validator and documentation. */
public final class ConfigKeys {

    private static final long KIB = 1024;
    private static final long MIB = 1024 * KIB;
    private static final long GIB = 1024 * MIB;

    public static final ConfigKey<String> LAKE_URI = new ConfigKey<>("lake.uri", null, lakeUri(),
            "Where the lake goes: s3://bucket/optional/prefix, or a local directory (path or file:// URI).");
    public static final ConfigKey<String> LAKE_PATH_TEMPLATE = new ConfigKey<>("lake.pathTemplate",
            LakeLayout.DEFAULT_TEMPLATE, template(),
            "Partition directories under the prefix. Placeholders: {table} (required), {date} (yyyy-MM-dd), "
                    + "{hour} (HH), {year}, {month}, {day}; all from the event time in UTC.");
    public static final ConfigKey<String> LAKE_ERROR_PREFIX = new ConfigKey<>("lake.errorPrefix", "errors", string(),
            "Prefix (under the lake root, not under lake.uri's prefix) of the error output: "
                    + "<errorPrefix>/table=<table>/reason=<code>/dt=<date>/...jsonl");
    public static final ConfigKey<Boolean> LAKE_ERROR_GZIP = new ConfigKey<>("lake.errorGzip", "false", bool(),
            "Gzip the error output (.jsonl.gz).");
    public static final ConfigKey<String> LAKE_TABLE = new ConfigKey<>("lake.table", LakeLayout.DEFAULT_UNKNOWN_TABLE,
            dynamoTableName(), "The DynamoDB table this deployment's stream carries. A bad record whose own table name cannot be "
                    + "read (or is no valid table name) goes to this table's error output.");
    public static final ConfigKey<LakeFormat> LAKE_FORMAT = new ConfigKey<>("lake.format", "folders", oneOf(LakeFormat.class),
            "folders: Hive-style Parquet objects under lake.uri; iceberg: change-log tables <iceberg.namespace>."
                    + "<table>_changes in the catalog of iceberg.catalog (error output stays files under lake.uri's bucket).");

    public static final ConfigKey<Instant> INPUT_EARLIEST_EVENT_TIME = new ConfigKey<>("input.earliestEventTime",
            "2012-01-01T00:00:00Z", instant(), "A record whose event time is earlier goes to the error output "
                    + "(event_time_out_of_range), never to a partition of its own.");
    public static final ConfigKey<Long> INPUT_MAX_AHEAD_SECONDS = new ConfigKey<>("input.maxEventTimeAheadSeconds",
            "86400", longIn(0, 31_536_000), "A record whose event time is further ahead of the worker's clock goes to "
                    + "the error output (event_time_out_of_range): clock skew allowed, not a forged year 3000.");

    public static final ConfigKey<String> ICEBERG_CATALOG_NAME = new ConfigKey<>("iceberg.catalogName", "lakehose",
            string(), "The Iceberg catalog's name. A JDBC catalog keeps its tables under this name: readers of the "
                    + "same database must use it too.");
    public static final ConfigKey<String> ICEBERG_NAMESPACE = new ConfigKey<>("iceberg.namespace", "lakehose", string(),
            "Namespace (Glue: database) of the change-log tables; created when missing.");
    public static final ConfigKey<Long> ICEBERG_COMMIT_SECONDS = new ConfigKey<>("iceberg.commitIntervalSeconds", "60",
            longIn(1, 3_600), "How often each worker commits what its shards finished: one snapshot per table. Records "
                    + "are visible (and checkpointed) within about this long.");
    public static final ConfigKey<String> ICEBERG_PARTITION_BY = new ConfigKey<>("iceberg.partitionBy", "day",
            choice("day", "hour"), "Partition of new change-log tables: day or hour of event_time.");

    public static final ConfigKey<String> S3_REGION = new ConfigKey<>("s3.region", "us-east-1", string(),
            "AWS region of the bucket.");
    public static final ConfigKey<String> S3_ENDPOINT = new ConfigKey<>("s3.endpoint", "", endpoint(),
            "Endpoint override (emulators, VPC endpoints); empty for AWS's own.");
    public static final ConfigKey<Boolean> S3_PATH_STYLE = new ConfigKey<>("s3.pathStyleAccess", "false", bool(),
            "Path-style addressing (emulators need it).");
    public static final ConfigKey<String> S3_KMS_KEY_ID = new ConfigKey<>("s3.kmsKeyId", "", string(),
            "KMS key id or ARN for SSE-KMS on every object (PutObject and multipart). Empty: no SSE-KMS headers "
                    + "(the bucket's default encryption applies).");
    public static final ConfigKey<Long> S3_MULTIPART_THRESHOLD = new ConfigKey<>("s3.multipartThresholdBytes",
            "16MiB", bytesIn(5 * MIB, 5 * GIB), "Files at least this large go up as multipart uploads.");
    public static final ConfigKey<Long> S3_PART_SIZE = new ConfigKey<>("s3.partSizeBytes", "8MiB",
            bytesIn(5 * MIB, 5 * GIB), "Multipart part size (S3 minimum 5 MiB).");
    public static final ConfigKey<Integer> S3_MAX_ATTEMPTS = new ConfigKey<>("s3.maxAttempts", "10", intIn(1, 100),
            "Attempts per S3 request (first included) under the SDK's standard retry strategy with "
                    + "exponential backoff and jitter; throttling (503 SlowDown) and 5xx are retried.");
    public static final ConfigKey<Long> S3_ATTEMPT_TIMEOUT = new ConfigKey<>("s3.attemptTimeoutSeconds", "120",
            longIn(1, 3_600), "Longest one attempt of an S3 request may take (one PutObject or UploadPart); then it is "
            + "retried.");
    public static final ConfigKey<Long> S3_CALL_TIMEOUT = new ConfigKey<>("s3.callTimeoutSeconds", "600",
            longIn(1, 86_400), "Longest one S3 request may take, retries included; then the upload fails (and the "
            + "shard stops without checkpointing it). Nothing waits forever on a stuck connection.");
    public static final ConfigKey<Boolean> S3_CHECKSUM_WHEN_REQUIRED = new ConfigKey<>("s3.checksumWhenRequired",
            "false", bool(), "Send request checksums only when S3 requires them (for emulators that reject the "
            + "SDK's default trailing checksums).");

    public static final ConfigKey<String> S3_ROLE_ARN = new ConfigKey<>("s3.roleArn", "", roleArn(),
            "Role to assume for every S3 call (cross-account lake: the bucket and key live in another account). "
                    + "Empty: the task's own credentials.");
    public static final ConfigKey<String> S3_ROLE_EXTERNAL_ID = new ConfigKey<>("s3.roleExternalId", "", string(),
            "External id that s3.roleArn's trust policy requires, if any.");
    public static final ConfigKey<String> STS_ENDPOINT = new ConfigKey<>("sts.endpoint", "", endpoint(),
            "STS endpoint override for assuming roles (VPC endpoints); empty: the regional endpoint.");
    public static final ConfigKey<String> KMS_ENDPOINT = new ConfigKey<>("kms.endpoint", "", endpoint(),
            "KMS endpoint override for preflight's key check (VPC endpoints, tests); empty: the endpoint of the "
                    + "key's region. `run` never calls KMS itself (S3 does, for SSE-KMS).");

    public static final ConfigKey<Long> BUFFER_MAX_BYTES = new ConfigKey<>("buffer.maxBytes", "128MiB",
            bytesIn(64 * KIB, 5 * GIB), "A partition's file is finished at this many encoded (Parquet) bytes.");
    public static final ConfigKey<Long> BUFFER_MAX_RECORDS = new ConfigKey<>("buffer.maxRecords", "5000000",
            longIn(1, Long.MAX_VALUE), "... or at this many records.");
    public static final ConfigKey<Long> BUFFER_MAX_AGE_SECONDS = new ConfigKey<>("buffer.maxAgeSeconds", "300",
            longIn(1, 86_400), "... or when a record arrives this long (by Kinesis arrival time) after the file's "
            + "first; quiet shards also flush by the wall clock. Lower means fresher data and more, smaller files.");
    public static final ConfigKey<Long> BUFFER_MEMORY_CAP = new ConfigKey<>("buffer.memoryCapBytes", "512MiB",
            bytesIn(1 * MIB, 64 * GIB), "Heap all open files may hold together; past it the largest file is "
            + "flushed first. Keep it well under the JVM heap (about a third).");
    public static final ConfigKey<Long> BUFFER_UPLOAD_IN_FLIGHT = new ConfigKey<>("buffer.maxUploadBytesInFlight",
            "1GiB", bytesIn(1 * MIB, 1024 * GIB), "Bytes uploading at once; past it shards wait (backpressure) "
            + "instead of buffering more.");
    public static final ConfigKey<String> BUFFER_SPOOL_DIR = new ConfigKey<>("buffer.spoolDir",
            System.getProperty("java.io.tmpdir") + "/lakehose-spool", string(),
            "Local directory where files are written before upload (Fargate: ephemeral storage).");

    public static final ConfigKey<Compression> PARQUET_COMPRESSION = new ConfigKey<>("parquet.compression", "zstd",
            oneOf(Compression.class), "Page codec: zstd, snappy, gzip or none.");
    public static final ConfigKey<Integer> PARQUET_ZSTD_LEVEL = new ConfigKey<>("parquet.zstdLevel", "1",
            intIn(1, 22), "zstd level: higher is smaller and slower (on CDC JSON, 3 is no smaller than 1 and about 10% slower).");
    public static final ConfigKey<Long> PARQUET_ROW_GROUP = new ConfigKey<>("parquet.rowGroupBytes", "64MiB",
            bytesIn(64 * KIB, 2 * GIB), "Row group size; also the most heap one open file holds.");
    public static final ConfigKey<Long> PARQUET_PAGE = new ConfigKey<>("parquet.pageBytes", "1MiB",
            bytesIn(4 * KIB, 256 * MIB), "Page size.");

    public static final ConfigKey<String> KINESIS_STREAM = new ConfigKey<>("kinesis.stream", "", string(),
            "Stream name or ARN to consume (required by `run`).");
    public static final ConfigKey<String> KINESIS_REGION = new ConfigKey<>("kinesis.region", "", string(),
            "Region of the stream and the lease table; empty: s3.region.");
    public static final ConfigKey<String> KINESIS_ENDPOINT = new ConfigKey<>("kinesis.endpoint", "", endpoint(),
            "Kinesis endpoint override (emulators, VPC endpoints).");
    public static final ConfigKey<String> DYNAMODB_ENDPOINT = new ConfigKey<>("kinesis.leaseTableEndpoint", "",
            endpoint(), "DynamoDB endpoint override for the lease table.");
    public static final ConfigKey<String> KINESIS_APPLICATION = new ConfigKey<>("kinesis.applicationName", "lakehose",
            applicationName(), "KCL application name = lease table name. Workers with the same name share the shards.");
    public static final ConfigKey<String> KINESIS_INITIAL_POSITION = new ConfigKey<>("kinesis.initialPosition",
            "TRIM_HORIZON", initialPosition(), "Where a shard without a checkpoint starts: TRIM_HORIZON, LATEST or "
            + "AT_TIMESTAMP=<ISO-8601 instant>.");
    public static final ConfigKey<Retrieval> KINESIS_RETRIEVAL = new ConfigKey<>("kinesis.retrieval", "polling",
            oneOf(Retrieval.class), "polling (GetRecords) or fanout (enhanced fan-out, SubscribeToShard; extra cost).");
    public static final ConfigKey<Integer> KINESIS_MAX_RECORDS = new ConfigKey<>("kinesis.maxRecords", "10000",
            intIn(1, 10_000), "Records per GetRecords call (polling).");
    public static final ConfigKey<Long> KINESIS_IDLE_MILLIS = new ConfigKey<>("kinesis.idleTimeBetweenReadsMillis",
            "1000", longIn(200, 60_000), "Pause between GetRecords calls of a shard (polling); Kinesis allows 5 "
            + "reads per second per shard shared by all consumers.");
    public static final ConfigKey<Long> KINESIS_FAILOVER_MILLIS = new ConfigKey<>("kinesis.failoverTimeMillis",
            "10000", longIn(1000, 600_000), "A lease not renewed for this long is taken over by another worker.");
    public static final ConfigKey<Long> KINESIS_SHARD_SYNC_MILLIS = new ConfigKey<>("kinesis.shardSyncIntervalMillis",
            "60000", longIn(500, 3_600_000), "How often shards are listed (new shards after resharding).");
    public static final ConfigKey<Long> KINESIS_CHECKPOINT_SECONDS = new ConfigKey<>(
            "kinesis.checkpointIntervalSeconds", "10", longIn(0, 3600),
            "Least time between two checkpoints of a shard (each is a lease-table write). Checkpoints only ever "
                    + "cover records inside completed uploads.");
    public static final ConfigKey<Long> SHUTDOWN_BUDGET_SECONDS = new ConfigKey<>("kinesis.shutdownBudgetSeconds",
            "25", longIn(1, 115), "On SIGTERM, time to flush, upload and checkpoint before exiting. Keep it under "
            + "the ECS task's stopTimeout (30 s default, 120 s max).");
    public static final ConfigKey<Boolean> KINESIS_CLOUDWATCH = new ConfigKey<>("kinesis.cloudWatchMetrics", "false",
            bool(), "Publish KCL's own CloudWatch metrics (off: nothing calls CloudWatch).");

    public static final ConfigKey<String> BACKFILL_REGION = new ConfigKey<>("backfill.region", "", string(),
            "Region of the table `backfill` reads (and of its export bucket); empty: kinesis.region, else s3.region.");
    public static final ConfigKey<String> BACKFILL_ENDPOINT = new ConfigKey<>("backfill.endpoint", "", endpoint(),
            "DynamoDB endpoint override for the table `backfill` reads (emulators, VPC endpoints).");
    public static final ConfigKey<String> BACKFILL_ROLE_ARN = new ConfigKey<>("backfill.roleArn", "", roleArn(),
            "Role to assume for reading the source table and its export (the table lives in another account). "
                    + "Writes to the lake use s3.roleArn. Empty: the task's own credentials.");
    public static final ConfigKey<String> BACKFILL_ROLE_EXTERNAL_ID = new ConfigKey<>("backfill.roleExternalId", "",
            string(), "External id that backfill.roleArn's trust policy requires, if any.");
    public static final ConfigKey<Integer> BACKFILL_MAX_ATTEMPTS = new ConfigKey<>("backfill.maxAttempts", "20",
            intIn(1, 100), "Attempts per Scan page under the SDK's standard retry strategy: throttling "
            + "(ProvisionedThroughputExceeded) waits with exponential backoff instead of failing the backfill.");

    public static final ConfigKey<Integer> HTTP_PORT = new ConfigKey<>("http.port", "8080", intIn(0, 65535),
            "Port of /metrics (Prometheus), /health and /ready for `run`; 0 turns them off. Other commands do not "
                    + "use it (`backfill` has `--http-port`, none by default).");
    public static final ConfigKey<Long> HTTP_UPLOAD_STUCK_SECONDS = new ConfigKey<>("http.uploadStuckSeconds", "600",
            longIn(10, 86_400), "/health fails when an upload has been in flight this long (the task is wedged).");

    /** Every key above; the loader rejects YAML keys not listed here (typos fail at start). */
    public static final List<ConfigKey<?>> ALL = List.of(
            LAKE_URI, LAKE_PATH_TEMPLATE, LAKE_ERROR_PREFIX, LAKE_ERROR_GZIP, LAKE_TABLE, LAKE_FORMAT,
            INPUT_EARLIEST_EVENT_TIME, INPUT_MAX_AHEAD_SECONDS,
            ICEBERG_CATALOG_NAME, ICEBERG_NAMESPACE, ICEBERG_COMMIT_SECONDS, ICEBERG_PARTITION_BY,
            S3_REGION, S3_ENDPOINT, S3_PATH_STYLE, S3_KMS_KEY_ID, S3_MULTIPART_THRESHOLD, S3_PART_SIZE,
            S3_MAX_ATTEMPTS, S3_ATTEMPT_TIMEOUT, S3_CALL_TIMEOUT, S3_CHECKSUM_WHEN_REQUIRED, S3_ROLE_ARN, S3_ROLE_EXTERNAL_ID, STS_ENDPOINT, KMS_ENDPOINT,
            BUFFER_MAX_BYTES, BUFFER_MAX_RECORDS, BUFFER_MAX_AGE_SECONDS, BUFFER_MEMORY_CAP,
            BUFFER_UPLOAD_IN_FLIGHT, BUFFER_SPOOL_DIR,
            PARQUET_COMPRESSION, PARQUET_ZSTD_LEVEL, PARQUET_ROW_GROUP, PARQUET_PAGE,
            KINESIS_STREAM, KINESIS_REGION, KINESIS_ENDPOINT, DYNAMODB_ENDPOINT, KINESIS_APPLICATION,
            KINESIS_INITIAL_POSITION, KINESIS_RETRIEVAL, KINESIS_MAX_RECORDS, KINESIS_IDLE_MILLIS,
            KINESIS_FAILOVER_MILLIS, KINESIS_SHARD_SYNC_MILLIS, KINESIS_CHECKPOINT_SECONDS, SHUTDOWN_BUDGET_SECONDS,
            KINESIS_CLOUDWATCH, BACKFILL_REGION, BACKFILL_ENDPOINT, BACKFILL_ROLE_ARN, BACKFILL_ROLE_EXTERNAL_ID,
            BACKFILL_MAX_ATTEMPTS, HTTP_PORT, HTTP_UPLOAD_STUCK_SECONDS);

    /** How the worker reads shards. */
    public enum Retrieval { POLLING, FANOUT }

    /** Which adapter of the commit port writes the data (docs/design.md, "Commit protocol"). */
    public enum LakeFormat { FOLDERS, ICEBERG }

    /**
     * Iceberg catalog properties, passed to Iceberg's CatalogUtil unchanged: the YAML mapping
     * {@code iceberg.catalog: {type: jdbc, uri: ..., warehouse: ...}}, or in the environment
     * {@value #ICEBERG_CATALOG_ENV} as comma-separated {@code key=value} pairs.
     */
    public static final String ICEBERG_CATALOG_SECTION = "iceberg.catalog";
    public static final String ICEBERG_CATALOG_ENV = "LAKEHOSE_ICEBERG_CATALOG";

    /** Per-table typed schemas: {@code tables.<tableName>.schema: path/to/schema.avsc}. */
    public static final String TABLES_SECTION = "tables";
    public static final String TABLE_SCHEMA_ENV = "LAKEHOSE_TABLE_SCHEMAS";

    public static final Map<String, ConfigKey<?>> BY_PATH = ALL.stream()
            .collect(Collectors.toUnmodifiableMap(ConfigKey::path, k -> k));

    private ConfigKeys() {
    }

    /** Empty, or an IAM role ARN (arn:<partition>:iam::<12-digit account>:role/<name>). */
    private static Function<String, String> roleArn() {
        return s -> {
            String t = s.trim();
            if (!t.isEmpty() && !t.matches("arn:aws[a-z-]*:iam::\\d{12}:role/[\\w+=,.@/-]+")) {
                throw new IllegalArgumentException("'" + t + "' is not an IAM role ARN "
                        + "(arn:aws:iam::123456789012:role/name)");
            }
            return t;
        };
    }

    private static Function<String, String> lakeUri() {
        return s -> {
            String t = s.trim();
            if (t.isEmpty()) {
                throw new IllegalArgumentException("is empty; give s3://bucket/prefix or a directory");
            }
            if (t.startsWith("s3://") && t.substring(5).split("/", 2)[0].isEmpty()) {
                throw new IllegalArgumentException("'" + s + "' has no bucket name");
            }
            if (t.contains("://") && !t.startsWith("s3://") && !t.startsWith("file://")) {
                throw new IllegalArgumentException("'" + s + "' is neither s3://bucket/prefix nor a local directory");
            }
            return t;
        };
    }

    private static Function<String, String> template() {
        return s -> {
            String problem = LakeLayout.validateTemplate(s);
            if (problem != null) {
                throw new IllegalArgumentException("'" + s + "' " + problem);
            }
            return s;
        };
    }

    private static Function<String, String> applicationName() {
        return s -> {
            if (!TableNames.isValid(s)) {
                throw new IllegalArgumentException("'" + s + "' is not a valid DynamoDB table name "
                        + "(3-255 characters: letters, digits, '_', '-', '.')");
            }
            return s;
        };
    }

    private static Function<String, String> initialPosition() {
        return s -> {
            String t = s.trim();
            if (t.equals("TRIM_HORIZON") || t.equals("LATEST")) {
                return t;
            }
            if (t.startsWith("AT_TIMESTAMP=")) {
                try {
                    Instant.parse(t.substring("AT_TIMESTAMP=".length()));
                    return t;
                } catch (DateTimeParseException e) {
                    throw new IllegalArgumentException("'" + s + "': the timestamp is not ISO-8601 (e.g. 2024-11-25T08:00:00Z)");
                }
            }
            throw new IllegalArgumentException("'" + s + "' is not TRIM_HORIZON, LATEST or AT_TIMESTAMP=<ISO-8601>");
        };
    }

    private static Function<String, String> endpoint() {
        return s -> {
            String t = s.trim();
            if (!t.isEmpty() && !t.startsWith("http://") && !t.startsWith("https://")) {
                throw new IllegalArgumentException("'" + s + "' is not an http:// or https:// URL");
            }
            return t;
        };
    }
}
