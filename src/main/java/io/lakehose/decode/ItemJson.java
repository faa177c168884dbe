package io.lakehose.decode;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.core.util.ByteArrayBuilder;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.Arrays;
import java.util.List;

import static java.nio.charset.StandardCharsets.UTF_8;

/**
 * A whole DynamoDB item in typed JSON ({@code {"id": {"S": "1"}, ...}}), as a Scan page or an
 * export file holds it, turned into the lake's plain JSON by the same rules as stream images
 * ({@link PlainJsonWriter}), so snapshot rows and change rows of an item compare equal.
 * Not thread-safe: one per thread.
 */
public final class ItemJson {

    private final JsonFactory factory = new JsonFactory();
    private final ByteArrayBuilder out = new ByteArrayBuilder(4096);
    private final ByteArrayBuilder keysOut = new ByteArrayBuilder(256);

    /** An item's plain JSON and its key attributes' plain JSON (the {@code keys} column). */
    public record Plain(byte[] image, byte[] keys) {
    }

    /**
     * Plain JSON of the item {@code typed[offset, offset+length)} and of its {@code keyNames}
     * attributes, in one pass: each key value is cut out of the image as it is written.
     * Fails when the item lacks a key attribute.
     */
    public Plain plainWithKeys(byte[] typed, int offset, int length, List<String> keyNames) throws DecodeException {
        out.reset();
        int[] starts = new int[keyNames.size()];
        int[] ends = new int[keyNames.size()];
        Arrays.fill(starts, -1);
        try (JsonParser p = factory.createParser(typed, offset, length);
             JsonGenerator g = factory.createGenerator(out)) {
            if (p.nextToken() != JsonToken.START_OBJECT) {
                throw new DecodeException(ErrorCode.NOT_AN_OBJECT, "item is not a JSON object");
            }
            g.writeStartObject();
            while (p.nextToken() == JsonToken.FIELD_NAME) {
                String name = p.currentName();
                int k = keyNames.indexOf(name);
                g.writeFieldName(name);
                p.nextToken();
                if (k < 0) {
                    PlainJsonWriter.writeValue(p, g, name, true); // no UTF-8 pre-check here: always check strings
                    continue;
                }
                g.flush();
                starts[k] = out.size() + 1; // the generator writes the ':' with the value
                PlainJsonWriter.writeValue(p, g, name, true); // no UTF-8 pre-check here: always check strings
                g.flush();
                ends[k] = out.size();
            }
            g.writeEndObject();
        } catch (IOException e) {
            throw new DecodeException(ErrorCode.INVALID_JSON, "item is not valid JSON: " + e.getMessage());
        }
        byte[] image = out.toByteArray();
        keysOut.reset();
        try (JsonGenerator g = factory.createGenerator(keysOut)) {
            g.writeStartObject();
            for (int k = 0; k < starts.length; k++) {
                if (starts[k] < 0) {
                    throw new DecodeException(ErrorCode.NOT_A_CDC_RECORD, "item has no key attribute " + keyNames.get(k));
                }
                g.writeFieldName(keyNames.get(k));
                g.writeRawValue(new String(image, starts[k], ends[k] - starts[k], UTF_8));
            }
            g.writeEndObject();
        } catch (IOException e) {
            throw new UncheckedIOException(e); // writing to memory
        }
        return new Plain(image, keysOut.toByteArray());
    }

}
