package io.lakehose.testing;

import static io.lakehose.testing.Await.join;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import software.amazon.awssdk.services.dynamodb.DynamoDbAsyncClient;
import software.amazon.awssdk.services.dynamodb.model.AttributeValue;
import software.amazon.awssdk.services.dynamodb.model.BillingMode;
import software.amazon.awssdk.services.dynamodb.model.ConditionalCheckFailedException;
import software.amazon.awssdk.services.dynamodb.model.KeyType;
import software.amazon.awssdk.services.dynamodb.model.ResourceInUseException;
import software.amazon.awssdk.services.dynamodb.model.ScalarAttributeType;
import software.amazon.awssdk.services.dynamodb.model.TableStatus;
import software.amazon.awssdk.services.kinesis.KinesisAsyncClient;
import software.amazon.awssdk.services.kinesis.model.ListShardsResponse;
import software.amazon.awssdk.services.kinesis.model.Shard;

/**
 * Pre-creates a KCL 2.x lease table with one unowned lease per shard, so a test's
 * {@code Scheduler} takes its leases at once.
 *
 * <p>Why: when KCL 2.x (2.7.2) starts on an empty lease table, {@code Scheduler.initialize} waits
 * a random 1-30 s (constants in the scheduler, not configurable), re-checking every 3 s whether
 * another worker filled the table, before it syncs shards and creates the leases itself. With the
 * leases present that wait is skipped and the lease taker takes them on its first run, since a
 * lease without {@code leaseOwner} is available.
 *
 * <p>The items follow KCL 2.7.2's {@code DynamoDBLeaseSerializer} (single-stream mode): table key
 * {@code leaseKey} (S, HASH) = the shard id; {@code leaseCounter} (N) 0;
 * {@code checkpoint} (S) a sentinel such as {@code TRIM_HORIZON};
 * {@code checkpointSubSequenceNumber} (N) 0; {@code ownerSwitchesSinceCheckpoint} (N) 0;
 * {@code parentShardId} (SS) the parent and adjacent parent when the shard has them;
 * {@code startingHashKey} / {@code endingHashKey} (S, decimal) the shard's hash key range. No
 * {@code leaseOwner}. The table is on-demand, like the one KCL creates. KCL 2.x needs no other
 * table (the coordinator-state and worker-metrics tables are KCL 3.x).
 *
 * <p>Every shard gets a lease, closed ones included (a child's {@code parentShardId} makes KCL
 * finish the parent first), which is what a TRIM_HORIZON application must read anyway. Existing
 * leases are left untouched, so seeding twice is harmless.
 */
public final class LeaseTableSeeder {

    /** The sentinel checkpoints a fresh lease can start from. */
    public enum StartAt {
        TRIM_HORIZON, LATEST
    }

    private LeaseTableSeeder() {
    }

    /**
     * Creates the lease table {@code tableName} if it does not exist (the application name,
     * unless the application sets another) and adds a lease for every shard of the stream that
     * has none yet, starting at {@code startAt}.
     *
     * @return the shard ids that got a new lease
     */
    public static List<String> seed(DynamoDbAsyncClient dynamoDb, String tableName,
            KinesisAsyncClient kinesis, String streamName, StartAt startAt) {
        createTableIfAbsent(dynamoDb, tableName);
        List<String> seeded = new ArrayList<>();
        for (Shard shard : listShards(kinesis, streamName)) {
            Map<String, AttributeValue> item = new HashMap<>();
            item.put("leaseKey", s(shard.shardId()));
            item.put("leaseCounter", n(0));
            item.put("checkpoint", s(startAt.name()));
            item.put("checkpointSubSequenceNumber", n(0));
            item.put("ownerSwitchesSinceCheckpoint", n(0));
            item.put("startingHashKey", s(shard.hashKeyRange().startingHashKey()));
            item.put("endingHashKey", s(shard.hashKeyRange().endingHashKey()));
            List<String> parents = new ArrayList<>();
            if (shard.parentShardId() != null) {
                parents.add(shard.parentShardId());
            }
            if (shard.adjacentParentShardId() != null) {
                parents.add(shard.adjacentParentShardId());
            }
            if (!parents.isEmpty()) {
                item.put("parentShardId", AttributeValue.fromSs(parents));
            }
            try {
                join(dynamoDb.putItem(b -> b.tableName(tableName).item(item)
                        .conditionExpression("attribute_not_exists(leaseKey)")));
                seeded.add(shard.shardId());
            } catch (ConditionalCheckFailedException alreadyLeased) {
                // keep the existing lease and its checkpoint
            }
        }
        return seeded;
    }

    /** Reads the lease table: lease key to item, for assertions (e.g. the {@code checkpoint} attribute). */
    public static Map<String, Map<String, AttributeValue>> leases(DynamoDbAsyncClient dynamoDb, String tableName) {
        Map<String, Map<String, AttributeValue>> leases = new HashMap<>();
        // A lease table holds one item per shard: one consistent scan of a test table suffices,
        // but follow the pages anyway.
        Map<String, AttributeValue> start = null;
        do {
            Map<String, AttributeValue> from = start;
            var page = join(dynamoDb.scan(b -> b.tableName(tableName).consistentRead(true).exclusiveStartKey(from)));
            page.items().forEach(item -> leases.put(item.get("leaseKey").s(), item));
            start = page.hasLastEvaluatedKey() && !page.lastEvaluatedKey().isEmpty() ? page.lastEvaluatedKey() : null;
        } while (start != null);
        return leases;
    }

    private static void createTableIfAbsent(DynamoDbAsyncClient dynamoDb, String tableName) {
        try {
            join(dynamoDb.createTable(b -> b.tableName(tableName)
                    .keySchema(k -> k.attributeName("leaseKey").keyType(KeyType.HASH))
                    .attributeDefinitions(a -> a.attributeName("leaseKey").attributeType(ScalarAttributeType.S))
                    .billingMode(BillingMode.PAY_PER_REQUEST)));
        } catch (ResourceInUseException exists) {
            // created earlier (by us or by KCL); KCL's schema is the same
        }
        Await.until("lease table " + tableName + " ACTIVE", Duration.ofSeconds(10), Duration.ofMillis(10),
                () -> join(dynamoDb.describeTable(b -> b.tableName(tableName))).table().tableStatus(),
                status -> status == TableStatus.ACTIVE);
    }

    private static List<Shard> listShards(KinesisAsyncClient kinesis, String streamName) {
        List<Shard> shards = new ArrayList<>();
        ListShardsResponse page = join(kinesis.listShards(b -> b.streamName(streamName)));
        shards.addAll(page.shards());
        while (page.nextToken() != null) {
            String token = page.nextToken();
            // With a NextToken, ListShards refuses a StreamName.
            page = join(kinesis.listShards(b -> b.nextToken(token)));
            shards.addAll(page.shards());
        }
        return shards;
    }

    private static AttributeValue s(String value) {
        return AttributeValue.fromS(value);
    }

    private static AttributeValue n(long value) {
        return AttributeValue.fromN(Long.toString(value));
    }

}
