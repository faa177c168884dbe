package io.lakehose.decode;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.core.util.ByteArrayBuilder;

import java.io.IOException;
import java.util.List;

/**
 * A whole DynamoDB item in typed JSON ({@code {"id": {"S": "1"}, ...}}), as a Scan page or an
 * export file holds it, turned into the lake's plain JSON by the same rules as stream images
 * ({@link PlainJsonWriter}), so snapshot rows and change rows of an item compare equal.
 * Not thread-safe: one per thread.
 */
public final class ItemJson {

    private final JsonFactory factory = new JsonFactory();
    private final ByteArrayBuilder out = new ByteArrayBuilder(4096);

    /** Plain JSON of the item {@code typed[offset, offset+length)}. */
    public byte[] plain(byte[] typed, int offset, int length) throws DecodeException {
        out.reset();
        try (JsonParser p = factory.createParser(typed, offset, length);
             JsonGenerator g = factory.createGenerator(out)) {
            p.nextToken();
            PlainJsonWriter.writeItem(p, g);
        } catch (IOException e) {
            throw new DecodeException(ErrorCode.INVALID_JSON, "item is not valid JSON: " + e.getMessage());
        }
        return out.toByteArray();
    }

    /**
     * Plain JSON of only the {@code keyNames} attributes of the item, in that order: the
     * {@code keys} column. Fails when the item lacks a key attribute.
     */
    public byte[] plainKeys(byte[] typed, int offset, int length, List<String> keyNames) throws DecodeException {
        out.reset();
        try (JsonParser p = factory.createParser(typed, offset, length);
             JsonGenerator g = factory.createGenerator(out)) {
            if (p.nextToken() != JsonToken.START_OBJECT) {
                throw new DecodeException(ErrorCode.NOT_AN_OBJECT, "item is not a JSON object");
            }
            byte[][] values = new byte[keyNames.size()][];
            while (p.nextToken() == JsonToken.FIELD_NAME) {
                int k = keyNames.indexOf(p.currentName());
                p.nextToken();
                if (k < 0) {
                    p.skipChildren();
                } else {
                    values[k] = plainValue(p, keyNames.get(k));
                }
            }
            g.writeStartObject();
            for (int k = 0; k < values.length; k++) {
                if (values[k] == null) {
                    throw new DecodeException(ErrorCode.NOT_A_CDC_RECORD, "item has no key attribute " + keyNames.get(k));
                }
                g.writeFieldName(keyNames.get(k));
                g.writeRawValue(new String(values[k], java.nio.charset.StandardCharsets.UTF_8));
            }
            g.writeEndObject();
        } catch (IOException e) {
            throw new DecodeException(ErrorCode.INVALID_JSON, "item is not valid JSON: " + e.getMessage());
        }
        return out.toByteArray();
    }

    private byte[] plainValue(JsonParser p, String name) throws IOException, DecodeException {
        ByteArrayBuilder value = new ByteArrayBuilder(64);
        try (JsonGenerator g = factory.createGenerator(value)) {
            PlainJsonWriter.writeValue(p, g, name);
        }
        return value.toByteArray();
    }
}
