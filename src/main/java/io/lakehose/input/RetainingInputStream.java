package io.lakehose.input;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.SequenceInputStream;

/**
 * Hands a parser the bytes of a stream while keeping every byte from a retained offset on, so
 * that once the parser has found where a record ends, the record's exact bytes can be cut out.
 * Offsets are absolute: bytes since the start of the stream. Not thread-safe.
 */
final class RetainingInputStream extends InputStream {

    private final InputStream source;
    private byte[] buf = new byte[1 << 16];
    /** Absolute offset of {@code buf[0]}. */
    private long bufStart;
    /** Bytes of {@code buf} that hold data. */
    private int filled;
    /** The next byte to hand to the reader, relative to {@code bufStart}. */
    private int pos;
    /** Bytes before this absolute offset are no longer needed. */
    private long retainFrom;
    /** The reader sees the end of the input at this absolute offset (a budget, see {@link #limitReads}). */
    private long readLimit = Long.MAX_VALUE;
    private boolean readLimitReached;
    private boolean sourceEnded;

    RetainingInputStream(InputStream source) {
        this.source = source;
    }

    @Override
    public int read() throws IOException {
        byte[] one = new byte[1];
        return read(one, 0, 1) < 0 ? -1 : one[0] & 0xFF;
    }

    @Override
    public int read(byte[] b, int off, int len) throws IOException {
        if (len == 0) {
            return 0;
        }
        long at = bufStart + pos;
        if (at >= readLimit) {
            readLimitReached = true;
            return -1;
        }
        if (pos == filled && !fillMore()) {
            return -1;
        }
        int n = (int) Math.min(Math.min(len, filled - pos), readLimit - at);
        System.arraycopy(buf, pos, b, off, n);
        pos += n;
        return n;
    }

    /** The byte at {@code offset} (retained or not read yet), reading ahead as needed; -1 past the end. */
    int byteAt(long offset) throws IOException {
        checkRetained(offset);
        while (offset >= bufStart + filled) {
            if (!fillMore()) {
                return -1;
            }
        }
        return buf[(int) (offset - bufStart)] & 0xFF;
    }

    /** Reads ahead until {@code to} is there or the stream ends; returns how far the bytes go, at most {@code to}. */
    long readAheadTo(long to) throws IOException {
        while (bufStart + filled < to && fillMore()) {
            // reading ahead
        }
        return Math.min(to, bufStart + filled);
    }

    /** A copy of the bytes {@code [from, to)}, which must be retained and read already. */
    byte[] copy(long from, long to) {
        checkRetained(from);
        if (to > bufStart + filled || to < from) {
            throw new IllegalArgumentException("bytes " + from + "-" + to + " are not read yet");
        }
        byte[] out = new byte[(int) (to - from)];
        System.arraycopy(buf, (int) (from - bufStart), out, 0, out.length);
        return out;
    }

    /** Bytes before {@code offset} may be dropped. */
    void retainFrom(long offset) {
        retainFrom = Math.max(retainFrom, offset);
    }

    /** The reader sees the end of input at {@code offset}, until {@link #unlimitedReads}: bounds what a probe may hold. */
    void limitReads(long offset) {
        readLimit = offset;
    }

    void unlimitedReads() {
        readLimit = Long.MAX_VALUE;
    }

    /** Whether the reader was stopped by {@link #limitReads}. */
    boolean readLimitReached() {
        return readLimitReached;
    }

    /** The whole stream again from its first byte, for reading it another way; only while nothing was dropped. */
    InputStream fromStart() {
        if (bufStart != 0) {
            throw new IllegalStateException("the start of the stream is no longer retained");
        }
        return new SequenceInputStream(new ByteArrayInputStream(buf, 0, filled), source);
    }

    @Override
    public void close() throws IOException {
        source.close();
    }

    private boolean fillMore() throws IOException {
        if (sourceEnded) {
            return false;
        }
        if (filled == buf.length) {
            makeRoom();
        }
        int n;
        do {
            n = source.read(buf, filled, buf.length - filled);
        } while (n == 0);
        if (n < 0) {
            sourceEnded = true;
            return false;
        }
        filled += n;
        return true;
    }

    /** Drops what is neither retained nor still to be handed out, or else grows the buffer. */
    private void makeRoom() {
        int drop = (int) Math.min(retainFrom - bufStart, pos);
        if (drop >= buf.length / 2) {
            System.arraycopy(buf, drop, buf, 0, filled - drop);
            filled -= drop;
            pos -= drop;
            bufStart += drop;
        } else {
            byte[] bigger = new byte[buf.length * 2];
            System.arraycopy(buf, 0, bigger, 0, filled);
            buf = bigger;
        }
    }

    private void checkRetained(long offset) {
        if (offset < bufStart) {
            throw new IllegalArgumentException("byte " + offset + " is no longer retained");
        }
    }
}
