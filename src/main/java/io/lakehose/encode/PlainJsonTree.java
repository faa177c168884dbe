package io.lakehose.encode;

import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.databind.JsonNode;

import java.io.IOException;
import java.math.BigDecimal;
import java.util.Map;
import java.util.regex.Pattern;

/**
 * Writes a DynamoDB typed value, already parsed into a Jackson tree, as "plain JSON" (docs/design.md,
 * "Envelope schema") with the same output as the decoder's streaming writer for {@code new_image}:
 * S to string, N to a JSON number with its digits kept as written (only forms that are not
 * JSON numbers, like ".5" or "+5", are normalised through BigDecimal, never through a double),
 * B to its base64 string, BOOL, NULL, M to an object, L to an array, SS/NS/BS to arrays.
 *
 * <p>Why a second writer: {@code io.lakehose.decode.PlainJsonWriter} streams from a parser,
 * but the typed encoder holds the value as a tree once it has tried to convert it; walking the
 * tree avoids parsing the attribute a second time. The input was validated by the decoder; any
 * shape it should have rejected is still written (as the raw JSON), since drift never drops data.
 */
final class PlainJsonTree {

    private static final Pattern JSON_NUMBER = Pattern.compile("-?(?:0|[1-9][0-9]*)(?:\\.[0-9]+)?(?:[eE][+-]?[0-9]+)?");

    private PlainJsonTree() {
    }

    /** Writes {@code typed}, a value object like {@code {"N": "1"}}. The generator needs a codec. */
    static void writeTyped(JsonNode typed, JsonGenerator g) throws IOException {
        if (!typed.isObject() || typed.size() != 1) {
            g.writeTree(typed);
            return;
        }
        Map.Entry<String, JsonNode> e = typed.properties().iterator().next();
        JsonNode v = e.getValue();
        switch (e.getKey()) {
            case "S", "B" -> writeText(v, g);
            case "N" -> writeNumber(v, g);
            case "BOOL" -> g.writeTree(v);
            case "NULL" -> g.writeNull();
            case "M" -> {
                if (!v.isObject()) {
                    g.writeTree(typed);
                    return;
                }
                g.writeStartObject();
                for (Map.Entry<String, JsonNode> a : v.properties()) {
                    g.writeFieldName(a.getKey());
                    writeTyped(a.getValue(), g);
                }
                g.writeEndObject();
            }
            case "L", "SS", "NS", "BS" -> {
                if (!v.isArray()) {
                    g.writeTree(typed);
                    return;
                }
                g.writeStartArray();
                for (JsonNode element : v) {
                    switch (e.getKey()) {
                        case "L" -> writeTyped(element, g);
                        case "NS" -> writeNumber(element, g);
                        default -> writeText(element, g);
                    }
                }
                g.writeEndArray();
            }
            default -> g.writeTree(typed);
        }
    }

    private static void writeText(JsonNode v, JsonGenerator g) throws IOException {
        if (v.isTextual()) {
            g.writeString(v.textValue());
        } else {
            g.writeTree(v);
        }
    }

    private static void writeNumber(JsonNode v, JsonGenerator g) throws IOException {
        if (!v.isTextual()) {
            g.writeTree(v);
            return;
        }
        String digits = v.textValue();
        if (JSON_NUMBER.matcher(digits).matches()) {
            g.writeNumber(digits);
            return;
        }
        try {
            g.writeNumber(new BigDecimal(digits).toString());
        } catch (NumberFormatException e) {
            g.writeString(digits);
        }
    }
}
