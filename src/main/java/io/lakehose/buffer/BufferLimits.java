package io.lakehose.buffer;

/**
 * When a file is finished. The limits depend on the records themselves (the age is measured in
 * record arrival time), but a quiet shard's wall-clock flush, memory pressure and shutdown cut
 * files too, so two writers of a shard may cut its records differently; the fence, not the
 * boundaries, keeps them from duplicating rows (docs/design.md, "The fence for folders").
 *
 * @param maxBytes      encoded bytes per file (default 128 MiB)
 * @param maxRecords    records per file
 * @param maxAgeMicros  arrival-time span of one file (default 300 s)
 */
public record BufferLimits(long maxBytes, long maxRecords, long maxAgeMicros) {

    public static BufferLimits defaults() {
        return new BufferLimits(128L * 1024 * 1024, 5_000_000, 300_000_000L);
    }

    /**
     * The same without the age rule, for a batch ({@code convert}): its input's times are data in
     * any order, not a clock, so files end by size, record count and the memory cap only
     * (docs/design.md, "Interfaces").
     */
    public BufferLimits withoutAge() {
        return new BufferLimits(maxBytes, maxRecords, Long.MAX_VALUE);
    }
}
