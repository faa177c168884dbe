package io.lakehose.bench;

import java.util.Arrays;

/**
 * Generated change records held in one byte array (no per-record objects, so the pool costs
 * its bytes and little else on the heap), with each record's event time. Measurements cycle
 * through it. Immutable after construction; shared by all bench threads.
 */
final class InputPool {

    final byte[] data;
    final int[] starts;
    final int[] lengths;
    final long[] eventMillis;
    final int count;
    final long totalBytes;
    final int targetBytes;

    private InputPool(byte[] data, int[] starts, int[] lengths, long[] eventMillis, int count, long totalBytes,
                      int targetBytes) {
        this.data = data;
        this.starts = starts;
        this.lengths = lengths;
        this.eventMillis = eventMillis;
        this.count = count;
        this.totalBytes = totalBytes;
        this.targetBytes = targetBytes;
    }

    /**
     * About {@code poolBytes} of records of about {@code targetBytes}, their event times spread
     * over about {@code spanMillis} (so the lake gets several hour partitions).
     */
    static InputPool generate(int targetBytes, long poolBytes, long spanMillis, long seed) {
        int expected = (int) Math.max(1, poolBytes / targetBytes);
        int step = (int) Math.max(1, Math.min(Integer.MAX_VALUE / 4, spanMillis / expected));
        ChangeRecordGenerator g = new ChangeRecordGenerator(seed, targetBytes, ChangeRecordGenerator.DEFAULT_START_MILLIS, step);
        byte[] data = new byte[(int) Math.min(Integer.MAX_VALUE - 16, poolBytes + 64 * 1024)];
        int[] starts = new int[expected + 16];
        int[] lengths = new int[expected + 16];
        long[] times = new long[expected + 16];
        int n = 0;
        int pos = 0;
        while (true) {
            byte[] r = g.next();
            if (pos + r.length > poolBytes && n > 0) {
                break;
            }
            if (n == starts.length) {
                starts = Arrays.copyOf(starts, n * 2);
                lengths = Arrays.copyOf(lengths, n * 2);
                times = Arrays.copyOf(times, n * 2);
            }
            if (pos + r.length > data.length) {
                data = Arrays.copyOf(data, Math.max(data.length * 2, pos + r.length));
            }
            System.arraycopy(r, 0, data, pos, r.length);
            starts[n] = pos;
            lengths[n] = r.length;
            times[n] = g.lastEventMillis();
            pos += r.length;
            n++;
        }
        return new InputPool(data, Arrays.copyOf(starts, n), Arrays.copyOf(lengths, n),
                Arrays.copyOf(times, n), n, pos, targetBytes);
    }

    double averageBytes() {
        return (double) totalBytes / count;
    }

    /** Event-time span of the pool in hours. */
    double spanHours() {
        long min = Long.MAX_VALUE;
        long max = Long.MIN_VALUE;
        for (long t : eventMillis) {
            min = Math.min(min, t);
            max = Math.max(max, t);
        }
        return (max - min) / 3_600_000.0;
    }
}
