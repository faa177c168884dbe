package io.lakehose.backfill;

import com.google.common.util.concurrent.RateLimiter;
import io.lakehose.decode.DecodeException;
import io.lakehose.decode.SourceRecord;
import io.lakehose.errorout.ErrorRecord;
import software.amazon.awssdk.services.dynamodb.DynamoDbAsyncClient;
import software.amazon.awssdk.services.dynamodb.model.AttributeValue;
import software.amazon.awssdk.services.dynamodb.model.ReturnConsumedCapacity;
import software.amazon.awssdk.services.dynamodb.model.ScanResponse;

import java.io.IOException;
import java.util.Map;

/**
 * One segment of a parallel Scan, from its saved position to its end: pages go into the unit's
 * files, and a file is stored (then the position saved) at the first page boundary past the
 * size limit. Read capacity is paid to the shared rate limiter after each page, by what DynamoDB
 * reports it consumed.
 */
final class ScanSegment {

    private final BackfillContext ctx;
    private final DynamoDbAsyncClient ddb;
    private final SourceTable table;
    private final int segment;
    private final int totalSegments;
    private final boolean consistentRead;
    private final int pageItems;
    private final RateLimiter limiter;
    private final SnapshotRows rows;
    private final AttributeValueJson typed = new AttributeValueJson();

    ScanSegment(BackfillContext ctx, DynamoDbAsyncClient ddb, SourceTable table, int segment, int totalSegments,
                boolean consistentRead, int pageItems, RateLimiter limiter, SnapshotRows rows) {
        this.ctx = ctx;
        this.ddb = ddb;
        this.table = table;
        this.segment = segment;
        this.totalSegments = totalSegments;
        this.consistentRead = consistentRead;
        this.pageItems = pageItems;
        this.limiter = limiter;
        this.rows = rows;
    }

    void run(BackfillProgress.Unit start) throws IOException {
        if (start.done()) {
            return;
        }
        String unitName = UnitFiles.unitName("s", segment);
        UnitFiles files = new UnitFiles(ctx, unitName);
        BackfillProgress.Unit unit = start;
        Map<String, AttributeValue> startKey = StartKeys.decode(start.resumeKey());
        long position = start.items();
        try {
            while (true) {
                ScanResponse page = scan(startKey);
                long pageBytes = 0;
                for (Map<String, AttributeValue> item : page.items()) {
                    byte[] itemJson = typed.typed(item);
                    pageBytes += itemJson.length;
                    SourceRecord source = rows.source(itemJson, "snapshot-" + unitName, ++position);
                    try {
                        files.append(rows.row(source));
                    } catch (DecodeException e) {
                        files.appendError(ErrorRecord.of(source, e));
                        ctx.stats().error();
                    }
                }
                pay(page, pageBytes);
                boolean end = !page.hasLastEvaluatedKey() || page.lastEvaluatedKey().isEmpty();
                if (end || files.full()) {
                    long stored = files.store(unit.nextFile());
                    String resume = end ? null : StartKeys.encode(page.lastEvaluatedKey());
                    unit = ctx.progress().update(unit.advanced(resume, stored, end)).units().get(unit.index());
                    ctx.stats().itemsStored(stored);
                }
                if (end) {
                    ctx.stats().unitDone();
                    return;
                }
                startKey = page.lastEvaluatedKey();
            }
        } finally {
            files.abort();
        }
    }

    private ScanResponse scan(Map<String, AttributeValue> startKey) {
        return ddb.scan(b -> b.tableName(table.reference())
                .limit(pageItems > 0 ? pageItems : null)
                .segment(segment).totalSegments(totalSegments)
                .exclusiveStartKey(startKey)
                .consistentRead(consistentRead)
                .returnConsumedCapacity(ReturnConsumedCapacity.TOTAL)).join();
    }

    /**
     * Pays a page's read units to the shared limiter, after the read: the next page of any segment
     * waits until the rate allows it. When the endpoint reports no consumed capacity, the units are
     * estimated from the page's item bytes: 4 KB per unit, half for eventual consistency.
     */
    private void pay(ScanResponse page, long pageBytes) {
        double units;
        if (page.consumedCapacity() != null && page.consumedCapacity().capacityUnits() != null) {
            units = page.consumedCapacity().capacityUnits();
        } else {
            units = Math.ceil(pageBytes / 4096.0);
            units = consistentRead ? units : units / 2;
        }
        ctx.stats().capacity(units);
        limiter.acquire((int) Math.max(1, Math.ceil(units)));
    }
}
