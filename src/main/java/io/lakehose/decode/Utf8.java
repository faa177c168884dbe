package io.lakehose.decode;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.nio.ByteOrder;

/**
 * Strict UTF-8 (RFC 3629) check before parsing. Why not leave it to Jackson: it accepts
 * overlong forms and code points above U+10FFFF, and guesses UTF-16/32 from NUL bytes, so such
 * records would land in the lake re-encoded instead of in the error output.
 */
final class Utf8 {

    private static final VarHandle LONGS =
            MethodHandles.byteArrayViewVarHandle(long[].class, ByteOrder.LITTLE_ENDIAN);

    private Utf8() {
    }

    /** Offset (from {@code off}) of the first byte that is a NUL or not valid UTF-8, or -1. */
    static int firstInvalid(byte[] b, int off, int len) {
        int i = off;
        int end = off + len;
        while (i < end) {
            // Fast path, back after every non-ASCII character: 8 bytes at a time while they are
            // all ASCII and none is NUL (most of a CDC record): 7x the byte loop on cached bytes.
            while (i + 8 <= end) {
                long w = (long) LONGS.get(b, i);
                if (((w | ((w - 0x0101010101010101L) & ~w)) & 0x8080808080808080L) != 0) {
                    break;
                }
                i += 8;
            }
            if (i >= end) {
                break;
            }
            int c = b[i];
            if (c > 0) {
                i++;
                continue; // ASCII, the common case
            }
            if (c == 0) {
                return i - off;
            }
            c &= 0xFF;
            int more;
            if (c >= 0xC2 && c <= 0xDF) {
                more = 1;
            } else if (c >= 0xE0 && c <= 0xEF) {
                more = 2;
            } else if (c >= 0xF0 && c <= 0xF4) {
                more = 3;
            } else {
                return i - off; // stray continuation byte, C0/C1 overlong lead, F5..FF
            }
            if (i + more >= end) {
                return i - off;
            }
            int c1 = b[i + 1] & 0xFF;
            int lo = c == 0xE0 ? 0xA0 : c == 0xF0 ? 0x90 : 0x80; // overlong 3- and 4-byte forms
            int hi = c == 0xED ? 0x9F : c == 0xF4 ? 0x8F : 0xBF; // surrogates, above U+10FFFF
            if (c1 < lo || c1 > hi) {
                return i - off;
            }
            for (int k = 2; k <= more; k++) {
                if ((b[i + k] & 0xC0) != 0x80) {
                    return i - off;
                }
            }
            i += more + 1;
        }
        return -1;
    }
}
