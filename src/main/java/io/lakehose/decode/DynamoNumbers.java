package io.lakehose.decode;

/** Cheap character-level checks for N and B values, done without allocating. */
final class DynamoNumbers {

    /** DynamoDB numbers have up to 38 significant digits. */
    static final int MAX_DIGITS = 38;
    /** Longer than any number DynamoDB writes (38 digits, sign, point, exponent). */
    static final int MAX_CHARS = 100;

    private DynamoNumbers() {
    }

    /** The digits of the mantissa without leading and trailing zeros ("00.1200e5" has 2). */
    static int significantDigits(char[] b, int off, int len) {
        int first = -1;
        int last = -1;
        int count = 0;
        for (int i = off; i < off + len; i++) {
            char c = b[i];
            if (c == 'e' || c == 'E') {
                break;
            }
            if (c >= '0' && c <= '9') {
                if (c != '0') {
                    if (first < 0) {
                        first = count;
                    }
                    last = count;
                }
                count++;
            }
        }
        return first < 0 ? 0 : last - first + 1;
    }

    /** True if the chars are a number in JSON's grammar: -?(0|[1-9]d*)(.d+)?([eE][+-]?d+)? */
    static boolean isJsonNumber(char[] b, int off, int len) {
        int i = off;
        int end = off + len;
        if (i < end && b[i] == '-') {
            i++;
        }
        if (i >= end) {
            return false;
        }
        if (b[i] == '0') {
            i++;
        } else if (b[i] >= '1' && b[i] <= '9') {
            i = skipDigits(b, i, end);
        } else {
            return false;
        }
        if (i < end && b[i] == '.') {
            int start = i + 1;
            i = skipDigits(b, start, end);
            if (i == start) {
                return false;
            }
        }
        if (i < end && (b[i] == 'e' || b[i] == 'E')) {
            i++;
            if (i < end && (b[i] == '+' || b[i] == '-')) {
                i++;
            }
            int start = i;
            i = skipDigits(b, start, end);
            if (i == start) {
                return false;
            }
        }
        return i == end;
    }

    /** Standard, padded base64 as DynamoDB writes it. */
    static boolean isBase64(char[] b, int off, int len) {
        if (len % 4 != 0) {
            return false;
        }
        int end = off + len;
        int pad = 0;
        for (int i = off; i < end; i++) {
            char c = b[i];
            if (c == '=') {
                pad++;
                if (i < end - 2 || pad > 2) {
                    return false;
                }
            } else if (pad > 0 || !isBase64Char(c)) {
                return false;
            }
        }
        return true;
    }

    private static boolean isBase64Char(char c) {
        return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '+' || c == '/';
    }

    /** The index of the first non-digit at or after {@code i}. */
    private static int skipDigits(char[] b, int i, int end) {
        while (i < end && isDigit(b[i])) {
            i++;
        }
        return i;
    }

    private static boolean isDigit(char c) {
        return c >= '0' && c <= '9';
    }
}
