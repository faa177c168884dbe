package io.lakehose.decode;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.nio.ByteOrder;

/**
 * JSON may escape a lone UTF-16 surrogate ({@code "\uD800"}), which no UTF-8 text can hold: a
 * writer would silently turn it into '?'. Such a string is refused instead (docs/design.md, "Input").
 */
final class Surrogates {

    private static final VarHandle LONGS =
            MethodHandles.byteArrayViewVarHandle(long[].class, ByteOrder.LITTLE_ENDIAN);
    private static final long ONES = 0x0101010101010101L;
    private static final long BACKSLASHES = '\\' * ONES;

    private Surrogates() {
    }

    /**
     * Whether JSON text of valid UTF-8 may decode to a string holding a lone surrogate: only a
     * {@code \\uD...} escape can make one (valid UTF-8 decodes to surrogate pairs only), so text
     * without {@code \\ud} or {@code \\uD} needs no string checked. Looks for backslashes 8
     * bytes at a time: strings' own checks char by char were ~4% of decode's CPU.
     */
    static boolean mayBeEscaped(byte[] b, int off, int len) {
        int end = off + len;
        int i = off;
        while (i + 8 <= end) {
            long w = (long) LONGS.get(b, i) ^ BACKSLASHES;
            if (((w - ONES) & ~w & 0x8080808080808080L) == 0) {
                i += 8; // no backslash among these 8 bytes
                continue;
            }
            for (int k = i, stop = i + 8; k < stop; k++) {
                if (escapesSurrogate(b, k, end)) {
                    return true;
                }
            }
            i += 8;
        }
        for (; i < end; i++) {
            if (escapesSurrogate(b, i, end)) {
                return true;
            }
        }
        return false;
    }

    private static boolean escapesSurrogate(byte[] b, int i, int end) {
        return b[i] == '\\' && i + 2 < end && b[i + 1] == 'u' && (b[i + 2] | 0x20) == 'd';
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
