package io.lakehose.replay;

import software.amazon.awssdk.services.kinesis.model.GetRecordsResponse;
import software.amazon.awssdk.services.kinesis.model.Record;

import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Optional;

/**
 * Resolves AT_TIMESTAMP to a checkpoint per shard.
 *
 * <p>Why not write the AT_TIMESTAMP sentinel: KCL 2.x takes an AT_TIMESTAMP checkpoint's instant
 * from the worker's initial position (kinesis.initialPosition), one value for all shards, not from
 * the lease; a worker configured otherwise would fail or start elsewhere. And a checkpoint is
 * "resume after this record", so the checkpoint that re-reads from the first record at or after
 * the instant (Kinesis's own AT_TIMESTAMP answer) is the sequence number of the record just
 * before it. Kinesis cannot read backwards, so that record is found by reading forward from a
 * little earlier (10 s, then 1 min, 6 min, 36 min, 3.6 h, then the trim horizon): a busy shard
 * costs one short read, a quiet one a few empty ones.
 */
final class ShardPositions {

    private static final List<Duration> LOOK_BACK = List.of(Duration.ofSeconds(10), Duration.ofMinutes(1),
            Duration.ofMinutes(6), Duration.ofMinutes(36), Duration.ofMinutes(216));
    /** Kinesis allows 5 GetRecords per second per shard. */
    private static final long PAUSE_MILLIS = 210;
    private static final int MAX_READS = 100_000;

    private final StreamShards stream;

    ShardPositions(StreamShards stream) {
        this.stream = stream;
    }

    /** The checkpoint from which the next start reads exactly the records that arrived at or after {@code instant}. */
    String checkpointAt(ShardInfo shard, Instant instant) {
        Optional<String> first = firstSequence(stream.iteratorAt(shard, instant));
        if (first.isEmpty() && shard.closed()) {
            return Checkpoints.SHARD_END; // every record arrived earlier
        }
        for (Duration back : LOOK_BACK) {
            Optional<String> before = lastBefore(stream.iteratorAt(shard, instant.minus(back)), first);
            if (before.isPresent()) {
                return before.get();
            }
        }
        return lastBefore(stream.iteratorAtTrimHorizon(shard), first).orElse(Checkpoints.TRIM_HORIZON);
    }

    /** The first record's sequence number from {@code iterator} on, if any. */
    private Optional<String> firstSequence(String iterator) {
        String[] found = {null};
        scan(iterator, r -> {
            found[0] = r.sequenceNumber();
            return false;
        });
        return Optional.ofNullable(found[0]);
    }

    /** The last record before {@code end} (or before the shard's end), reading from {@code iterator}. */
    private Optional<String> lastBefore(String iterator, Optional<String> end) {
        String[] last = {null};
        scan(iterator, r -> {
            if (end.isPresent() && Checkpoints.compareSequences(r.sequenceNumber(), end.get()) >= 0) {
                return false;
            }
            last[0] = r.sequenceNumber();
            return true;
        });
        return Optional.ofNullable(last[0]);
    }

    private interface RecordVisitor {
        /** @return false to stop */
        boolean visit(Record r);
    }

    /** Reads until the visitor stops, the shard ends, or it is caught up with the newest record. */
    private void scan(String iterator, RecordVisitor visitor) {
        String it = iterator;
        for (int reads = 0; it != null; reads++) {
            if (reads == MAX_READS) {
                throw new IllegalStateException("gave up after " + MAX_READS + " GetRecords calls");
            }
            if (reads > 0) {
                pause();
            }
            GetRecordsResponse page = stream.read(it);
            for (Record r : page.records()) {
                if (!visitor.visit(r)) {
                    return;
                }
            }
            Long behind = page.millisBehindLatest();
            if (page.records().isEmpty() && (behind == null || behind == 0)) {
                return;
            }
            it = page.nextShardIterator();
        }
    }

    private static void pause() {
        try {
            Thread.sleep(PAUSE_MILLIS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted", e);
        }
    }
}
