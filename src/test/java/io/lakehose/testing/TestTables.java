package io.lakehose.testing;

import software.amazon.awssdk.core.SdkBytes;
import software.amazon.awssdk.services.dynamodb.DynamoDbAsyncClient;
import software.amazon.awssdk.services.dynamodb.model.AttributeDefinition;
import software.amazon.awssdk.services.dynamodb.model.AttributeValue;
import software.amazon.awssdk.services.dynamodb.model.BatchWriteItemResponse;
import software.amazon.awssdk.services.dynamodb.model.BillingMode;
import software.amazon.awssdk.services.dynamodb.model.KeySchemaElement;
import software.amazon.awssdk.services.dynamodb.model.KeyType;
import software.amazon.awssdk.services.dynamodb.model.PutRequest;
import software.amazon.awssdk.services.dynamodb.model.ScalarAttributeType;
import software.amazon.awssdk.services.dynamodb.model.StreamViewType;
import software.amazon.awssdk.services.dynamodb.model.WriteRequest;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.function.LongFunction;

/** Source tables for backfill tests in DynamoDB Local: creation, bulk load, full Scan. */
public final class TestTables {

    private TestTables() {
    }

    /** A table keyed by {@code id} (S), with a NEW_AND_OLD_IMAGES stream when {@code stream}. */
    public static void create(DynamoDbAsyncClient ddb, String table, boolean stream) {
        ddb.createTable(b -> {
            b.tableName(table)
                    .attributeDefinitions(AttributeDefinition.builder().attributeName("id")
                            .attributeType(ScalarAttributeType.S).build())
                    .keySchema(KeySchemaElement.builder().attributeName("id").keyType(KeyType.HASH).build())
                    .billingMode(BillingMode.PAY_PER_REQUEST);
            if (stream) {
                b.streamSpecification(s -> s.streamEnabled(true).streamViewType(StreamViewType.NEW_AND_OLD_IMAGES));
            }
        }).join();
    }

    /** A table keyed by {@code pk} (S) and {@code sk} (N). */
    public static void createComposite(DynamoDbAsyncClient ddb, String table) {
        ddb.createTable(b -> b.tableName(table)
                .attributeDefinitions(
                        AttributeDefinition.builder().attributeName("pk").attributeType(ScalarAttributeType.S).build(),
                        AttributeDefinition.builder().attributeName("sk").attributeType(ScalarAttributeType.N).build())
                .keySchema(KeySchemaElement.builder().attributeName("pk").keyType(KeyType.HASH).build(),
                        KeySchemaElement.builder().attributeName("sk").keyType(KeyType.RANGE).build())
                .billingMode(BillingMode.PAY_PER_REQUEST)).join();
    }

    /** Item {@code n}: every attribute type, sizes varying with n. */
    public static Map<String, AttributeValue> item(long n) {
        Map<String, AttributeValue> item = new LinkedHashMap<>();
        item.put("id", AttributeValue.fromS("item-" + n));
        item.put("n", AttributeValue.fromN(Long.toString(n)));
        item.put("price", AttributeValue.fromN("12345678901234567890.123456789" + (n % 10)));
        item.put("name", AttributeValue.fromS("name \"" + n + "\" é " + "x".repeat((int) (n % 50))));
        item.put("active", AttributeValue.fromBool(n % 2 == 0));
        item.put("nothing", AttributeValue.fromNul(true));
        item.put("blob", AttributeValue.fromB(SdkBytes.fromByteArray(new byte[]{1, 2, (byte) n})));
        item.put("tags", AttributeValue.fromSs(List.of("a", "b" + n % 3)));
        item.put("scores", AttributeValue.fromNs(List.of("-1", "2.5", Long.toString(n))));
        item.put("blobs", AttributeValue.fromBs(List.of(SdkBytes.fromByteArray(new byte[]{9}))));
        item.put("address", AttributeValue.fromM(Map.of("city", AttributeValue.fromS("Paris"),
                "zip", AttributeValue.fromN("75001"))));
        item.put("history", AttributeValue.fromL(List.of(AttributeValue.fromS("x"), AttributeValue.fromN("1"))));
        return item;
    }

    /** A small item {@code n} (only id and a counter), for large loads. */
    public static Map<String, AttributeValue> smallItem(long n) {
        Map<String, AttributeValue> item = new HashMap<>();
        item.put("id", AttributeValue.fromS("item-" + n));
        item.put("n", AttributeValue.fromN(Long.toString(n)));
        item.put("payload", AttributeValue.fromS("p".repeat(40)));
        return item;
    }

    /** Writes items {@code from..to-1} made by {@code items}, 25 per BatchWriteItem, 8 batches in flight. */
    public static void load(DynamoDbAsyncClient ddb, String table, long from, long to,
                            LongFunction<Map<String, AttributeValue>> items) {
        List<CompletableFuture<Void>> inFlight = new ArrayList<>();
        List<WriteRequest> batch = new ArrayList<>();
        for (long n = from; n < to; n++) {
            batch.add(WriteRequest.builder().putRequest(PutRequest.builder().item(items.apply(n)).build()).build());
            if (batch.size() == 25 || n == to - 1) {
                inFlight.add(write(ddb, table, List.copyOf(batch)));
                batch.clear();
                if (inFlight.size() == 8) {
                    CompletableFuture.allOf(inFlight.toArray(CompletableFuture[]::new)).join();
                    inFlight.clear();
                }
            }
        }
        CompletableFuture.allOf(inFlight.toArray(CompletableFuture[]::new)).join();
    }

    private static CompletableFuture<Void> write(DynamoDbAsyncClient ddb, String table, List<WriteRequest> batch) {
        return ddb.batchWriteItem(b -> b.requestItems(Map.of(table, batch))).thenCompose(
                (BatchWriteItemResponse r) -> r.unprocessedItems().isEmpty() ? CompletableFuture.completedFuture(null)
                        : write(ddb, table, r.unprocessedItems().get(table)));
    }

    /** Every item of the table (one sequential Scan). */
    public static List<Map<String, AttributeValue>> scanAll(DynamoDbAsyncClient ddb, String table) {
        List<Map<String, AttributeValue>> items = new ArrayList<>();
        Map<String, AttributeValue> start = null;
        do {
            Map<String, AttributeValue> from = start;
            var page = ddb.scan(b -> b.tableName(table).exclusiveStartKey(from)).join();
            items.addAll(page.items());
            start = page.hasLastEvaluatedKey() && !page.lastEvaluatedKey().isEmpty() ? page.lastEvaluatedKey() : null;
        } while (start != null);
        return items;
    }
}
