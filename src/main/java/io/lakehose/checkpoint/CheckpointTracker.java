package io.lakehose.checkpoint;

import io.lakehose.decode.SequenceNumber;

import java.util.Optional;
import java.util.OptionalLong;
import java.util.TreeMap;
import java.util.function.LongSupplier;

/**
 * The checkpoint rule (docs/design.md, "Delivery guarantee") for one shard: the shard may be checkpointed at S only
 * when every record up to S is inside an object whose upload has completed.
 *
 * <p>How: records reach buffers in shard order, so every open or uploading file is fully
 * described by the record accepted just before its first one ("before"). The safe position is
 * the "before" of the oldest file not yet uploaded, or the last accepted record when nothing is
 * pending. A failed upload simply never completes, which freezes the checkpoint (correct: those
 * records must be re-read). Thread-safe: uploads complete on other threads.
 *
 * <p>It also knows since when the oldest record not yet durable waits: the wall-clock time its
 * file was opened (when that record arrived), which a stuck upload makes grow.
 */
public final class CheckpointTracker {

    /** A file not yet uploaded: the record accepted just before its first one, and when it was opened. */
    private record Pending(Optional<SequenceNumber> before, long openedAtMillis) {
    }

    private final TreeMap<Long, Pending> pendingByOpenOrder = new TreeMap<>();
    private final LongSupplier clockMillis;
    private long nextId;
    private SequenceNumber lastAccepted;

    public CheckpointTracker() {
        this(System::currentTimeMillis);
    }

    public CheckpointTracker(LongSupplier clockMillis) {
        this.clockMillis = clockMillis;
    }

    /**
     * A new file is about to receive its first record. Call before {@link #accepted} of that record.
     *
     * @return the id to pass to {@link #completed}
     */
    public synchronized long opened() {
        long id = nextId++;
        pendingByOpenOrder.put(id, new Pending(Optional.ofNullable(lastAccepted), clockMillis.getAsLong()));
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
        return pendingByOpenOrder.firstEntry().getValue().before();
    }

    /**
     * Since when (epoch millis) the oldest record not yet durable waits: when the oldest file not
     * yet uploaded was opened. Empty when every accepted record is durable.
     */
    public synchronized OptionalLong oldestPendingSinceMillis() {
        return pendingByOpenOrder.isEmpty() ? OptionalLong.empty()
                : OptionalLong.of(pendingByOpenOrder.firstEntry().getValue().openedAtMillis());
    }

    /** Files opened and not yet uploaded. */
    public synchronized int pendingFiles() {
        return pendingByOpenOrder.size();
    }

    public synchronized Optional<SequenceNumber> lastAccepted() {
        return Optional.ofNullable(lastAccepted);
    }
}
