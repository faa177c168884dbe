package io.lakehose.backfill;

import software.amazon.awssdk.services.dynamodb.DynamoDbAsyncClient;
import software.amazon.awssdk.services.dynamodb.model.KeySchemaElement;
import software.amazon.awssdk.services.dynamodb.model.KeyType;
import software.amazon.awssdk.services.dynamodb.model.TableDescription;

import java.util.Comparator;
import java.util.List;

/**
 * What a backfill needs to know about the table it reads.
 *
 * @param reference      the name or ARN given (an ARN reads a table of another account)
 * @param name           the table's name: the lake's {@code table=} partition, as for its changes
 * @param keyNames       partition key, then sort key if any: the {@code keys} column
 * @param provisionedRcu provisioned read capacity, 0 for on-demand
 * @param itemCount      DynamoDB's approximate item count (refreshed about every six hours)
 */
record SourceTable(String reference, String name, List<String> keyNames, long provisionedRcu, long itemCount) {

    static SourceTable describe(DynamoDbAsyncClient ddb, String reference) {
        TableDescription t = ddb.describeTable(b -> b.tableName(reference)).join().table();
        List<String> keys = t.keySchema().stream()
                .sorted(Comparator.comparing(k -> k.keyType() == KeyType.HASH ? 0 : 1))
                .map(KeySchemaElement::attributeName)
                .toList();
        long rcu = t.provisionedThroughput() == null || t.provisionedThroughput().readCapacityUnits() == null ? 0
                : t.provisionedThroughput().readCapacityUnits();
        boolean onDemand = t.billingModeSummary() != null
                && "PAY_PER_REQUEST".equals(t.billingModeSummary().billingModeAsString());
        return new SourceTable(reference, t.tableName(), keys, onDemand ? 0 : rcu,
                t.itemCount() == null ? -1 : t.itemCount());
    }

    /** The table name inside a table ARN ({@code arn:aws:dynamodb:r:a:table/NAME}), or the name itself. */
    static String nameOf(String reference) {
        int i = reference.indexOf(":table/");
        if (i < 0) {
            return reference;
        }
        String rest = reference.substring(i + 7);
        int slash = rest.indexOf('/');
        return slash < 0 ? rest : rest.substring(0, slash);
    }
}
