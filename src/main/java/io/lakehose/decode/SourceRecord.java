package io.lakehose.decode;

import java.util.Objects;

/**
 * One stream record as it arrived, before decoding: where it came from and its raw bytes.
 * The bytes are a slice {@code data[offset, offset+length)} so that callers can hand over
 * lines of a large read buffer without copying them.
 *
 * @param arrivalMicros Kinesis ApproximateArrivalTimestamp in epoch microseconds
 */
public record SourceRecord(String shardId, SequenceNumber sequence, long arrivalMicros,
                           byte[] data, int offset, int length) {

    public SourceRecord {
        Objects.requireNonNull(shardId, "shardId");
        Objects.requireNonNull(sequence, "sequence");
        Objects.requireNonNull(data, "data");
        Objects.checkFromIndexSize(offset, length, data.length);
    }

    public static SourceRecord of(String shardId, SequenceNumber sequence, long arrivalMicros, byte[] data) {
        return new SourceRecord(shardId, sequence, arrivalMicros, data, 0, data.length);
    }

    /** A copy of exactly this record's bytes. */
    public byte[] copyOfData() {
        byte[] copy = new byte[length];
        System.arraycopy(data, offset, copy, 0, length);
        return copy;
    }
}
