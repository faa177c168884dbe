package io.lakehose.checkpoint;

import io.lakehose.decode.SequenceNumber;

import java.util.Optional;
import java.util.TreeMap;

/**
 * The checkpoint rule (docs/design.md, "Delivery guarantee") for one shard: the shard may be checkpointed at S only
 * when every record up to S is inside an object whose upload has completed.
 *
 * <p>How: records reach buffers in shard order, so every open or uploading file is fully
 * described by the record accepted just before its first one ("before"). The safe position is
 * the "before" of the oldest file not yet uploaded, or the last accepted record when nothing is
 * pending. A failed upload simply never completes, which freezes the checkpoint (correct: those
 * records must be re-read). Thread-safe: uploads complete on other threads.
 */
public final class CheckpointTracker {

    private final TreeMap<Long, Optional<SequenceNumber>> pendingByOpenOrder = new TreeMap<>();
    private long nextId;
    private SequenceNumber lastAccepted;

    /**
     * A new file is about to receive its first record. Call before {@link #accepted} of that record.
     *
     * @return the id to pass to {@link #completed}
     */
    public synchronized long opened() {
        long id = nextId++;
        pendingByOpenOrder.put(id, Optional.ofNullable(lastAccepted));
        return id;
    }

    /** A record is in a buffer (or deliberately skipped); records must arrive in shard order. */
    public synchronized void accepted(SequenceNumber sequence) {
        if (lastAccepted != null && sequence.compareTo(lastAccepted) <= 0) {
            throw new IllegalStateException("records out of shard order: " + sequence + " after " + lastAccepted);
        }
        lastAccepted = sequence;
    }

    /** The file opened as {@code id} is durably uploaded. */
    public synchronized void completed(long id) {
        pendingByOpenOrder.remove(id);
    }

    /**
     * The highest sequence number that may be checkpointed now, or empty if no record is safe
     * yet (then the shard's previous checkpoint still stands).
     */
    public synchronized Optional<SequenceNumber> safeCheckpoint() {
        if (pendingByOpenOrder.isEmpty()) {
            return Optional.ofNullable(lastAccepted);
        }
        return pendingByOpenOrder.firstEntry().getValue();
    }

    /** Files opened and not yet uploaded. */
    public synchronized int pendingFiles() {
        return pendingByOpenOrder.size();
    }

    public synchronized Optional<SequenceNumber> lastAccepted() {
        return Optional.ofNullable(lastAccepted);
    }
}
