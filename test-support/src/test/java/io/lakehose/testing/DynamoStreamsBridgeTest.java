package io.lakehose.testing;

import static io.lakehose.testing.Await.join;
import static java.nio.charset.StandardCharsets.UTF_8;
import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import software.amazon.awssdk.services.dynamodb.model.AttributeValue;
import software.amazon.awssdk.services.dynamodb.model.BillingMode;
import software.amazon.awssdk.services.dynamodb.model.KeyType;
import software.amazon.awssdk.services.dynamodb.model.ScalarAttributeType;
import software.amazon.awssdk.services.dynamodb.model.StreamViewType;
import software.amazon.awssdk.services.dynamodb.streams.DynamoDbStreamsClient;
import software.amazon.awssdk.services.kinesis.KinesisClient;
import software.amazon.awssdk.services.kinesis.model.GetRecordsResponse;
import software.amazon.awssdk.services.kinesis.model.Record;
import software.amazon.awssdk.services.kinesis.model.ShardIteratorType;

/**
 * The bridge on DynamoDB Local as the local stack meets it over hours, made to happen at once:
 * an idle shard's iterator "trimmed" by writes to another table (the KCL lease table in the
 * stack), every iterator expired (15 minutes unread, forced through DynamoDB Local's test
 * control), shards rolled over (every 4 hours, forced likewise). Each change reaches Kinesis once,
 * in order.
 */
class DynamoStreamsBridgeTest {

    private static final Duration TIMEOUT = Duration.ofSeconds(30);
    private static final String BYSTANDER = "bystander";
    private static final Pattern KEY = Pattern.compile("\"Keys\":\\{\"id\":\\{\"S\":\"([^\"]*)\"}}");
    private static final AtomicInteger NAMES = new AtomicInteger();

    private static DynamoDbLocal dynamoDb;
    private static KinesisLocal kinesis;

    @BeforeAll
    static void start() {
        dynamoDb = DynamoDbLocal.start();
        kinesis = KinesisLocal.start();
        join(dynamoDb.client().createTable(b -> b.tableName(BYSTANDER)
                .keySchema(k -> k.attributeName("id").keyType(KeyType.HASH))
                .attributeDefinitions(a -> a.attributeName("id").attributeType(ScalarAttributeType.S))
                .billingMode(BillingMode.PAY_PER_REQUEST)));
    }

    @AfterAll
    static void stop() {
        try {
            if (kinesis != null) {
                kinesis.close();
            }
        } finally {
            if (dynamoDb != null) {
                dynamoDb.close();
            }
        }
    }

    @Test
    void aChangeAfterWritesToAnotherTableIsForwarded() {
        try (Bridged b = new Bridged()) {
            b.start();
            Await.until("the bridge reads the table's shard", TIMEOUT, () -> b.bridge.openShards().size() == 1);
            // The lease table's writes while a person reads the banner: they move every sequence number.
            for (int i = 0; i < 3; i++) {
                put(BYSTANDER, "lease-" + i);
            }
            put(b.table, "a");

            assertThat(b.awaitForwarded(1)).containsExactly("a");
            assertThat(b.bridge.renewedIterators()).as("trimmed iterators replaced").isPositive();
        }
    }

    @Test
    void readingResumesAfterTheLastRecordWhenIteratorsExpire() {
        try (Bridged b = new Bridged()) {
            b.start();
            put(b.table, "a");
            assertThat(b.awaitForwarded(1)).containsExactly("a");

            DynamoDbLocal.expireShardIterators(dynamoDb.client());
            put(b.table, "b");

            assertThat(b.awaitForwarded(2)).containsExactly("a", "b");
            assertThat(b.bridge.renewedIterators()).as("expired iterators replaced").isPositive();
        }
    }

    @Test
    void shardsRolledOverAreReadEachAfterItsParent() {
        try (Bridged b = new Bridged()) {
            put(b.table, "a");
            DynamoDbLocal.rollOverStreamShards(dynamoDb.client());
            put(b.table, "b");
            // Started now, the bridge finds a closed parent with "a" unread and its child with "b".
            b.start();
            assertThat(b.awaitForwarded(2)).containsExactly("a", "b");

            DynamoDbLocal.rollOverStreamShards(dynamoDb.client());
            put(b.table, "c");

            assertThat(b.awaitForwarded(3)).containsExactly("a", "b", "c");
            assertThat(b.bridge.openShards()).hasSize(1);
        }
    }

    private static void put(String table, String id) {
        join(dynamoDb.client().putItem(b -> b.tableName(table).item(Map.of("id", AttributeValue.fromS(id)))));
    }

    /** A table with a stream, a one-shard Kinesis stream and a bridge between them. */
    private static final class Bridged implements AutoCloseable {
        final String table = "bridged-" + NAMES.incrementAndGet();
        final String stream = table;
        final DynamoDbStreamsClient streams = dynamoDb.newStreamsClient();
        final KinesisClient kinesisClient = kinesis.newSyncClient();
        final DynamoStreamsBridge bridge;

        Bridged() {
            String arn = join(dynamoDb.client().createTable(b -> b.tableName(table)
                    .keySchema(k -> k.attributeName("id").keyType(KeyType.HASH))
                    .attributeDefinitions(a -> a.attributeName("id").attributeType(ScalarAttributeType.S))
                    .billingMode(BillingMode.PAY_PER_REQUEST)
                    .streamSpecification(s -> s.streamEnabled(true).streamViewType(StreamViewType.NEW_AND_OLD_IMAGES))))
                    .tableDescription().latestStreamArn();
            kinesis.createStream(stream, 1);
            bridge = new DynamoStreamsBridge(streams, kinesisClient, arn, table, stream, EmulatorAccess.REGION);
        }

        void start() {
            bridge.start();
        }

        /** The keys on the Kinesis stream, in order, once there are at least {@code count}. */
        List<String> awaitForwarded(int count) {
            return Await.until(count + " changes on " + stream, TIMEOUT, Duration.ofMillis(100), this::forwardedKeys,
                    keys -> keys.size() >= count);
        }

        private List<String> forwardedKeys() {
            String shard = kinesisClient.listShards(b -> b.streamName(stream)).shards().get(0).shardId();
            String iterator = kinesisClient.getShardIterator(b -> b.streamName(stream).shardId(shard)
                    .shardIteratorType(ShardIteratorType.TRIM_HORIZON)).shardIterator();
            List<String> keys = new ArrayList<>();
            while (iterator != null) {
                String from = iterator;
                GetRecordsResponse r = kinesisClient.getRecords(b -> b.shardIterator(from));
                for (Record rec : r.records()) {
                    Matcher m = KEY.matcher(rec.data().asString(UTF_8));
                    keys.add(m.find() ? m.group(1) : "?");
                }
                iterator = r.records().isEmpty() ? null : r.nextShardIterator();
            }
            return keys;
        }

        @Override
        public void close() {
            try {
                bridge.close();
            } finally {
                streams.close();
                kinesisClient.close();
            }
        }
    }
}
