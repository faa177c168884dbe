package io.lakehose.encode;

import io.lakehose.decode.ChangeRecord;
import io.lakehose.decode.SourceRecord;
import org.apache.avro.Schema;
import org.apache.avro.generic.GenericData;
import org.apache.avro.generic.GenericRecord;
import org.apache.avro.util.Utf8;

/** Rows of the default envelope schema; images stay plain JSON strings. */
public final class EnvelopeRowEncoder implements RowEncoder {

    private static final Schema SCHEMA = EnvelopeSchema.SCHEMA;
    private static final int NEW_IMAGE = SCHEMA.getField(EnvelopeSchema.NEW_IMAGE).pos();
    private static final int[] METADATA = metadataPositions(SCHEMA);

    @Override
    public Schema schema() {
        return SCHEMA;
    }

    @Override
    public GenericRecord encode(ChangeRecord c) {
        GenericData.Record row = new GenericData.Record(SCHEMA);
        row.put(NEW_IMAGE, utf8(c.newImageJson()));
        fillMetadata(row, c, METADATA);
        return row;
    }

    /**
     * Puts the envelope metadata of {@code c} into {@code row}; {@code positions} are the row's
     * field positions in the order of {@link EnvelopeSchema#METADATA_FIELDS}. Shared with typed
     * encoders so that both write the metadata identically.
     */
    public static void fillMetadata(GenericData.Record row, ChangeRecord c, int[] positions) {
        SourceRecord src = c.source();
        row.put(positions[0], utf8(c.eventId()));
        row.put(positions[1], utf8(c.eventName()));
        row.put(positions[2], utf8(c.tableName()));
        row.put(positions[3], utf8(c.awsRegion()));
        row.put(positions[4], c.eventTimeMicros());
        row.put(positions[5], utf8(c.userIdentity()));
        row.put(positions[6], utf8(c.keysJson()));
        row.put(positions[7], utf8(c.oldImageJson()));
        row.put(positions[8], c.sizeBytes());
        row.put(positions[9], utf8(src.shardId()));
        row.put(positions[10], utf8(src.sequence().digits()));
        row.put(positions[11], src.sequence().subSequence());
        row.put(positions[12], src.arrivalMicros());
    }

    /** Positions of {@link EnvelopeSchema#METADATA_FIELDS} in {@code schema}. */
    public static int[] metadataPositions(Schema schema) {
        return EnvelopeSchema.METADATA_FIELDS.stream().mapToInt(n -> schema.getField(n).pos()).toArray();
    }

    /**
     * Strings go to parquet-avro as Utf8, which it hands to Parquet as a byte[]-backed Binary. A
     * String becomes a ByteBuffer-backed Binary, whose hashCode (dictionary columns) and compare
     * (min/max statistics) go byte by byte through the ByteBuffer.
     */
    static Utf8 utf8(String s) {
        return s == null ? null : new Utf8(s);
    }

    /** Wraps bytes without copying; parquet-avro writes a Utf8 straight from its array. */
    public static Utf8 utf8(byte[] json) {
        return json == null ? null : new Utf8(json);
    }
}
