package io.lakehose.config;

import io.lakehose.decode.TableNames;

import java.net.URI;
import java.time.Duration;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.List;
import java.util.Optional;
import java.util.function.Function;

import static io.lakehose.config.Parsers.bool;
import static io.lakehose.config.Parsers.url;
import static io.lakehose.config.Parsers.intIn;
import static io.lakehose.config.Parsers.longIn;
import static io.lakehose.config.Parsers.oneOf;
import static io.lakehose.config.Parsers.string;

/**
 * The worker's stream side (the kinesis.* keys).
 *
 * @param region          of the stream and the lease table (s3.region unless set)
 * @param initialPosition TRIM_HORIZON, LATEST or AT_TIMESTAMP=instant
 */
public record KinesisSettings(String stream, String region, Optional<URI> endpoint, Optional<URI> leaseTableEndpoint,
                              String applicationName, String initialPosition, ConfigKeys.Retrieval retrieval,
                              int maxRecords, long idleTimeBetweenReadsMillis, long failoverTimeMillis,
                              long shardSyncIntervalMillis, Duration checkpointInterval,
                              Duration shutdownBudget, boolean cloudWatchMetrics) {

    public static final ConfigKey<String> STREAM = new ConfigKey<>("kinesis.stream", "", string(),
            "Stream name or ARN to consume (required by `run`).");
    public static final ConfigKey<String> REGION = new ConfigKey<>("kinesis.region", "", string(),
            "Region of the stream and the lease table; empty: s3.region.");
    public static final ConfigKey<String> ENDPOINT = new ConfigKey<>("kinesis.endpoint", "", url(),
            "Kinesis endpoint override (emulators, VPC endpoints).");
    public static final ConfigKey<String> LEASE_TABLE_ENDPOINT = new ConfigKey<>("kinesis.leaseTableEndpoint", "",
            url(), "DynamoDB endpoint override for the lease table.");
    public static final ConfigKey<String> APPLICATION = new ConfigKey<>("kinesis.applicationName", "lakehose",
            applicationNameRule(), "KCL application name = lease table name. Workers with the same name share the shards.");
    public static final ConfigKey<String> INITIAL_POSITION = new ConfigKey<>("kinesis.initialPosition",
            "TRIM_HORIZON", initialPositionRule(), "Where a shard without a checkpoint starts: TRIM_HORIZON, LATEST or "
            + "AT_TIMESTAMP=<ISO-8601 instant>.");
    public static final ConfigKey<ConfigKeys.Retrieval> RETRIEVAL = new ConfigKey<>("kinesis.retrieval", "polling",
            oneOf(ConfigKeys.Retrieval.class), "polling (GetRecords) or fanout (enhanced fan-out, SubscribeToShard; extra cost).");
    public static final ConfigKey<Integer> MAX_RECORDS = new ConfigKey<>("kinesis.maxRecords", "10000",
            intIn(1, 10_000), "Records per GetRecords call (polling).");
    public static final ConfigKey<Long> IDLE_MILLIS = new ConfigKey<>("kinesis.idleTimeBetweenReadsMillis",
            "1000", longIn(200, 60_000), "Pause between GetRecords calls of a shard (polling); Kinesis allows 5 "
            + "reads per second per shard shared by all consumers.");
    public static final ConfigKey<Long> FAILOVER_MILLIS = new ConfigKey<>("kinesis.failoverTimeMillis",
            "10000", longIn(1000, 600_000), "A lease not renewed for this long is taken over by another worker.");
    public static final ConfigKey<Long> SHARD_SYNC_MILLIS = new ConfigKey<>("kinesis.shardSyncIntervalMillis",
            "60000", longIn(500, 3_600_000), "How often shards are listed (new shards after resharding).");
    public static final ConfigKey<Long> CHECKPOINT_SECONDS = new ConfigKey<>(
            "kinesis.checkpointIntervalSeconds", "10", longIn(0, 3600),
            "Least time between two checkpoints of a shard (each is a lease-table write). Checkpoints only ever "
                    + "cover records inside completed uploads.");
    public static final ConfigKey<Long> SHUTDOWN_BUDGET_SECONDS = new ConfigKey<>("kinesis.shutdownBudgetSeconds",
            "25", longIn(1, 115), "On SIGTERM, the whole stop, from the signal to the exit: shards flush, upload and "
            + "checkpoint until a fifth of it (at most 5 s) is left for stopping KCL and closing; uploads not done "
            + "by then are re-read by the next worker. Keep it under the ECS task's stopTimeout (30 s "
            + "default, 120 s max).");
    public static final ConfigKey<Boolean> CLOUDWATCH = new ConfigKey<>("kinesis.cloudWatchMetrics", "false",
            bool(), "Publish KCL's own CloudWatch metrics (off: nothing calls CloudWatch).");

    static final Section<KinesisSettings> SECTION = new Section<>("kinesis", List.of(STREAM, REGION, ENDPOINT,
            LEASE_TABLE_ENDPOINT, APPLICATION, INITIAL_POSITION, RETRIEVAL, MAX_RECORDS, IDLE_MILLIS, FAILOVER_MILLIS,
            SHARD_SYNC_MILLIS, CHECKPOINT_SECONDS, SHUTDOWN_BUDGET_SECONDS, CLOUDWATCH), v -> new KinesisSettings(
            v.get(STREAM), v.optional(REGION).orElse(v.get(S3Config.REGION)), v.uri(ENDPOINT), v.uri(LEASE_TABLE_ENDPOINT),
            v.get(APPLICATION), v.get(INITIAL_POSITION), v.get(RETRIEVAL), v.get(MAX_RECORDS), v.get(IDLE_MILLIS),
            v.get(FAILOVER_MILLIS), v.get(SHARD_SYNC_MILLIS), Duration.ofSeconds(v.get(CHECKPOINT_SECONDS)),
            Duration.ofSeconds(v.get(SHUTDOWN_BUDGET_SECONDS)), v.get(CLOUDWATCH)));

    private static Function<String, String> applicationNameRule() {
        return s -> {
            if (!TableNames.isValid(s)) {
                throw new IllegalArgumentException("'" + s + "' is not a valid DynamoDB table name "
                        + "(3-255 characters: letters, digits, '_', '-', '.')");
            }
            return s;
        };
    }

    private static Function<String, String> initialPositionRule() {
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
}
