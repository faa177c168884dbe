package io.lakehose.pipeline;

import io.lakehose.decode.SequenceNumber;

import java.util.Arrays;

/**
 * Records of one input file for {@code convert}: record i is {@code data[starts[i], ends[i])} at
 * position {@code firstPosition + i} of file number {@code file} (its sequence number comes from
 * {@link InputPositions}). A record whose {@code unreadable} entry is set was found broken before
 * decoding (part of a file that could not be split into records) and goes straight to the error
 * output with that reason.
 *
 * @param unreadable null when every record is to be decoded
 */
public record RecordBatch(int file, long firstPosition, byte[] data, int[] starts, int[] ends, int count,
                          String[] unreadable) {

    /** Roughly how many bytes of records a batch holds: the unit dealt to one pipeline. */
    public static final int TARGET_BYTES = 4 * 1024 * 1024;

    /** The lines of {@code lines} as records of {@code file}, positions = line numbers. */
    public static RecordBatch of(int file, LineBatchReader.Batch lines) {
        return new RecordBatch(file, lines.firstLine(), lines.data(), lines.starts(), lines.ends(), lines.count(), null);
    }

    /** Records {@code from} to {@code to} (exclusive) of this batch, over the same bytes. */
    public RecordBatch slice(int from, int to) {
        return new RecordBatch(file, firstPosition + from, data, Arrays.copyOfRange(starts, from, to),
                Arrays.copyOfRange(ends, from, to), to - from,
                unreadable == null ? null : Arrays.copyOfRange(unreadable, from, to));
    }

    public SequenceNumber sequence(int i) {
        return InputPositions.sequence(file, firstPosition + i);
    }

    /** Why record i cannot be decoded, known before decoding; null for a record to decode. */
    public String unreadableReason(int i) {
        return unreadable == null ? null : unreadable[i];
    }
}
