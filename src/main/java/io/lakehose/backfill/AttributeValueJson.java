package io.lakehose.backfill;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.core.util.ByteArrayBuilder;
import software.amazon.awssdk.core.SdkBytes;
import software.amazon.awssdk.services.dynamodb.model.AttributeValue;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.Base64;
import java.util.List;
import java.util.Map;

/**
 * An item from a Scan page written back as DynamoDB's typed JSON, the form stream images and
 * export files have, so every source of items goes through one set of plain-JSON rules
 * ({@link io.lakehose.decode.ItemJson}). Numbers stay the decimal strings DynamoDB sent.
 * Not thread-safe: one per thread.
 */
final class AttributeValueJson {

    private final JsonFactory factory = new JsonFactory();
    private final ByteArrayBuilder out = new ByteArrayBuilder(4096);

    byte[] typed(Map<String, AttributeValue> item) {
        out.reset();
        try (JsonGenerator g = factory.createGenerator(out)) {
            writeMap(g, item);
        } catch (IOException e) {
            throw new UncheckedIOException(e); // writing to memory
        }
        return out.toByteArray();
    }

    private static void writeMap(JsonGenerator g, Map<String, AttributeValue> map) throws IOException {
        g.writeStartObject();
        for (Map.Entry<String, AttributeValue> e : map.entrySet()) {
            g.writeFieldName(e.getKey());
            writeValue(g, e.getValue());
        }
        g.writeEndObject();
    }

    private static void writeValue(JsonGenerator g, AttributeValue v) throws IOException {
        g.writeStartObject();
        switch (v.type()) {
            case S -> g.writeStringField("S", v.s());
            case N -> g.writeStringField("N", v.n());
            case B -> g.writeStringField("B", base64(v.b()));
            case BOOL -> g.writeBooleanField("BOOL", v.bool());
            case NUL -> g.writeBooleanField("NULL", true);
            case M -> {
                g.writeFieldName("M");
                writeMap(g, v.m());
            }
            case L -> {
                g.writeArrayFieldStart("L");
                for (AttributeValue e : v.l()) {
                    writeValue(g, e);
                }
                g.writeEndArray();
            }
            case SS -> strings(g, "SS", v.ss());
            case NS -> strings(g, "NS", v.ns());
            case BS -> {
                g.writeArrayFieldStart("BS");
                for (SdkBytes b : v.bs()) {
                    g.writeString(base64(b));
                }
                g.writeEndArray();
            }
            default -> throw new IllegalArgumentException("unknown DynamoDB attribute type in a Scan result: " + v);
        }
        g.writeEndObject();
    }

    private static void strings(JsonGenerator g, String tag, List<String> values) throws IOException {
        g.writeArrayFieldStart(tag);
        for (String s : values) {
            g.writeString(s);
        }
        g.writeEndArray();
    }

    private static String base64(SdkBytes b) {
        return Base64.getEncoder().encodeToString(b.asByteArrayUnsafe());
    }
}
