package io.lakehose.local;

import io.lakehose.cli.Main;
import io.lakehose.commit.iceberg.IcebergCatalogs;
import io.lakehose.config.ConfigException;
import io.lakehose.config.ConfigLoader;
import io.lakehose.config.LakehoseConfig;
import io.lakehose.testing.DynamoStreamsBridge;
import io.lakehose.testing.EmulatorAccess;
import io.lakehose.testing.LeaseTableSeeder;
import io.lakehose.testing.LocalAwsStack;
import software.amazon.awssdk.services.dynamodb.model.AttributeValue;
import software.amazon.awssdk.services.dynamodb.model.BillingMode;
import software.amazon.awssdk.services.dynamodb.model.KeyType;
import software.amazon.awssdk.services.dynamodb.model.ScalarAttributeType;
import software.amazon.awssdk.services.dynamodb.model.StreamViewType;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.CompletableFuture;

/**
 * One command to try lakehose without AWS: starts kinesis-local, DynamoDB Local and S3Proxy,
 * creates a DynamoDB table with a stream, a Kinesis stream and a bucket, bridges the table's
 * stream into Kinesis in the format of DynamoDB's Kinesis integration, and runs the real
 * worker ({@code lakehose run}) against them until Ctrl-C or SIGTERM. The banner comes once the
 * worker holds its leases. {@code --demo} puts three items, waits until their rows are in the
 * lake, prints them and exits; {@code rows --endpoint-url URL s3://BUCKET/} prints the rows of a
 * running stack's lake.
 */
public final class LocalStackMain {

    static final String TABLE = "example-ddb-table";
    static final String STREAM = "lakehose-local";
    /** The Iceberg catalog's name and the namespace of the change-log table written beside the folders. */
    static final String CATALOG = "lakehose";
    static final String NAMESPACE = "local";
    static final String REGION = "us-east-1";
    static final int SHARDS = 2;
    /** KCL takes its leases within seconds; past this the banner comes anyway, saying so. */
    private static final Duration LEASES_TIMEOUT = Duration.ofMinutes(2);

    private LocalStackMain() {
    }

    public static void main(String[] args) throws Exception {
        // Before anything logs: this module's configuration, not the service jar's (io.lakehose.cli.LogbackSetup).
        if (System.getProperty("logback.configurationFile") == null) {
            System.setProperty("logback.configurationFile", "lakehose-local-logback.xml");
        }
        if (args.length > 0 && args[0].equals(RowsCommand.NAME)) {
            System.exit(RowsCommand.run(args, System.out, System.err));
        }
        LocalStackOptions.Parsed parsed = LocalStackOptions.parse(args, System.out, System.err);
        if (parsed.options().isEmpty()) {
            System.exit(parsed.exitCode());
        }
        System.exit(run(parsed.options().get().demo, parsed.options().get().bufferSeconds));
    }

    static int run(boolean demo, int bufferSeconds) throws Exception {
        // Dummy credentials for the emulators only (letters and digits: DynamoDB Local rejects others).
        System.setProperty("aws.accessKeyId", EmulatorAccess.ACCESS_KEY);
        System.setProperty("aws.secretAccessKey", EmulatorAccess.SECRET_KEY);
        System.setProperty("aws.region", REGION);
        try (LocalAwsStack stack = LocalAwsStack.start()) {
            String streamArn = createTable(stack);
            stack.kinesis().createStream(STREAM, SHARDS);
            LeaseTableSeeder.seed(stack.dynamoDb().client(), STREAM, stack.kinesis().client(), STREAM,
                    LeaseTableSeeder.StartAt.TRIM_HORIZON);
            Path catalogDb = Files.createTempDirectory("lakehose-local-catalog-").resolve("catalog.db");
            catalogDb.getParent().toFile().deleteOnExit();
            catalogDb.toFile().deleteOnExit();
            Path config = writeConfig(stack, bufferSeconds, catalogDb);
            try (DynamoStreamsBridge bridge = new DynamoStreamsBridge(stack.dynamoDb().newStreamsClient(),
                    stack.kinesis().newSyncClient(), streamArn, TABLE, STREAM, REGION).start()) {
                CompletableFuture<Integer> worker = CompletableFuture.supplyAsync(
                        () -> Main.execute("run", "--config", config.toString()));
                boolean consuming = LeaseWatch.awaitAllHeld(stack.dynamoDb().client(), STREAM, SHARDS, worker,
                        LEASES_TIMEOUT);
                int code;
                if (worker.isDone()) {
                    code = worker.join();
                } else {
                    LibraryTeardown.silenceOnStop();
                    Banner.print(System.out, stack, config, bufferSeconds, consuming, catalogDb);
                    // The watcher stops before the worker's stop is reported and the emulators close.
                    try (LakeWatcher watcher = new LakeWatcher(stack.s3().client(), stack.s3().bucket(), System.out).start();
                         TableRows table = new TableRows(catalogProperties(config, stack.s3().bucket()), NAMESPACE,
                                 stack.s3().bucket(), new LakeRows(stack.s3().client(), stack.s3().bucket()))) {
                        code = demo ? Demo.run(stack, worker, bufferSeconds, table) : worker.get();
                    }
                }
                LibraryTeardown.silence();
                System.out.println("lakehose stopped (exit " + code + "); " + bridge.forwarded()
                        + " changes were bridged; stopping the emulators");
                return code;
            }
        }
    }

