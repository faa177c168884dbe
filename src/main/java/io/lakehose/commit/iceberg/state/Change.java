package io.lakehose.commit.iceberg.state;

import io.lakehose.decode.SequenceNumber;

import java.util.Optional;

/**
 * What the merge rule needs of one change of an item (docs/design.md, "Tables", current-state
 * table): its key (the {@code keys} column's JSON), its kind, when it happened, where it came
 * from, and the value of the table's order attribute, if one is configured and the change has it.
 *
 * @param order the order attribute's value: a {@link java.math.BigDecimal} for a number, a
 *              {@link String} otherwise; empty when not configured or absent
 */
public record Change(String key, String eventName, long eventTimeMicros, String shardId, SequenceNumber sequence,
                     Optional<Comparable<?>> order) {

    /** DynamoDB's delete, by a request or by TTL (the envelope's eventName). */
    public static final String REMOVE = "REMOVE";
    /** A backfill row: the item as a scan read it (docs/design.md, "Envelope schema"). */
    public static final String SNAPSHOT = "SNAPSHOT";

    public boolean isRemove() {
        return REMOVE.equals(eventName);
    }

    public boolean isSnapshot() {
        return SNAPSHOT.equals(eventName);
    }
}
