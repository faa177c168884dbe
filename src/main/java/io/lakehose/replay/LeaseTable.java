package io.lakehose.replay;

import software.amazon.awssdk.services.dynamodb.DynamoDbAsyncClient;
import software.amazon.awssdk.services.dynamodb.model.AttributeValue;
import software.amazon.awssdk.services.dynamodb.model.CancellationReason;
import software.amazon.awssdk.services.dynamodb.model.ResourceNotFoundException;
import software.amazon.awssdk.services.dynamodb.model.ScanResponse;
import software.amazon.awssdk.services.dynamodb.model.TransactWriteItem;
import software.amazon.awssdk.services.dynamodb.model.TransactionCanceledException;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletionException;
import java.util.function.Supplier;

/**
 * The KCL 2.x lease table, read and rewritten for a replay. Attribute names are those of KCL
 * 2.7's {@code DynamoDBLeaseSerializer} (single-stream mode).
 *
 * <p>Every reset is conditional on the {@code leaseCounter} read: KCL increments it on every
 * renewal, take and checkpoint, so a lease a worker touched in the meantime fails the write
 * instead of being overwritten (with --force, {@link Replay} then reads the leases again and
 * retries a few times, since a live worker renews every lease it holds). The reset also increments the counter and removes the owner: a
 * worker that still held the lease (only with --force) then fails its next renewal or checkpoint
 * (both are conditional on the counter), loses the lease and drops its buffers without
 * checkpointing, and any worker can take the free lease at once instead of waiting for it to
 * expire. The pending two-phase checkpoint is removed too: KCL would otherwise resume from it.
 */
public final class LeaseTable {

    /** At most this many items per DynamoDB transaction. */
    static final int TRANSACTION_LIMIT = 100;

    private final DynamoDbAsyncClient dynamo;
    private final String table;

    public LeaseTable(DynamoDbAsyncClient dynamo, String table) {
        this.dynamo = dynamo;
        this.table = table;
    }

    public String name() {
        return table;
    }

    /** Every lease, read consistently. */
    public List<Lease> read() {
        List<Lease> leases = new ArrayList<>();
        Map<String, AttributeValue> start = null;
        do {
            Map<String, AttributeValue> from = start;
            ScanResponse page = call(() -> dynamo.scan(b -> b.tableName(table).consistentRead(true).exclusiveStartKey(from)).join());
            page.items().forEach(item -> leases.add(toLease(item)));
            start = page.hasLastEvaluatedKey() && !page.lastEvaluatedKey().isEmpty() ? page.lastEvaluatedKey() : null;
        } while (start != null);
        return leases;
    }

    /**
     * Writes the steps in order, up to {@value #TRANSACTION_LIMIT} per transaction (all or none of
     * a batch). The planner orders parents before children, so a failed later batch never leaves
     * a child reset while its parent is not.
     *
     * @return how many leases were written
     * @throws ReplayException (REFUSED, {@link ReplayException#leaseChanged()}) naming the shards whose
     *     lease changed since it was read; the batches before it stay written
     */
    public int write(List<ReplayPlan.Step> steps) {
        List<ReplayPlan.Step> writes = steps.stream().filter(s -> s.action() != ReplayPlan.Action.UNCHANGED).toList();
        int written = 0;
        for (int from = 0; from < writes.size(); from += TRANSACTION_LIMIT) {
            List<ReplayPlan.Step> batch = writes.subList(from, Math.min(writes.size(), from + TRANSACTION_LIMIT));
            List<TransactWriteItem> items = batch.stream().map(this::toWrite).toList();
            try {
                call(() -> dynamo.transactWriteItems(b -> b.transactItems(items)).join());
            } catch (TransactionCanceledException e) {
                List<String> changed = new ArrayList<>();
                List<CancellationReason> reasons = e.hasCancellationReasons() ? e.cancellationReasons() : List.of();
                for (int i = 0; i < reasons.size() && i < batch.size(); i++) {
                    if ("ConditionalCheckFailed".equals(reasons.get(i).code())) {
                        changed.add(batch.get(i).shardId());
                    }
                }
                throw ReplayException.leaseChanged("the lease of " + (changed.isEmpty()
                        ? "a shard" : String.join(", ", changed)) + " changed since it was read (a worker renewed, "
                        + "took or checkpointed it); " + written + " of " + writes.size() + " leases were written "
                        + "before that");
            }
            written += batch.size();
        }
        return written;
    }