    private static String createTable(LocalAwsStack stack) {
        return stack.dynamoDb().client().createTable(b -> b.tableName(TABLE)
                        .keySchema(k -> k.attributeName("id").keyType(KeyType.HASH))
                        .attributeDefinitions(a -> a.attributeName("id").attributeType(ScalarAttributeType.S))
                        .billingMode(BillingMode.PAY_PER_REQUEST)
                        .streamSpecification(s -> s.streamEnabled(true).streamViewType(StreamViewType.NEW_AND_OLD_IMAGES)))
                .join().tableDescription().latestStreamArn();
    }

    /** The catalog of the written configuration, with the defaults lakehose adds when it opens it. */
    static Map<String, String> catalogProperties(Path config, String bucket) throws ConfigException {
        LakehoseConfig cfg = ConfigLoader.load(config, Map.of(), Map.of());
        return IcebergCatalogs.properties(cfg.iceberg().catalogProperties(), cfg.s3Settings(bucket));
    }

    static String warehouse(LocalAwsStack stack) {
        return "s3://" + stack.s3().bucket() + "/warehouse";
    }

    /**
     * lake.format both: the folders under lake/ and the Iceberg change-log table in a JDBC catalog
     * on SQLite, its files under warehouse/, committed every buffer interval.
     */
    private static Path writeConfig(LocalAwsStack stack, int bufferSeconds, Path catalogDb) throws Exception {
        String yaml = """
                # Written by the local stack: lakehose against the emulators on this machine.
                lake:
                  uri: s3://%s/lake
                  format: both
                iceberg:
                  catalogName: %s
                  namespace: %s
                  commitIntervalSeconds: %d
                  catalog:
                    type: jdbc
                    uri: jdbc:sqlite:%s
                    warehouse: %s
                s3:
                  endpoint: %s
                  pathStyleAccess: true
                  kmsKeyId: arn:aws:kms:us-east-1:111122223333:key/local-demo-key
                kinesis:
                  stream: %s
                  region: %s
                  endpoint: %s
                  leaseTableEndpoint: %s
                  applicationName: %s
                  idleTimeBetweenReadsMillis: 500
                  failoverTimeMillis: 5000
                  shardSyncIntervalMillis: 5000
                  checkpointIntervalSeconds: 5
                buffer:
                  maxAgeSeconds: %d
                """.formatted(stack.s3().bucket(), CATALOG, NAMESPACE, bufferSeconds, catalogDb, warehouse(stack),
                stack.s3().endpoint(), STREAM, REGION, stack.kinesis().endpoint(),
                stack.dynamoDb().endpoint(), STREAM, bufferSeconds);
        Path file = Files.createTempFile("lakehose-local-", ".yaml");
        file.toFile().deleteOnExit();
        return Files.writeString(file, yaml);
    }

    /** Items the demo puts, as DynamoDB attribute maps. */
    static Map<String, AttributeValue> item(String id, String name) {
        return Map.of("id", AttributeValue.fromS(id), "name", AttributeValue.fromS(name),
                "salary", AttributeValue.fromN("123456789012345678901234567890.12345678"));
    }
}
