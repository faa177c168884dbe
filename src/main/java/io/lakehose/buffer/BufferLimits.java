package io.lakehose.buffer;

/**
 * When a file is finished. All three limits depend only on the records themselves (the age is
 * measured in record arrival time, not wall-clock time), so a replay of the same records cuts
 * the same files: the basis of deterministic object names (DESIGN section 3).
 *
 * @param maxBytes      encoded bytes per file (default 128 MiB)
 * @param maxRecords    records per file
 * @param maxAgeMicros  arrival-time span of one file (default 300 s)
 */
public record BufferLimits(long maxBytes, long maxRecords, long maxAgeMicros) {

    public static BufferLimits defaults() {
        return new BufferLimits(128L * 1024 * 1024, 5_000_000, 300_000_000L);
    }
}