    private TransactWriteItem toWrite(ReplayPlan.Step step) {
        if (step.action() == ReplayPlan.Action.CREATE) {
            ShardInfo shard = step.shard();
            Map<String, AttributeValue> item = new HashMap<>();
            item.put("leaseKey", s(shard.shardId()));
            item.put("leaseCounter", n(0));
            item.put("checkpoint", s(step.newCheckpoint()));
            item.put("checkpointSubSequenceNumber", n(0));
            item.put("ownerSwitchesSinceCheckpoint", n(0));
            item.put("startingHashKey", s(shard.startingHashKey()));
            item.put("endingHashKey", s(shard.endingHashKey()));
            if (!shard.parentShardIds().isEmpty()) {
                item.put("parentShardId", AttributeValue.fromSs(shard.parentShardIds()));
            }
            return TransactWriteItem.builder().put(p -> p.tableName(table).item(item)
                    .conditionExpression("attribute_not_exists(leaseKey)")).build();
        }
        Lease lease = step.lease();
        return TransactWriteItem.builder().update(u -> u.tableName(table)
                .key(Map.of("leaseKey", s(lease.shardId())))
                // Names through placeholders: several DynamoDB reserved words are close to these.
                .updateExpression("SET #cp = :cp, #sub = :zero, #switches = :zero, #counter = #counter + :one "
                        + "REMOVE #owner, #pcp, #psub, #pstate")
                .conditionExpression("#counter = :counter")
                .expressionAttributeNames(Map.of("#cp", "checkpoint", "#sub", "checkpointSubSequenceNumber",
                        "#switches", "ownerSwitchesSinceCheckpoint", "#counter", "leaseCounter", "#owner", "leaseOwner",
                        "#pcp", "pendingCheckpoint", "#psub", "pendingCheckpointSubSequenceNumber",
                        "#pstate", "pendingCheckpointState"))
                .expressionAttributeValues(Map.of(":cp", s(step.newCheckpoint()), ":zero", n(0), ":one", n(1),
                        ":counter", n(lease.counter())))).build();
    }

    private static Lease toLease(Map<String, AttributeValue> item) {
        AttributeValue parents = item.get("parentShardId");
        AttributeValue pending = item.get("pendingCheckpoint");
        return new Lease(item.get("leaseKey").s(), str(item, "leaseOwner"), num(item, "leaseCounter"),
                str(item, "checkpoint"), num(item, "checkpointSubSequenceNumber"),
                parents == null || !parents.hasSs() ? List.of() : List.copyOf(parents.ss()),
                pending != null && pending.s() != null && !pending.s().isEmpty());
    }

    private static String str(Map<String, AttributeValue> item, String name) {
        AttributeValue v = item.get(name);
        return v == null ? null : v.s();
    }

    private static long num(Map<String, AttributeValue> item, String name) {
        AttributeValue v = item.get(name);
        return v == null || v.n() == null ? 0 : Long.parseLong(v.n());
    }

    private static AttributeValue s(String value) {
        return AttributeValue.fromS(value);
    }

    private static AttributeValue n(long value) {
        return AttributeValue.fromN(Long.toString(value));
    }

    /** Unwraps the SDK's CompletionException; a missing table becomes a one-line usage error. */
    private <T> T call(Supplier<T> request) {
        try {
            return request.get();
        } catch (CompletionException e) {
            Throwable cause = e.getCause();
            if (cause instanceof ResourceNotFoundException) {
                throw new ReplayException(ReplayException.Kind.USAGE, "lease table " + table + " does not exist "
                        + "(kinesis.applicationName is the lease table's name; has the service run yet?)");
            }
            if (cause instanceof RuntimeException r) {
                throw r;
            }
            throw e;
        }
    }
}
