package io.lakehose.pipeline;

import java.io.IOException;
import java.io.InputStream;
import java.util.Arrays;

/**
 * Cuts an input stream into batches of whole lines (about {@code batchBytes} each), numbering
 * lines from 1. Cuts depend only on the bytes (blocks are filled completely before cutting), so
 * the same input always gives the same batches. A line longer than a batch grows the buffer.
 * Used by {@code convert} and by a backfill reading export files.
 */
public final class LineBatchReader {

    /** Lines of one batch: line i is {@code data[starts[i], ends[i])}, numbered firstLine + i. */
    public record Batch(long index, long firstLine, byte[] data, int[] starts, int[] ends, int count) {
    }

    private final InputStream in;
    private final int batchBytes;
    private byte[] carry = new byte[0];
    private int carryLength;
    private long nextLine = 1;
    private long nextIndex;
    private boolean eof;

    public LineBatchReader(InputStream in, int batchBytes) {
        this.in = in;
        this.batchBytes = batchBytes;
    }

    /** The next batch, or null at the end of input. */
    public Batch next() throws IOException {
        if (eof && carryLength == 0) {
            return null;
        }
        byte[] buf = new byte[Math.max(batchBytes, carryLength + batchBytes / 2)];
        System.arraycopy(carry, 0, buf, 0, carryLength);
        int filled = carryLength;
        int lastNewline = -1;
        while (true) {
            if (!eof) {
                int n = in.readNBytes(buf, filled, buf.length - filled);
                filled += n;
                eof = filled < buf.length;
            }
            lastNewline = lastIndexOf(buf, filled, (byte) '\n');
            if (lastNewline >= 0 || eof) {
                break;
            }
            buf = Arrays.copyOf(buf, buf.length * 2); // one line longer than the buffer
        }
        int end = eof ? filled : lastNewline + 1;
        carryLength = filled - end;
        if (carry.length < carryLength) {
            carry = new byte[Math.max(carryLength, batchBytes / 2)];
        }
        System.arraycopy(buf, end, carry, 0, carryLength);
        return split(buf, end);
    }

    private Batch split(byte[] buf, int end) {
        int[] starts = new int[64];
        int[] ends = new int[64];
        int count = 0;
        int start = 0;
        while (start < end) {
            int nl = indexOf(buf, start, end, (byte) '\n');
            int lineEnd = nl < 0 ? end : nl;
            int contentEnd = lineEnd > start && buf[lineEnd - 1] == '\r' ? lineEnd - 1 : lineEnd;
            if (count == starts.length) {
                starts = Arrays.copyOf(starts, count * 2);
                ends = Arrays.copyOf(ends, count * 2);
            }
            starts[count] = start;
            ends[count] = contentEnd;
            count++;
            start = nl < 0 ? end : nl + 1;
        }
        Batch b = new Batch(nextIndex++, nextLine, buf, starts, ends, count);
        nextLine += count;
        return b;
    }

    private static int lastIndexOf(byte[] b, int length, byte v) {
        for (int i = length - 1; i >= 0; i--) {
            if (b[i] == v) {
                return i;
            }
        }
        return -1;
    }

    private static int indexOf(byte[] b, int from, int to, byte v) {
        for (int i = from; i < to; i++) {
            if (b[i] == v) {
                return i;
            }
        }
        return -1;
    }
}
