package io.lakehose.encode;

import org.apache.avro.Schema;
import org.apache.avro.generic.GenericRecord;
import org.apache.avro.util.Utf8;
import org.apache.parquet.io.api.Binary;
import org.apache.parquet.io.api.RecordConsumer;

import java.util.List;
import java.util.Optional;

/**
 * Writes rows of a flat Avro record schema (strings, longs, ints, doubles, floats, booleans, each
 * nullable or not) to Parquet's RecordConsumer exactly as parquet-avro's {@code AvroWriteSupport}
 * does, without its per-value schema walk (union unwrapping, logical-type conversion lookup, type
 * switch): that walk was about a fifth of the Parquet side of the envelope's CPU in a profile.
 * Schemas with any other field (nested, lists, maps, bytes, string logical types) are not taken:
 * {@link #forSchema} says so and parquet-avro writes them. The same values reach the same column
 * writers, so the file's bytes are unchanged.
 */
final class FlatRowWriter {

    private enum Kind { STRING, LONG, INT, DOUBLE, FLOAT, BOOLEAN }

    private final String[] names;
    private final Kind[] kinds;
    private final boolean[] optional;
    private RecordConsumer consumer;

    private FlatRowWriter(String[] names, Kind[] kinds, boolean[] optional) {
        this.names = names;
        this.kinds = kinds;
        this.optional = optional;
    }

    /** A writer for {@code schema}'s rows, or empty when a field is not one of the flat kinds. */
    static Optional<FlatRowWriter> forSchema(Schema schema) {
        if (schema.getType() != Schema.Type.RECORD) {
            return Optional.empty();
        }
        List<Schema.Field> fields = schema.getFields();
        String[] names = new String[fields.size()];
        Kind[] kinds = new Kind[fields.size()];
        boolean[] optional = new boolean[fields.size()];
        for (int i = 0; i < fields.size(); i++) {
            Schema s = fields.get(i).schema();
            if (s.getType() == Schema.Type.UNION) {
                List<Schema> branches = s.getTypes();
                if (branches.size() != 2 || branches.stream().noneMatch(b -> b.getType() == Schema.Type.NULL)) {
                    return Optional.empty();
                }
                s = branches.get(0).getType() == Schema.Type.NULL ? branches.get(1) : branches.get(0);
                optional[i] = true;
            }
            Kind kind = kind(s);
            if (kind == null) {
                return Optional.empty();
            }
            names[i] = fields.get(i).name();
            kinds[i] = kind;
        }
        return Optional.of(new FlatRowWriter(names, kinds, optional));
    }

    /**
     * The kinds written without a conversion: a logical type on a string (uuid) changes how
     * parquet-avro writes it; on a number (timestamps, dates) GenericData has no conversion, so
     * the number is written as it is.
     */
    private static Kind kind(Schema s) {
        return switch (s.getType()) {
            case STRING -> s.getLogicalType() == null ? Kind.STRING : null;
            case LONG -> Kind.LONG;
            case INT -> Kind.INT;
            case DOUBLE -> Kind.DOUBLE;
            case FLOAT -> Kind.FLOAT;
            case BOOLEAN -> Kind.BOOLEAN;
            default -> null;
        };
    }

    void prepareForWrite(RecordConsumer recordConsumer) {
        this.consumer = recordConsumer;
    }

    void write(GenericRecord row) {
        RecordConsumer c = consumer;
        c.startMessage();
        for (int i = 0; i < names.length; i++) {
            Object value = row.get(i);
            if (value == null) {
                if (!optional[i]) {
                    throw new RuntimeException("Null-value for required field: " + names[i]);
                }
                continue;
            }
            c.startField(names[i], i);
            switch (kinds[i]) {
                case STRING -> c.addBinary(string(value));
                case LONG -> c.addLong(((Number) value).longValue());
                case INT -> c.addInteger(value instanceof Character ch ? ch : ((Number) value).intValue());
                case DOUBLE -> c.addDouble(((Number) value).doubleValue());
                case FLOAT -> c.addFloat(((Number) value).floatValue());
                case BOOLEAN -> c.addBoolean((Boolean) value);
                default -> throw new IllegalStateException(kinds[i].name());
            }
            c.endField(names[i], i);
        }
        c.endMessage();
    }

    /** As parquet-avro's fromAvroString: a Utf8's bytes as they are, anything else as its text. */
    private static Binary string(Object value) {
        if (value instanceof Utf8 u) {
            return Binary.fromReusedByteArray(u.getBytes(), 0, u.getByteLength());
        }
        if (value instanceof CharSequence s) {
            return s instanceof String str ? Binary.fromString(str) : Binary.fromCharSequence(s);
        }
        return Binary.fromString(value.toString());
    }
}
