package io.lakehose.backfill;

import io.lakehose.decode.ChangeRecord;
import io.lakehose.decode.DecodeException;
import io.lakehose.decode.ItemJson;
import io.lakehose.decode.SequenceNumber;
import io.lakehose.decode.SourceRecord;

import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.UUID;

/**
 * Turns an item read by a backfill into a lake row with the envelope of a change: event_name
 * {@code SNAPSHOT}, event_time the snapshot time (so a reader orders it before every change the
 * stream captured after the snapshot began), new_image the item, keys its key attributes.
 *
 * <p>The stream-only columns get stable stand-ins: shard_id names the backfill unit (e.g.
 * {@code snapshot-s0003}), sequence_number is the item's position in that unit, arrival_time is
 * the snapshot time, and event_id is a name-based UUID of the run and the item's keys, so a
 * re-read item gets the same id. Not thread-safe: one per unit thread.
 */
final class SnapshotRows {

    static final String EVENT_NAME = "SNAPSHOT";

    private final ItemJson json = new ItemJson();
    private final String table;
    private final String region;
    private final long snapshotMicros;
    private final List<String> keyNames;
    private final String runId;

    SnapshotRows(String table, String region, long snapshotMicros, List<String> keyNames, String runId) {
        this.table = table;
        this.region = region;
        this.snapshotMicros = snapshotMicros;
        this.keyNames = List.copyOf(keyNames);
        this.runId = runId;
    }

    /** The source record a backfilled item stands for, also what the error output records. */
    SourceRecord source(byte[] typedItem, String unitId, long position) {
        return SourceRecord.of(unitId, SequenceNumber.of(position), snapshotMicros, typedItem);
    }

    /** As {@link #source(byte[], String, long)} for an item that is a slice of a larger buffer. */
    SourceRecord source(byte[] data, int offset, int length, String unitId, long position) {
        return new SourceRecord(unitId, SequenceNumber.of(position), snapshotMicros, data, offset, length);
    }

    /** @param source from {@link #source}: its bytes are the item in DynamoDB typed JSON */
    ChangeRecord row(SourceRecord source) throws DecodeException {
        ItemJson.Plain plain = json.plainWithKeys(source.data(), source.offset(), source.length(), keyNames);
        String eventId = UUID.nameUUIDFromBytes((runId + "\n" + new String(plain.keys(), StandardCharsets.UTF_8))
                .getBytes(StandardCharsets.UTF_8)).toString();
        // The typed image is the whole source record, so typed schemas read attribute types from it.
        return new ChangeRecord(eventId, EVENT_NAME, table, region, snapshotMicros, null, plain.keys(), plain.image(),
                null, null, source, source.offset(), source.length());
    }
}
