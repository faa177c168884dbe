package io.lakehose.input;

import java.util.Optional;

/**
 * Whether a file holds JSON text, judged from its start: after an optional UTF-8 byte-order mark
 * and whitespace, its first record must begin like a JSON value and hold no control byte (JSON
 * text has none but whitespace, RFC 8259 section 7). A sniff, not validation: a later broken
 * record still becomes an error record. It tells a file of records from an image, an archive or
 * random bytes, which would otherwise become thousands of meaningless error records.
 */
final class JsonTextCheck {

    private JsonTextCheck() {
    }

    /** What is wrong with {@code head[0, length)} as the start of JSON text, or empty when nothing is. */
    static Optional<String> problem(byte[] head, int length) {
        int i = startsWithByteOrderMark(head, length) ? 3 : 0;
        while (i < length && isWhitespace(head[i])) {
            i++;
        }
        if (i == length) {
            return Optional.empty(); // empty or blank: no records, or blank lines (error records as always)
        }
        if (!beginsValue(head[i])) {
            return Optional.of(String.format("byte %d is 0x%02x, which begins no JSON value", i, head[i] & 0xFF));
        }
        for (int j = i; j < length && head[j] != '\n'; j++) {
            if (isControl(head[j])) {
                return Optional.of(String.format("control byte 0x%02x at byte %d", head[j] & 0xFF, j));
            }
        }
        return Optional.empty();
    }

    /** The first bytes in hex, for a message: "89 50 4e 47". */
    static String hex(byte[] head, int length, int max) {
        StringBuilder sb = new StringBuilder();
        for (int i = 0; i < Math.min(length, max); i++) {
            sb.append(i == 0 ? "" : " ").append(String.format("%02x", head[i] & 0xFF));
        }
        return sb.toString();
    }

    private static boolean startsWithByteOrderMark(byte[] b, int length) {
        return length >= 3 && (b[0] & 0xFF) == 0xEF && (b[1] & 0xFF) == 0xBB && (b[2] & 0xFF) == 0xBF;
    }

    private static boolean isWhitespace(byte b) {
        return b == ' ' || b == '\t' || b == '\n' || b == '\r';
    }

    private static boolean beginsValue(byte b) {
        return b == '{' || b == '[' || b == '"' || b == '-' || (b >= '0' && b <= '9') || b == 't' || b == 'f' || b == 'n';
    }

    private static boolean isControl(byte b) {
        return (b >= 0 && b < 0x20) && b != '\t' && b != '\r' && b != '\n';
    }
}
