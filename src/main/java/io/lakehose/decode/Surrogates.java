package io.lakehose.decode;

/**
 * JSON may escape a lone UTF-16 surrogate ({@code "\uD800"}), which no UTF-8 text can hold: a
 * writer would silently turn it into '?'. Such a string is refused instead (docs/design.md, "Input").
 */
final class Surrogates {

    private Surrogates() {
    }

    /** The index of the first surrogate without its pair in {@code len} chars from {@code off}, or -1. */
    static int firstLone(char[] b, int off, int len) {
        int end = off + len;
        for (int i = off; i < end; i++) {
            char c = b[i];
            if (c < Character.MIN_SURROGATE || c > Character.MAX_SURROGATE) {
                continue;
            }
            if (Character.isHighSurrogate(c) && i + 1 < end && Character.isLowSurrogate(b[i + 1])) {
                i++;
                continue;
            }
            return i - off;
        }
        return -1;
    }

    static void check(char[] b, int off, int len, String where) throws DecodeException {
        int at = firstLone(b, off, len);
        if (at >= 0) {
            throw new DecodeException(ErrorCode.INVALID_UTF8, where + " holds a lone surrogate escape \\u"
                    + String.format("%04X", (int) b[off + at]) + " (no UTF-8 text can hold it)");
        }
    }

    /** The same for a String, without copying it (attribute names: once per attribute). */
    static void check(String s, String where) throws DecodeException {
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (c >= Character.MIN_SURROGATE && c <= Character.MAX_SURROGATE) {
                check(s.toCharArray(), 0, s.length(), where); // rare: the full check, with its message
                return;
            }
        }
    }
}
