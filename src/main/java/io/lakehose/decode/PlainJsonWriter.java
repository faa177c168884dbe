package io.lakehose.decode;

import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;

import java.io.IOException;
import java.math.BigDecimal;

/**
 * Streams a DynamoDB typed value ({@code {"S": "x"}}, {@code {"M": {...}}}, ...) from a parser
 * straight into a generator as "plain JSON" (docs/design.md, "Envelope schema"), validating as it goes.
 *
 * <p>Why streaming: building a tree per record and walking it again roughly doubled the cost of
 * decoding in measurements; token-to-token copying keeps the work close to a bare parse. Numbers
 * are copied as their digits (never through a double), so 38-digit and tiny N values survive.
 */
final class PlainJsonWriter {

    private PlainJsonWriter() {
    }

    /**
     * Parser at the START_OBJECT of an attribute map (an item image or an M value). Strings are
     * checked for lone surrogates only if {@code escapedSurrogates}: whether the record's text may
     * hold one ({@link Surrogates#mayBeEscaped}).
     */
    static void writeItem(JsonParser p, JsonGenerator g, boolean escapedSurrogates) throws IOException, DecodeException {
        if (p.currentToken() != JsonToken.START_OBJECT) {
            throw new DecodeException(ErrorCode.INVALID_ATTRIBUTE_VALUE,
                    "attribute map is not a JSON object (found " + p.currentToken() + ")");
        }
        g.writeStartObject();
        while (p.nextToken() == JsonToken.FIELD_NAME) {
            String name = p.currentName();
            if (escapedSurrogates) {
                Surrogates.check(name, "an attribute name");
            }
            g.writeFieldName(name);
            p.nextToken();
            writeValue(p, g, name, escapedSurrogates);
        }
        g.writeEndObject();
    }

    /** Parser at the START_OBJECT of one typed value; {@code name} is only for messages. */
    static void writeValue(JsonParser p, JsonGenerator g, String name, boolean escapedSurrogates)
            throws IOException, DecodeException {
        if (p.currentToken() != JsonToken.START_OBJECT) {
            throw invalid(name, "is not a typed value object like {\"S\": ...}");
        }
        if (p.nextToken() != JsonToken.FIELD_NAME) {
            throw invalid(name, "has no type tag");
        }
        String tag = p.currentName();
        JsonToken t = p.nextToken();
        switch (tag) {
            case "S" -> {
                expect(t, JsonToken.VALUE_STRING, name, tag);
                if (escapedSurrogates) {
                    Surrogates.check(p.getTextCharacters(), p.getTextOffset(), p.getTextLength(), "attribute '" + name + "'");
                }
                g.writeString(p.getTextCharacters(), p.getTextOffset(), p.getTextLength());
            }
            case "N" -> {
                expect(t, JsonToken.VALUE_STRING, name, tag);
                writeNumber(p, g, name);
            }
            case "B" -> {
                expect(t, JsonToken.VALUE_STRING, name, tag);
                writeBase64(p, g, name);
            }
            case "BOOL" -> {
                if (t != JsonToken.VALUE_TRUE && t != JsonToken.VALUE_FALSE) {
                    throw invalid(name, "BOOL value is not true or false");
                }
                g.writeBoolean(t == JsonToken.VALUE_TRUE);
            }
            case "NULL" -> {
                if (t != JsonToken.VALUE_TRUE && t != JsonToken.VALUE_FALSE) {
                    throw invalid(name, "NULL value is not a boolean");
                }
                g.writeNull();
            }
            case "M" -> {
                expect(t, JsonToken.START_OBJECT, name, tag);
                writeItem(p, g, escapedSurrogates);
            }
            case "L" -> {
                expect(t, JsonToken.START_ARRAY, name, tag);
                g.writeStartArray();
                while (p.nextToken() != JsonToken.END_ARRAY) {
                    writeValue(p, g, name, escapedSurrogates);
                }
                g.writeEndArray();
            }
            case "SS", "NS", "BS" -> {
                expect(t, JsonToken.START_ARRAY, name, tag);
                g.writeStartArray();
                while ((t = p.nextToken()) != JsonToken.END_ARRAY) {
                    expect(t, JsonToken.VALUE_STRING, name, tag);
                    switch (tag) {
                        case "SS" -> {
                            if (escapedSurrogates) {
                                Surrogates.check(p.getTextCharacters(), p.getTextOffset(), p.getTextLength(),
                                        "attribute '" + name + "'");
                            }
                            g.writeString(p.getTextCharacters(), p.getTextOffset(), p.getTextLength());
                        }
                        case "NS" -> writeNumber(p, g, name);
                        default -> writeBase64(p, g, name);
                    }
                }
                g.writeEndArray();
            }
            default -> throw new DecodeException(ErrorCode.UNKNOWN_ATTRIBUTE_TYPE,
                    "attribute '" + name + "' has unknown type tag '" + tag
                            + "' (expected one of S N B BOOL NULL M L SS NS BS)");
        }
        if (p.nextToken() != JsonToken.END_OBJECT) {
            throw invalid(name, "has more than one type tag");
        }
    }

    private static void writeNumber(JsonParser p, JsonGenerator g, String name) throws IOException, DecodeException {
        char[] buf = p.getTextCharacters();
        int off = p.getTextOffset();
        int len = p.getTextLength();
        // Checked before any parsing: BigDecimal's parse is quadratic in the digits.
        if (len > DynamoNumbers.MAX_CHARS || DynamoNumbers.significantDigits(buf, off, len) > DynamoNumbers.MAX_DIGITS) {
            throw invalid(name, "N value has more than " + DynamoNumbers.MAX_DIGITS
                    + " significant digits (DynamoDB's limit)" + (len > 40 ? " (" + len + " characters)" : ""));
        }
        if (DynamoNumbers.isJsonNumber(buf, off, len)) {
            g.writeNumber(buf, off, len);
            return;
        }
        // Forms like ".5" or "+5" are numbers but not JSON numbers: normalise without losing digits.
        try {
            g.writeNumber(new BigDecimal(buf, off, len).toString());
        } catch (NumberFormatException e) {
            throw invalid(name, "N value is not a number");
        }
    }

    private static void writeBase64(JsonParser p, JsonGenerator g, String name) throws IOException, DecodeException {
        char[] buf = p.getTextCharacters();
        int off = p.getTextOffset();
        int len = p.getTextLength();
        if (!DynamoNumbers.isBase64(buf, off, len)) {
            throw invalid(name, "B value is not base64");
        }
        g.writeString(buf, off, len);
    }

    private static void expect(JsonToken actual, JsonToken expected, String name, String tag) throws DecodeException {
        if (actual != expected) {
            throw invalid(name, tag + " value has the wrong JSON type (" + actual + ")");
        }
    }

    private static DecodeException invalid(String name, String what) {
        return new DecodeException(ErrorCode.INVALID_ATTRIBUTE_VALUE, "attribute '" + name + "' " + what);
    }
}
