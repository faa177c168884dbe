package io.lakehose.commit.folders;

import io.lakehose.decode.SequenceNumber;
import io.lakehose.partition.LakeLayout;
import io.lakehose.sink.ObjectStore;

import java.util.HashMap;
import java.util.Map;
import java.util.Optional;

/**
 * How far one shard's records of each partition already are in the lake, learned from object
 * names ({@code <shard>-<first>-<last>}), listed once per partition per lease.
 *
 * <p>Why this is the effectively-once mechanism: after a crash, a lease move or a replay, a
 * worker re-reads records from the last checkpoint, and some of them are already in objects of
 * partitions that flushed before the crash. File boundaries of the re-read cannot be trusted to
 * match the first run's (a wall-clock flush on a quiet shard, or a memory-pressure flush, cuts
 * files where a fast replay would not), so re-writing "the same" objects would duplicate rows.
 * Instead a record is skipped when an object of its shard and partition already covers it.
 * That is exact because a shard's objects of one partition are uploaded in order with no gaps
 * (the uploader chains them), so every record up to the highest {@code last} is stored.
 * Not thread-safe: one per shard pipeline.
 */
final class LakeHighWaterMarks {

    private final ObjectStore store;
    private final String shardId;
    private final Map<String, Optional<SequenceNumber>> byDirectory = new HashMap<>();

    LakeHighWaterMarks(ObjectStore store, String shardId) {
        this.store = store;
        this.shardId = shardId;
    }

    /** True if an object of this shard in {@code directory} already holds {@code sequence}. */
    public boolean isStored(String directory, SequenceNumber sequence) {
        Optional<SequenceNumber> mark = byDirectory.computeIfAbsent(directory, this::load);
        return mark.isPresent() && sequence.compareTo(mark.get()) <= 0;
    }

    private Optional<SequenceNumber> load(String directory) {
        SequenceNumber max = null;
        for (String key : store.list(directory + "/" + shardId + "-")) {
            SequenceNumber[] range = LakeLayout.rangeOf(key, shardId);
            if (range != null && (max == null || range[1].compareTo(max) > 0)) {
                max = range[1];
            }
        }
        return Optional.ofNullable(max);
    }
}
