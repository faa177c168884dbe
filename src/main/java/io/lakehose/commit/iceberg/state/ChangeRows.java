package io.lakehose.commit.iceberg.state;

import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.lakehose.decode.SequenceNumber;
import org.apache.avro.generic.GenericRecord;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.math.BigDecimal;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;

/**
 * Reads a {@link Change} from a change-log row (the envelope's columns, docs/design.md,
 * "Envelope schema"), and the order attribute, where the table has one: from its typed column
 * if the row has one of that name, else from the plain-JSON image ({@code new_image}, or
 * {@code old_image} for a REMOVE, which has no new image).
 */
final class ChangeRows {

    private static final ObjectMapper JSON = new ObjectMapper().enable(DeserializationFeature.USE_BIG_DECIMAL_FOR_FLOATS);

    private final Optional<String> orderAttribute;

    ChangeRows(Optional<String> orderAttribute) {
        this.orderAttribute = orderAttribute;
    }

    /** The columns a {@link Change} is read from (what the index reads of the table at start). */
    Set<String> columns() {
        Set<String> c = new TreeSet<>(Set.of("keys", "event_name", "event_time", "shard_id", "sequence_number",
                "sub_sequence_number"));
        orderAttribute.ifPresent(a -> {
            c.add(a);
            c.add("new_image");
            c.add("old_image");
        });
        return c;
    }

    Change of(GenericRecord row) {
        String eventName = row.get("event_name").toString();
        return new Change(row.get("keys").toString(), eventName, (Long) row.get("event_time"),
                row.get("shard_id").toString(),
                new SequenceNumber(row.get("sequence_number").toString(), (Long) row.get("sub_sequence_number")),
                orderAttribute.flatMap(a -> order(row, a, Change.REMOVE.equals(eventName))));
    }

    private static Optional<Comparable<?>> order(GenericRecord row, String attribute, boolean remove) {
        if (row.getSchema().getField(attribute) != null && row.get(attribute) != null) {
            Object v = row.get(attribute);
            return Optional.of(v instanceof Number n ? new BigDecimal(n.toString()) : v.toString());
        }
        String image = remove ? "old_image" : "new_image";
        Object json = row.getSchema().getField(image) == null ? null : row.get(image);
        if (json == null) {
            return Optional.empty();
        }
        try {
            JsonNode value = JSON.readTree(json.toString()).get(attribute);
            if (value == null || value.isNull()) {
                return Optional.empty();
            }
            return Optional.of(value.isNumber() ? value.decimalValue() : value.asText());
        } catch (IOException e) {
            throw new UncheckedIOException("the " + image + " of a change is not JSON", e);
        }
    }
}
