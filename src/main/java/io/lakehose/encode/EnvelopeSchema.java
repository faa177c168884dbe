package io.lakehose.encode;

import java.util.List;
import org.apache.avro.LogicalTypes;
import org.apache.avro.Schema;
import org.apache.avro.SchemaBuilder;

/**
 * The lake's default row schema (docs/design.md, "Envelope schema"): one row per change, snake_case columns.
 * Typed schemas keep the metadata columns ({@link #METADATA_FIELDS}) with the same names and types.
 */
public final class EnvelopeSchema {

    public static final String EVENT_ID = "event_id";
    public static final String EVENT_NAME = "event_name";
    public static final String TABLE_NAME = "table_name";
    public static final String AWS_REGION = "aws_region";
    public static final String EVENT_TIME = "event_time";
    public static final String USER_IDENTITY = "user_identity";
    public static final String KEYS = "keys";
    public static final String NEW_IMAGE = "new_image";
    public static final String OLD_IMAGE = "old_image";
    public static final String SIZE_BYTES = "size_bytes";
    public static final String SHARD_ID = "shard_id";
    public static final String SEQUENCE_NUMBER = "sequence_number";
    public static final String SUB_SEQUENCE_NUMBER = "sub_sequence_number";
    public static final String ARRIVAL_TIME = "arrival_time";

    /** Envelope columns that every schema keeps, typed or not (all but the two images). */
    public static final List<String> METADATA_FIELDS = List.of(
            EVENT_ID, EVENT_NAME, TABLE_NAME, AWS_REGION, EVENT_TIME, USER_IDENTITY, KEYS,
            OLD_IMAGE, SIZE_BYTES, SHARD_ID, SEQUENCE_NUMBER, SUB_SEQUENCE_NUMBER, ARRIVAL_TIME);

    public static final Schema SCHEMA = build();

    private EnvelopeSchema() {
    }

    public static Schema timestampMicros() {
        return LogicalTypes.timestampMicros().addToSchema(Schema.create(Schema.Type.LONG));
    }

    private static Schema build() {
        return SchemaBuilder.record("change_envelope").namespace("io.lakehose").fields()
                .requiredString(EVENT_ID)
                .requiredString(EVENT_NAME)
                .requiredString(TABLE_NAME)
                .optionalString(AWS_REGION)
                .name(EVENT_TIME).type(timestampMicros()).noDefault()
                .optionalString(USER_IDENTITY)
                .requiredString(KEYS)
                .optionalString(NEW_IMAGE)
                .optionalString(OLD_IMAGE)
                .optionalLong(SIZE_BYTES)
                .requiredString(SHARD_ID)
                .requiredString(SEQUENCE_NUMBER)
                .requiredLong(SUB_SEQUENCE_NUMBER)
                .name(ARRIVAL_TIME).type(timestampMicros()).noDefault()
                .endRecord();
    }
}
