package io.lakehose.backfill;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import software.amazon.awssdk.core.SdkBytes;
import software.amazon.awssdk.services.dynamodb.model.AttributeValue;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * A Scan's LastEvaluatedKey in the progress file, as DynamoDB typed JSON. Key attributes are
 * only ever S, N or B, so that is all this reads back.
 */
final class StartKeys {

    private static final ObjectMapper JSON = new ObjectMapper();

    private StartKeys() {
    }

    static String encode(Map<String, AttributeValue> key) {
        return new String(new AttributeValueJson().typed(key), StandardCharsets.UTF_8);
    }

    /** The key, or null for "from the start of the segment". */
    static Map<String, AttributeValue> decode(String json) {
        if (json == null) {
            return null;
        }
        try {
            Map<String, AttributeValue> key = new LinkedHashMap<>();
            JsonNode root = JSON.readTree(json);
            root.fields().forEachRemaining(e -> key.put(e.getKey(), value(e.getKey(), e.getValue())));
            return key;
        } catch (IOException e) {
            throw new UncheckedIOException("unreadable resume key in the backfill progress: " + json, e);
        }
    }

    private static AttributeValue value(String name, JsonNode typed) {
        if (typed.has("S")) {
            return AttributeValue.fromS(typed.get("S").asText());
        }
        if (typed.has("N")) {
            return AttributeValue.fromN(typed.get("N").asText());
        }
        if (typed.has("B")) {
            return AttributeValue.fromB(SdkBytes.fromByteArray(Base64.getDecoder().decode(typed.get("B").asText())));
        }
        throw new IllegalStateException("resume key attribute " + name + " is not S, N or B: " + typed);
    }
}
