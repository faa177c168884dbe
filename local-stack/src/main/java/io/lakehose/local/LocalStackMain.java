package io.lakehose.local;

import io.lakehose.testing.EmulatorAccess;
import io.lakehose.cli.Main;
import io.lakehose.testing.DynamoStreamsBridge;
import io.lakehose.testing.LeaseTableSeeder;
import io.lakehose.testing.LocalAwsStack;
import software.amazon.awssdk.services.dynamodb.model.AttributeValue;
import software.amazon.awssdk.services.dynamodb.model.BillingMode;
import software.amazon.awssdk.services.dynamodb.model.KeyType;
import software.amazon.awssdk.services.dynamodb.model.ScalarAttributeType;
import software.amazon.awssdk.services.dynamodb.model.StreamViewType;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Map;
import java.util.concurrent.CompletableFuture;

/**
 * One command to try lakehose without AWS: starts kinesis-local, DynamoDB Local and S3Proxy,
 * creates a DynamoDB table with a stream, a Kinesis stream and a bucket, bridges the table's
 * stream into Kinesis in the format of DynamoDB's Kinesis integration, and runs the real
 * worker ({@code lakehose run}) against them until Ctrl-C. {@code --demo} puts three items,
 * waits until their rows are in the lake, prints them and exits.
 */
public final class LocalStackMain {

    static final String TABLE = "example-ddb-table";
    static final String STREAM = "lakehose-local";
    static final String REGION = "us-east-1";

    private LocalStackMain() {
    }

    public static void main(String[] args) throws Exception {
        // Before anything logs: this module's configuration, not the service jar's logback.xml.
        if (System.getProperty("logback.configurationFile") == null) {
            System.setProperty("logback.configurationFile", "lakehose-local-logback.xml");
        }
        boolean demo = Arrays.asList(args).contains("--demo");
        int bufferSeconds = 10;
        for (int i = 0; i < args.length - 1; i++) {
            if (args[i].equals("--buffer-seconds")) {
                bufferSeconds = Integer.parseInt(args[i + 1]);
            }
        }
        System.exit(run(demo, bufferSeconds));
    }

    static int run(boolean demo, int bufferSeconds) throws Exception {
        // Dummy credentials for the emulators only (letters and digits: DynamoDB Local rejects others).
        System.setProperty("aws.accessKeyId", EmulatorAccess.ACCESS_KEY);
        System.setProperty("aws.secretAccessKey", EmulatorAccess.SECRET_KEY);
        System.setProperty("aws.region", REGION);
        try (LocalAwsStack stack = LocalAwsStack.start()) {
            String streamArn = createTable(stack);
            stack.kinesis().createStream(STREAM, 2);
            LeaseTableSeeder.seed(stack.dynamoDb().client(), STREAM, stack.kinesis().client(), STREAM,
                    LeaseTableSeeder.StartAt.TRIM_HORIZON);
            Path config = writeConfig(stack, bufferSeconds);
            try (DynamoStreamsBridge bridge = new DynamoStreamsBridge(stack.dynamoDb().newStreamsClient(),
                    stack.kinesis().newSyncClient(), streamArn, TABLE, STREAM, REGION).start();
                 LakeWatcher watcher = new LakeWatcher(stack.s3().client(), stack.s3().bucket(), System.out).start()) {
                printWelcome(stack, config, bufferSeconds);
                CompletableFuture<Integer> worker = CompletableFuture.supplyAsync(
                        () -> Main.execute("run", "--config", config.toString()));
                if (demo) {
                    return Demo.run(stack, watcher, worker, bufferSeconds);
                }
                int code = worker.get();
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

    private static Path writeConfig(LocalAwsStack stack, int bufferSeconds) throws Exception {
        String yaml = """
                # Written by the local stack: lakehose against the emulators on this machine.
                lake:
                  uri: s3://%s/lake
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
                """.formatted(stack.s3().bucket(), stack.s3().endpoint(), STREAM, REGION, stack.kinesis().endpoint(),
                stack.dynamoDb().endpoint(), STREAM, bufferSeconds);
        Path file = Files.createTempFile("lakehose-local-", ".yaml");
        file.toFile().deleteOnExit();
        return Files.writeString(file, yaml);
    }

    private static void printWelcome(LocalAwsStack stack, Path config, int bufferSeconds) {
        String ddb = stack.dynamoDb().endpoint().toString();
        String s3 = stack.s3().endpoint().toString();
        System.out.println("""

                lakehose local stack is up (emulators only; dummy credentials: AWS_ACCESS_KEY_ID=%s AWS_SECRET_ACCESS_KEY=%s)
                  DynamoDB  %s   table %s (stream NEW_AND_OLD_IMAGES, bridged to Kinesis)
                  Kinesis   %s   stream %s (2 shards)
                  S3        %s   bucket %s (lake under lake/, errors under errors/)
                  worker    lakehose run --config %s  (buffer interval %d s)

                Try it (in another terminal):
                  export AWS_ACCESS_KEY_ID=%s AWS_SECRET_ACCESS_KEY=%s AWS_DEFAULT_REGION=us-east-1
                  aws dynamodb put-item --endpoint-url %s --table-name %s --item '{"id":{"S":"1"},"name":{"S":"Adam"}}'
                  aws s3 ls --endpoint-url %s s3://%s/lake/ --recursive
                New objects in the bucket are listed below as they appear. Ctrl-C stops everything cleanly.
                """.formatted(EmulatorAccess.ACCESS_KEY, EmulatorAccess.SECRET_KEY, ddb, TABLE, stack.kinesis().endpoint(), STREAM,
                s3, stack.s3().bucket(), config, bufferSeconds, EmulatorAccess.ACCESS_KEY, EmulatorAccess.SECRET_KEY, ddb, TABLE,
                s3, stack.s3().bucket()));
    }

    /** Items the demo puts, as DynamoDB attribute maps. */
    static Map<String, AttributeValue> item(String id, String name) {
        return Map.of("id", AttributeValue.fromS(id), "name", AttributeValue.fromS(name),
                "salary", AttributeValue.fromN("123456789012345678901234567890.12345678"));
    }
}
