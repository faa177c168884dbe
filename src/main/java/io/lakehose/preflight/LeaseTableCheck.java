package io.lakehose.preflight;

import io.lakehose.preflight.CheckResult.Fix;
import software.amazon.awssdk.services.dynamodb.DynamoDbClient;
import software.amazon.awssdk.services.dynamodb.model.AttributeValue;
import software.amazon.awssdk.services.dynamodb.model.KeyType;
import software.amazon.awssdk.services.dynamodb.model.TableDescription;

import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.function.Supplier;

/**
 * The KCL lease table (named kinesis.applicationName): DescribeTable, then every item call KCL's
 * lease refresher makes (Scan, GetItem, PutItem, UpdateItem, DeleteItem), without writing.
 *
 * <p>Why the writes leave nothing: each write is conditional on {@code attribute_exists} of the
 * hash key, on a random key no lease has. DynamoDB authorizes a request before it evaluates its
 * condition, so ConditionalCheckFailedException proves the permission while nothing is written,
 * and KCL can never see a stray item that it would take for a lease.
 *
 * <p>A missing table is a warning, not a failure: KCL creates it at first start if it may
 * (dynamodb:CreateTable). That permission cannot be shown without creating a table: DynamoDB has no
 * dry run, and a CreateTable refused for a bad request is refused before IAM is consulted.
 */
final class LeaseTableCheck {

    static final String NAME = "lease-table";

    private final DynamoDbClient dynamo;
    private final String table;
    private final String region;

    LeaseTableCheck(DynamoDbClient dynamo, String table, String region) {
        this.dynamo = dynamo;
        this.table = table;
        this.region = region;
    }

    CheckResult run() {
        String arn = "arn:" + Policies.partition(region) + ":dynamodb:" + region + ":" + Policies.ACCOUNT + ":table/" + table;
        TableDescription described;
        try {
            described = Refused.call("dynamodb:DescribeTable", arn, () -> dynamo.describeTable(b -> b.tableName(table))).table();
        } catch (Refused r) {
            if (r.is("ResourceNotFoundException")) {
                return CheckResult.warn(NAME, r.failure("lease table '" + table + "' does not exist in " + region
                        + " yet. KCL creates it at first start, which needs dynamodb:CreateTable (preflight cannot test "
                        + "that without creating a table); then run preflight again to check the item permissions.",
                        List.of(new Fix("IAM policy of the role lakehose runs as", Policies.leaseTable(arn)))));
            }
            return CheckResult.fail(NAME, explain(r, arn));
        }
        String tableArn = described.tableArn() == null ? arn : described.tableArn();
        String hashKey = described.keySchema().stream().filter(k -> k.keyType() == KeyType.HASH)
                .findFirst().orElseThrow().attributeName();
        boolean stringKey = described.attributeDefinitions().stream()
                .anyMatch(a -> a.attributeName().equals(hashKey) && "S".equals(a.attributeTypeAsString()));
        if (described.keySchema().size() != 1 || !stringKey) {
            return CheckResult.fail(NAME, new CheckResult.Failure("", tableArn, "NotALeaseTable", "",
                    "table '" + table + "' exists but is not a KCL lease table (KCL's has one string hash key, leaseKey): "
                            + "kinesis.applicationName must name this application's own table.", List.of()));
        }
        // The probe key: no shard id looks like this, and nothing is ever stored under it.
        Map<String, AttributeValue> key = Map.of(hashKey,
                AttributeValue.fromS("lakehose-preflight-" + UUID.randomUUID()));
        Map<String, String> names = Map.of("#k", hashKey);
        String mustExist = "attribute_exists(#k)";
        try {
            Refused.call("dynamodb:Scan", tableArn, () -> dynamo.scan(b -> b.tableName(table).limit(1)));
            Refused.call("dynamodb:GetItem", tableArn, () -> dynamo.getItem(b -> b.tableName(table).key(key)));
            conditional("dynamodb:PutItem", tableArn, () -> dynamo.putItem(b -> b.tableName(table).item(key)
                    .conditionExpression(mustExist).expressionAttributeNames(names)));
            conditional("dynamodb:UpdateItem", tableArn, () -> dynamo.updateItem(b -> b.tableName(table).key(key)
                    .updateExpression("SET #p = :p").conditionExpression(mustExist)
                    .expressionAttributeNames(Map.of("#k", hashKey, "#p", "preflight"))
                    .expressionAttributeValues(Map.of(":p", AttributeValue.fromS("probe")))));
            conditional("dynamodb:DeleteItem", tableArn, () -> dynamo.deleteItem(b -> b.tableName(table).key(key)
                    .conditionExpression(mustExist).expressionAttributeNames(names)));
        } catch (Refused r) {
            return CheckResult.fail(NAME, explain(r, tableArn));
        }
        return CheckResult.pass(NAME, "lease table " + tableArn + " (" + described.tableStatusAsString()
                + "): DescribeTable, Scan, GetItem, and PutItem/UpdateItem/DeleteItem refused only by their "
                + "condition (nothing written)");
    }

    /** A write whose condition cannot hold: ConditionalCheckFailedException is the expected answer. */
    private static void conditional(String action, String arn, Supplier<?> call) throws Refused {
        try {
            Refused.call(action, arn, call);
        } catch (Refused r) {
            if (!r.is("ConditionalCheckFailedException")) {
                throw r;
            }
        }
    }

    private CheckResult.Failure explain(Refused r, String tableArn) {
        return r.failure("the role lakehose runs as may not call " + r.action + " on the lease table; KCL needs "
                        + "DescribeTable, Scan, GetItem, PutItem, UpdateItem and DeleteItem on it (CreateTable if it "
                        + "is to create it).",
                List.of(new Fix("IAM policy of the role lakehose runs as", Policies.leaseTable(tableArn))),
                other -> null);
    }
}
