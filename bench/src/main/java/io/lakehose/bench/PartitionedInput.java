package io.lakehose.bench;

import java.io.BufferedOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.SplittableRandom;

/**
 * The input of issue 16's "many partitions, any order": change records whose event times span
 * {@code hours} hours, each of one of {@code tables} tables, so they fall in tables x hours
 * partitions, written in a random order; and the same records (the same bytes but for the table
 * name, of the same length) in 2 tables and in time order, the easy case to compare with.
 *
 * <p>Deterministic: the same arguments give the same bytes. Tables are named {@code t000},
 * {@code t001}, ...
 */
public final class PartitionedInput {

    /** The records of one input, in generation (event time) order. */
    private final List<byte[]> records;

    private PartitionedInput(List<byte[]> records) {
        this.records = records;
    }

    /**
     * @param count       records
     * @param tables      tables the records are spread over, uniformly at random
     * @param hours       event times span this many hours from {@link ChangeRecordGenerator#DEFAULT_START_MILLIS}
     * @param targetBytes mean record size (see {@link ChangeRecordGenerator})
     */
    public static PartitionedInput generate(int count, int tables, int hours, int targetBytes, long seed) {
        if (count < 1 || tables < 1 || tables > 1000 || hours < 1) {
            throw new IllegalArgumentException("count and hours must be positive, tables 1-1000");
        }
        int step = (int) Math.max(1, hours * 3_600_000L / count);
        ChangeRecordGenerator g = new ChangeRecordGenerator(seed, targetBytes,
                ChangeRecordGenerator.DEFAULT_START_MILLIS, step);
        SplittableRandom pick = new SplittableRandom(seed ^ 0x5DEECE66DL);
        List<byte[]> records = new ArrayList<>(count);
        for (int i = 0; i < count; i++) {
            records.add(g.next(table(pick.nextInt(tables))));
        }
        return new PartitionedInput(records);
    }

    /** The name of table {@code n}: fixed width, so renaming keeps every record's size. */
    public static String table(int n) {
        return String.format(Locale.ROOT, "t%03d", n);
    }

    public int count() {
        return records.size();
    }

    /** Writes the records as JSON lines in a random order (seeded by {@code seed}); returns bytes written. */
    public long writeShuffled(Path file, long seed) throws IOException {
        List<byte[]> shuffled = new ArrayList<>(records);
        SplittableRandom rnd = new SplittableRandom(seed);
        for (int i = shuffled.size() - 1; i > 0; i--) {
            int j = rnd.nextInt(i + 1);
            byte[] t = shuffled.get(i);
            shuffled.set(i, shuffled.get(j));
            shuffled.set(j, t);
        }
        return write(file, shuffled, -1);
    }

    /** Writes the records as JSON lines in time order, each in table {@code n mod tables}; returns bytes written. */
    public long writeInOrder(Path file, int tables) throws IOException {
        return write(file, records, tables);
    }

    private static long write(Path file, List<byte[]> lines, int renameTo) throws IOException {
        long bytes = 0;
        try (OutputStream out = new BufferedOutputStream(Files.newOutputStream(file), 1 << 16)) {
            for (byte[] r : lines) {
                byte[] line = renameTo > 0 ? renamed(r, renameTo) : r;
                out.write(line);
                out.write('\n');
                bytes += line.length + 1;
            }
        }
        return bytes;
    }

    private static final byte[] FIELD = "\"tableName\":\"t".getBytes(StandardCharsets.US_ASCII);

    /** The record with its table t<nnn> replaced by t<nnn mod tables>. */
    private static byte[] renamed(byte[] record, int tables) {
        int at = indexOf(record, FIELD) + FIELD.length;
        int n = (record[at] - '0') * 100 + (record[at + 1] - '0') * 10 + (record[at + 2] - '0');
        byte[] copy = record.clone();
        byte[] name = table(n % tables).substring(1).getBytes(StandardCharsets.US_ASCII);
        System.arraycopy(name, 0, copy, at, 3);
        return copy;
    }

    private static int indexOf(byte[] hay, byte[] needle) {
        outer:
        for (int i = 0; i + needle.length <= hay.length; i++) {
            for (int j = 0; j < needle.length; j++) {
                if (hay[i + j] != needle[j]) {
                    continue outer;
                }
            }
            return i;
        }
        throw new IllegalStateException("no table name in a generated record");
    }
}
