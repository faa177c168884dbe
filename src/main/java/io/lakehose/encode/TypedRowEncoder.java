package io.lakehose.encode;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.core.StreamReadConstraints;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.lakehose.decode.ChangeRecord;
import org.apache.avro.Schema;
import org.apache.avro.generic.GenericData;
import org.apache.avro.generic.GenericRecord;
import org.apache.avro.util.Utf8;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.util.Objects;

/**
 * Rows of a table's {@link TypedSchema}: the envelope metadata, one typed column per schema
 * attribute filled from the NewImage, and {@link TypedSchema#DRIFT_ATTRIBUTES}.
 *
 * <p>What goes where:
 * <ul>
 *   <li>Metadata columns are written exactly as the envelope writes them
 *       ({@link EnvelopeRowEncoder#fillMetadata}); {@code old_image} stays plain JSON.</li>
 *   <li>Each NewImage attribute that is in the schema and converts (rules in
 *       {@link AttributeConverter}) goes to its column. An attribute the item lacks, or whose
 *       value is NULL, leaves its column null.</li>
 *   <li>Each NewImage attribute that is not in the schema, or whose value does not convert,
 *       goes <em>whole</em> into {@code drift_attributes}, a plain-JSON object (docs/design.md, "Envelope schema":
 *       N digits kept exactly) keyed by attribute name in NewImage order, and is reported once
 *       per record to {@link DriftListener#drift(String, String)} with the record's table name.
 *       A nested record with one unknown or mistyped nested attribute, or a list with one bad
 *       element, sends the whole top-level attribute to drift: part of a value is never dropped,
 *       and a value is never split between a column and the drift JSON.
 *       {@code drift_attributes} is null when every attribute fit.</li>
 *   <li>A record without NewImage (REMOVE, or a KEYS_ONLY/OLD_IMAGE stream) has every typed
 *       column and the drift column null; its data is in {@code keys} and {@code old_image}.</li>
 * </ul>
 *
 * <p>The NewImage is re-read from the source record's bytes, where it is still in DynamoDB's
 * typed encoding ({@link ChangeRecord#newImageOffset()}): plain JSON cannot tell SS from L or
 * B from S. Attributes are streamed one at a time and only each value is built as a tree, so a
 * value can be converted and, if it does not fit, written to drift without a second parse.
 *
 * <p>Immutable and thread-safe: every per-record buffer is local to {@link #encode}, so one
 * instance may serve all shards.
 */
public final class TypedRowEncoder implements RowEncoder {

    /** Same limits as the decoder, which has already accepted these bytes. */
    private static final ObjectMapper MAPPER = new ObjectMapper(JsonFactory.builder()
            .streamReadConstraints(StreamReadConstraints.builder()
                    .maxStringLength(64 * 1024 * 1024)
                    .maxNestingDepth(200)
                    .build())
            .build());

    private final TypedSchema typed;
    private final Schema schema;
    private final DriftListener drift;
    private final int[] metadata;
    private final int driftPosition;

    public TypedRowEncoder(TypedSchema typed, DriftListener drift) {
        this.typed = Objects.requireNonNull(typed, "typed schema");
        this.drift = Objects.requireNonNull(drift, "drift listener");
        this.schema = typed.rowSchema();
        this.metadata = typed.metadataPositions();
        this.driftPosition = typed.driftPosition();
    }

    @Override
    public Schema schema() {
        return schema;
    }

    public TypedSchema typedSchema() {
        return typed;
    }

    @Override
    public GenericRecord encode(ChangeRecord c) {
        GenericData.Record row = new GenericData.Record(schema);
        EnvelopeRowEncoder.fillMetadata(row, c, metadata);
        if (c.newImageOffset() >= 0) {
            try {
                fillAttributes(row, c);
            } catch (IOException e) {
                // The decoder validated these very bytes: reaching this is a bug, not bad input.
                throw new IllegalStateException("NewImage of event " + c.eventId() + " (table " + c.tableName()
                        + ") cannot be re-read although the decoder accepted it", e);
            }
        }
        return row;
    }

    private void fillAttributes(GenericData.Record row, ChangeRecord c) throws IOException {
        ByteArrayOutputStream driftBytes = null;
        JsonGenerator driftJson = null;
        try (JsonParser p = MAPPER.createParser(c.source().data(), c.newImageOffset(), c.newImageLength())) {
            if (p.nextToken() != JsonToken.START_OBJECT) {
                throw new IOException("NewImage is not a JSON object");
            }
            while (p.nextToken() == JsonToken.FIELD_NAME) {
                String attribute = p.currentName();
                p.nextToken();
                JsonNode value = p.readValueAsTree();
                TypedSchema.Column column = typed.column(attribute);
                if (column != null) {
                    Object converted = AttributeConverter.convertTyped(column.converter(), value);
                    if (converted != AttributeConverter.MISMATCH) {
                        row.put(column.position(), converted);
                        continue;
                    }
                }
                if (driftJson == null) {
                    // Allocated only when a record drifts, which keeps the encoder free of state.
                    driftBytes = new ByteArrayOutputStream(256);
                    driftJson = MAPPER.createGenerator(driftBytes);
                    driftJson.writeStartObject();
                }
                driftJson.writeFieldName(attribute);
                PlainJsonTree.writeTyped(value, driftJson);
                drift.drift(c.tableName(), attribute);
            }
        }
        if (driftJson != null) {
            driftJson.writeEndObject();
            driftJson.close();
            row.put(driftPosition, new Utf8(driftBytes.toByteArray()));
        }
    }
}
